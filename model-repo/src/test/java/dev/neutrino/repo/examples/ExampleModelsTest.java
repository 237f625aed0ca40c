package dev.neutrino.repo.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs every generated example model in ONNX Runtime and checks what it computes. */
class ExampleModelsTest {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  @TempDir static Path repository;

  @BeforeAll
  static void writeRepository() throws IOException {
    ExampleModels.writeRepository(repository);
  }

  @Test
  void writesTritonLayoutWithConfigForAllButIdentity() {
    for (String model : List.of("simple", "identity_fp32", "recommender_mlp", "text_encoder")) {
      assertTrue(Files.isRegularFile(repository.resolve(model).resolve("1").resolve("model.onnx")));
      assertEquals(
          !model.equals("identity_fp32"),
          Files.isRegularFile(repository.resolve(model).resolve("config.yaml")),
          model);
    }
  }

  @Test
  void simpleConfigDeclaresTritonsClassicExample() throws IOException {
    String config = Files.readString(repository.resolve("simple").resolve("config.yaml"));
    assertTrue(config.startsWith("max_batch_size: 8\n"), config);
    assertTrue(config.contains("  - name: INPUT1\n    data_type: TYPE_INT32\n    dims: [16]\n"));
    assertTrue(config.contains("  - name: OUTPUT1\n    data_type: TYPE_INT32\n    dims: [16]\n"));
    assertTrue(config.endsWith("instance_group:\n  - count: 1\n    kind: KIND_CPU\n"), config);
  }

  @Test
  void simpleReturnsSumsAndDifferencesForEachRow() throws OrtException {
    int[][] a = new int[3][16];
    int[][] b = new int[3][16];
    for (int row = 0; row < 3; row++) {
      for (int i = 0; i < 16; i++) {
        a[row][i] = row * 100 + i;
        b[row][i] = (i % 2 == 0 ? 1 : -1) * (row + 1) * 7;
      }
    }
    try (OrtSession session = open("simple");
        OnnxTensor input0 = OnnxTensor.createTensor(ENV, a);
        OnnxTensor input1 = OnnxTensor.createTensor(ENV, b);
        OrtSession.Result result = session.run(Map.of("INPUT0", input0, "INPUT1", input1))) {
      int[][] sums = (int[][]) result.get("OUTPUT0").orElseThrow().getValue();
      int[][] differences = (int[][]) result.get("OUTPUT1").orElseThrow().getValue();
      assertEquals(3, sums.length);
      for (int row = 0; row < 3; row++) {
        for (int i = 0; i < 16; i++) {
          assertEquals(a[row][i] + b[row][i], sums[row][i]);
          assertEquals(a[row][i] - b[row][i], differences[row][i]);
        }
      }
    }
  }

  @Test
  void identityReturnsItsInputWhateverTheShape() throws OrtException {
    float[][] input = {{1.5f, -2f, 3f}, {Float.MAX_VALUE, 0f, -0.25f}};
    try (OrtSession session = open("identity_fp32");
        OnnxTensor tensor = OnnxTensor.createTensor(ENV, input);
        OrtSession.Result result = session.run(Map.of("INPUT0", tensor))) {
      float[][] output = (float[][]) result.get("OUTPUT0").orElseThrow().getValue();
      assertEquals(input.length, output.length);
      for (int row = 0; row < input.length; row++) {
        assertArrayEquals(input[row], output[row]);
      }
    }
  }

  @Test
  void recommenderGivesOneScoreStrictlyBetweenZeroAndOnePerRow() throws OrtException {
    int rows = 16;
    Random random = new Random(7);
    float[][] features = new float[rows][ExampleModels.RECOMMENDER_FEATURES];
    for (float[] row : features) {
      for (int i = 0; i < row.length; i++) {
        row[i] = (float) random.nextGaussian();
      }
    }
    try (OrtSession session = open("recommender_mlp");
        OnnxTensor tensor = OnnxTensor.createTensor(ENV, features);
        OrtSession.Result result = session.run(Map.of("features", tensor))) {
      float[][] scores = (float[][]) result.get("score").orElseThrow().getValue();
      assertEquals(rows, scores.length);
      for (float[] score : scores) {
        assertEquals(1, score.length);
        assertTrue(score[0] > 0f && score[0] < 1f, "score " + score[0]);
      }
      assertTrue(
          Arrays.stream(scores).map(s -> s[0]).distinct().count() > 1,
          "scores all equal: " + scores[0][0]);
    }
  }

  @Test
  void floorModelAnswersEachRowsMaximumInTheRecommendersShapes() throws Exception {
    float[][] features = new float[3][ExampleModels.RECOMMENDER_FEATURES];
    features[0][5] = 2.5f;
    features[1][255] = 7f;
    features[2][0] = -1f;
    try (OrtSession session = open(ExampleModels.FLOOR_MODEL);
        OnnxTensor tensor = OnnxTensor.createTensor(ENV, features);
        OrtSession.Result result = session.run(Map.of("features", tensor))) {
      float[][] scores = (float[][]) result.get("score").orElseThrow().getValue();
      assertArrayEquals(new float[] {2.5f}, scores[0]);
      assertArrayEquals(new float[] {7f}, scores[1]);
      assertArrayEquals(new float[] {0f}, scores[2]);
    }
    assertEquals(
        Files.readString(repository.resolve("recommender_mlp").resolve("config.yaml")),
        Files.readString(repository.resolve(ExampleModels.FLOOR_MODEL).resolve("config.yaml")),
        "the floor is served exactly as recommender_mlp is");
  }

  @Test
  void textEncoderGivesFiniteVaryingEmbeddingPerSequence() throws OrtException {
    int rows = 3;
    Random random = new Random(11);
    long[][] ids = new long[rows][ExampleModels.SEQUENCE_LENGTH];
    for (long[] row : ids) {
      for (int i = 0; i < row.length; i++) {
        row[i] = random.nextInt(ExampleModels.VOCABULARY);
      }
    }
    ids[0][0] = 0;
    ids[0][1] = ExampleModels.VOCABULARY - 1;
    try (OrtSession session = open("text_encoder");
        OnnxTensor tensor = OnnxTensor.createTensor(ENV, ids);
        OrtSession.Result result = session.run(Map.of("input_ids", tensor))) {
      float[][] embeddings = (float[][]) result.get("embedding").orElseThrow().getValue();
      assertEquals(rows, embeddings.length);
      for (float[] embedding : embeddings) {
        assertEquals(ExampleModels.EMBEDDING_WIDTH, embedding.length);
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float value : embedding) {
          assertTrue(Float.isFinite(value), "non-finite value " + value);
          min = Math.min(min, value);
          max = Math.max(max, value);
        }
        assertTrue(max > min, "constant embedding " + min);
      }
      assertTrue(
          !Arrays.equals(embeddings[0], embeddings[1]), "different sequences, same embedding");
    }
  }

  @Test
  void writingTwiceProducesIdenticalBytes(@TempDir Path other) throws IOException {
    ExampleModels.writeRepository(other);
    Map<Path, byte[]> first = contents(repository);
    Map<Path, byte[]> second = contents(other);
    assertEquals(first.keySet(), second.keySet());
    for (Path file : first.keySet()) {
      assertArrayEquals(first.get(file), second.get(file), file.toString());
    }
  }

  @Test
  void leavesFilesWithIdenticalBytesUntouched(@TempDir Path dir) throws IOException {
    ExampleModels.writeRepository(dir);
    FileTime past = FileTime.fromMillis(946_684_800_000L);
    Map<Path, byte[]> before = contents(dir);
    for (Path file : before.keySet()) {
      Files.setLastModifiedTime(dir.resolve(file), past);
    }
    Path changed = dir.resolve("identity_fp32").resolve("1").resolve("model.onnx");
    Files.write(changed, new byte[] {1, 2, 3});

    ExampleModels.writeRepository(dir);

    for (Path file : before.keySet()) {
      Path absolute = dir.resolve(file);
      assertArrayEquals(before.get(file), Files.readAllBytes(absolute), file.toString());
      if (!absolute.equals(changed)) {
        assertEquals(past, Files.getLastModifiedTime(absolute), file.toString());
      }
    }
  }

  private static OrtSession open(String model) throws OrtException {
    Path file = repository.resolve(model).resolve("1").resolve("model.onnx");
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      return ENV.createSession(file.toString(), options);
    }
  }

  /** Every regular file under {@code dir}, by its path relative to {@code dir}. */
  private static Map<Path, byte[]> contents(Path dir) throws IOException {
    Map<Path, byte[]> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path file : walk.filter(Files::isRegularFile).toList()) {
        files.put(dir.relativize(file), Files.readAllBytes(file));
      }
    }
    return files;
  }
}
