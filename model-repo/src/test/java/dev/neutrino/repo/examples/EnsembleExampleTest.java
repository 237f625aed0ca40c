package dev.neutrino.repo.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example ensemble's files and the scoring model it adds. */
class EnsembleExampleTest {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  @TempDir static Path repository;

  @BeforeAll
  static void writeRepository() throws IOException {
    ExampleModels.writeRepository(repository);
  }

  @Test
  void writesTheEnsembleWithAnEmptyVersionFolderBesideItsScorer() throws IOException {
    assertTrue(Files.isRegularFile(repository.resolve("embedding_scorer/1/model.onnx")));
    assertTrue(Files.isRegularFile(repository.resolve("embedding_scorer/config.yaml")));
    try (var files = Files.list(repository.resolve("text_scorer/1"))) {
      assertEquals(0, files.count());
    }
    String config = Files.readString(repository.resolve("text_scorer/config.yaml"));
    assertTrue(config.startsWith("platform: ensemble\n"), config);
    assertTrue(config.contains("model_name: text_encoder") && config.contains("model_name: embedding_scorer"));
  }

  @Test
  void scorerMapsEmbeddingsIntoTheOpenUnitIntervalWithItsBias() throws OrtException {
    float[][] embeddings = new float[3][384];
    Random random = new Random(9);
    for (int row = 1; row < 3; row++) {
      for (int i = 0; i < 384; i++) {
        embeddings[row][i] = (float) random.nextGaussian();
      }
    }
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = ENV.createSession(
              repository.resolve("embedding_scorer/1/model.onnx").toString(), options);
          OnnxTensor input = OnnxTensor.createTensor(ENV, embeddings);
          OrtSession.Result result = session.run(Map.of("embedding", input))) {
        float[][] scores = (float[][]) result.get("score").orElseThrow().getValue();
        assertEquals(1 / (1 + Math.exp(-0.1)), scores[0][0], 1e-6, "a zero embedding scores sigmoid(bias)");
        for (float[] score : scores) {
          assertEquals(1, score.length);
          assertTrue(score[0] > 0 && score[0] < 1, "score " + score[0]);
        }
        assertTrue(scores[1][0] != scores[2][0], "different embeddings score differently");
      }
    }
  }
}
