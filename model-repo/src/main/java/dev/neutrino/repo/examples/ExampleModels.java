package dev.neutrino.repo.examples;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Generates the example model repository that tests, demos and benchmarks serve, in Triton's layout
 * ({@code <dir>/<model>/1/model.onnx}, plus {@code config.yaml} where a model has one).
 *
 * <ul>
 *   <li>{@code simple}: Triton's classic example; INT32 {@code OUTPUT0 = INPUT0 + INPUT1} and
 *       {@code OUTPUT1 = INPUT0 - INPUT1}, shape [-1,16], with a config.yaml.
 *   <li>{@code identity_fp32}: FP32 {@code OUTPUT0 = INPUT0}, shape [-1,-1].
 *   <li>{@code recommender_mlp}: a dense scoring model, FP32 {@code features} [-1,256] to a
 *       score in (0,1), {@code score} [-1,1]; about 1.8M parameters. Its config.yaml allows batches
 *       of 64 rows, turns dynamic batching on (preferred sizes 16, 32 and 64, no delay) and runs two
 *       instances in the adaptive layout.
 *   <li>{@code recommender_floor}: recommender_mlp's signature and configuration ({@code features}
 *       [-1,256] to {@code score} [-1,1], the same batching and instances) around a model that does
 *       as good as nothing: one ReduceMax over each row. Requests and responses have
 *       recommender_mlp's sizes, so {@code bench --scenario http-floor} measures the gateway's own
 *       transport floor on the same path (decode, batch, one ONNX Runtime call, encode) without the
 *       model's compute.
 *   <li>{@code text_encoder}: a sentence-embedding shaped model, INT64 {@code input_ids}
 *       [-1,128] to FP32 {@code embedding} [-1,384]: token embedding, a per-token feed-forward
 *       block with a residual connection, mean pooling over the sequence. Its config.yaml allows
 *       requests of 32 rows, batches up to four queued requests (a row costs less in a batch of 4) on two
 *       instances in the adaptive layout. Its {@code tokenizer.json} ({@link ExampleTokenizer}) is a WordPiece vocabulary of
 *       its 8192 ids, so {@code /v1/embeddings} embeds text with it.
 *   <li>{@code tiny_lm}: a small decoder-only transformer with a key/value cache, for generation
 *       ({@link TinyLanguageModel}).
 *   <li>{@code embedding_scorer} and the ensemble {@code text_scorer}: see {@link EnsembleExample}.
 * </ul>
 *
 * <p>Weights come from fixed seeds, so every build writes the same bytes; a file whose bytes are
 * already on disk is left untouched, which keeps rebuilds fast and modification times stable.
 */
public final class ExampleModels {
  /** Width of the recommender's input features. */
  static final int RECOMMENDER_FEATURES = 256;
  /** The do-nothing model with recommender_mlp's signature and configuration (the http-floor target). */
  public static final String FLOOR_MODEL = "recommender_floor";
  /** Tokens per text_encoder sequence. */
  static final int SEQUENCE_LENGTH = 128;
  /** Token ids the text_encoder accepts: 0 to VOCABULARY - 1. */
  static final int VOCABULARY = 8192;
  /** Width of the text_encoder's embedding. */
  static final int EMBEDDING_WIDTH = 384;

  private static final int TEXT_HIDDEN_WIDTH = 1536;
  private static final int[] RECOMMENDER_LAYERS = {RECOMMENDER_FEATURES, 1024, 1024, 512, 1};

  private static final String SIMPLE_CONFIG =
      """
      max_batch_size: 8
      input:
        - name: INPUT0
          data_type: TYPE_INT32
          dims: [16]
        - name: INPUT1
          data_type: TYPE_INT32
          dims: [16]
      output:
        - name: OUTPUT0
          data_type: TYPE_INT32
          dims: [16]
        - name: OUTPUT1
          data_type: TYPE_INT32
          dims: [16]
      instance_group:
        - count: 1
          kind: KIND_CPU
      """;

  private static final String RECOMMENDER_CONFIG =
      """
      max_batch_size: 64
      input:
        - name: features
          data_type: TYPE_FP32
          dims: [256]
      output:
        - name: score
          data_type: TYPE_FP32
          dims: [1]
      dynamic_batching:
        preferred_batch_size: [16, 32, 64]
        max_queue_delay_microseconds: 0   # batches form while the instances are busy; a lone request never waits
      instance_group:
        - count: 2   # under load, two instances on their share of the cores each beat one on all of them
          kind: KIND_CPU
      parameters:
        instance_layout: adaptive     # and a batch that runs alone gets every core
      """;

  private static final String TEXT_ENCODER_CONFIG =
      """
      max_batch_size: 32
      input:
        - name: input_ids
          data_type: TYPE_INT64
          dims: [128]
      output:
        - name: embedding
          data_type: TYPE_FP32
          dims: [384]
      dynamic_batching:
        preferred_batch_size: [4]         # up to four queued requests per run: a row costs less in a batch of 4
        max_queue_delay_microseconds: 0   # a lone request never waits
      instance_group:
        - count: 2                    # under load, the two instances run side by side
          kind: KIND_CPU
      parameters:
        instance_layout: adaptive     # a request that runs alone gets every core
        task: embeddings              # served by POST /v1/embeddings
        tokenizer: tokenizer.json     # in this folder; input_ids padded with [PAD] (id 0) to 128 tokens
        embedding_pooling: none       # the model pools already (the mean over the sequence)
        embedding_normalize: true     # unit-length embeddings
      """;

  private ExampleModels() {}

  /** Writes the repository into the directory given as the only argument. */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      // Thrown rather than System.exit: this runs inside Maven's JVM (exec:java).
      throw new IllegalArgumentException("usage: ExampleModels <repository-directory>");
    }
    Path dir = Paths.get(args[0]);
    writeRepository(dir);
    System.out.println("Example model repository written to " + dir.toAbsolutePath());
  }

  /** Writes (or brings up to date) every example model under {@code dir}, creating it if needed. */
  public static void writeRepository(Path dir) throws IOException {
    writeIfChanged(modelFile(dir, "simple"), simple());
    writeIfChanged(
        dir.resolve("simple").resolve("config.yaml"),
        SIMPLE_CONFIG.getBytes(StandardCharsets.UTF_8));
    writeIfChanged(modelFile(dir, "identity_fp32"), identityFp32());
    writeIfChanged(modelFile(dir, "recommender_mlp"), recommenderMlp());
    writeIfChanged(
        dir.resolve("recommender_mlp").resolve("config.yaml"),
        RECOMMENDER_CONFIG.getBytes(StandardCharsets.UTF_8));
    writeIfChanged(modelFile(dir, FLOOR_MODEL), recommenderFloor());
    writeIfChanged(
        dir.resolve(FLOOR_MODEL).resolve("config.yaml"),
        RECOMMENDER_CONFIG.getBytes(StandardCharsets.UTF_8));
    writeIfChanged(modelFile(dir, "text_encoder"), textEncoder());
    writeIfChanged(
        dir.resolve("text_encoder").resolve("config.yaml"),
        TEXT_ENCODER_CONFIG.getBytes(StandardCharsets.UTF_8));
    writeIfChanged(dir.resolve("text_encoder").resolve("tokenizer.json"), ExampleTokenizer.json(VOCABULARY));
    writeIfChanged(modelFile(dir, TinyLanguageModel.NAME), TinyLanguageModel.model());
    writeIfChanged(dir.resolve(TinyLanguageModel.NAME).resolve("config.yaml"),
        TinyLanguageModel.CONFIG.getBytes(StandardCharsets.UTF_8));
    EnsembleExample.write(dir);
  }

  static byte[] simple() {
    return new OnnxModelBuilder("simple")
        .input("INPUT0", DataType.INT32, -1, 16)
        .input("INPUT1", DataType.INT32, -1, 16)
        .output("OUTPUT0", DataType.INT32, -1, 16)
        .output("OUTPUT1", DataType.INT32, -1, 16)
        .node("Add", List.of("INPUT0", "INPUT1"), List.of("OUTPUT0"))
        .node("Sub", List.of("INPUT0", "INPUT1"), List.of("OUTPUT1"))
        .toByteArray();
  }

  static byte[] identityFp32() {
    return new OnnxModelBuilder("identity_fp32")
        .input("INPUT0", DataType.FP32, -1, -1)
        .output("OUTPUT0", DataType.FP32, -1, -1)
        .node("Identity", List.of("INPUT0"), List.of("OUTPUT0"))
        .toByteArray();
  }

  /**
   * Dense layers 256 -> 1024 -> 1024 -> 512 -> 1 (Gemm), Relu between them, Sigmoid at the end.
   * Hidden layers use He-scaled weights so activations keep their size through the Relus; the last
   * layer is scaled down so that scores for unit-sized features spread over (0,1) rather than
   * saturating at 0 or 1.
   */
  static byte[] recommenderMlp() {
    Random random = new Random(0x5EED_0001L);
    OnnxModelBuilder model =
        new OnnxModelBuilder("recommender_mlp")
            .input("features", DataType.FP32, -1, RECOMMENDER_FEATURES)
            .output("score", DataType.FP32, -1, 1);
    String activation = "features";
    int last = RECOMMENDER_LAYERS.length - 2;
    for (int layer = 0; layer <= last; layer++) {
      int in = RECOMMENDER_LAYERS[layer];
      int out = RECOMMENDER_LAYERS[layer + 1];
      double scale = layer == last ? Math.sqrt(1.0 / in) : Math.sqrt(2.0 / in);
      String weight = "dense" + layer + ".weight";
      String bias = "dense" + layer + ".bias";
      String linear = "dense" + layer + ".out";
      model
          .initializer(weight, new long[] {in, out}, gaussian(random, in * out, scale))
          .initializer(bias, new long[] {out}, gaussian(random, out, 0.01))
          .node("Gemm", List.of(activation, weight, bias), List.of(linear));
      if (layer == last) {
        model.node("Sigmoid", List.of(linear), List.of("score"));
      } else {
        activation = "dense" + layer + ".relu";
        model.node("Relu", List.of(linear), List.of(activation));
      }
    }
    return model.toByteArray();
  }

  /**
   * recommender_mlp's inputs and outputs around one ReduceMax over each row's features (axes [1],
   * keepdims 1): a single pass over the 256 floats it was sent, the least a graph can do and still
   * depend on its input. ONNX Runtime's per-call cost remains, as for every model the gateway serves,
   * so the floor is the gateway's path with a model that costs nothing of its own.
   */
  static byte[] recommenderFloor() {
    return new OnnxModelBuilder(FLOOR_MODEL)
        .input("features", DataType.FP32, -1, RECOMMENDER_FEATURES)
        .output("score", DataType.FP32, -1, 1)
        .node("ReduceMax", List.of("features"), List.of("score"), Map.of("axes", new long[] {1}, "keepdims", 1L))
        .toByteArray();
  }

  /**
   * Gather from an 8192 x 384 embedding table, then per token {@code x + W2 relu(W1 x + b1) + b2}
   * (384 -> 1536 -> 384, MatMul and Add on the [batch, 128, 384] tensor), then the mean over the
   * sequence axis (ReduceMean, axes [1], keepdims 0, as opset 13 spells it).
   */
  static byte[] textEncoder() {
    Random random = new Random(0x5EED_0002L);
    int width = EMBEDDING_WIDTH;
    int hidden = TEXT_HIDDEN_WIDTH;
    return new OnnxModelBuilder("text_encoder")
        .input("input_ids", DataType.INT64, -1, SEQUENCE_LENGTH)
        .output("embedding", DataType.FP32, -1, width)
        .initializer(
            "token_embedding",
            new long[] {VOCABULARY, width},
            gaussian(random, VOCABULARY * width, 1.0))
        .initializer(
            "ffn.up.weight",
            new long[] {width, hidden},
            gaussian(random, width * hidden, Math.sqrt(2.0 / width)))
        .initializer("ffn.up.bias", new long[] {hidden}, gaussian(random, hidden, 0.01))
        .initializer(
            "ffn.down.weight",
            new long[] {hidden, width},
            gaussian(random, hidden * width, Math.sqrt(1.0 / hidden)))
        .initializer("ffn.down.bias", new long[] {width}, gaussian(random, width, 0.01))
        .node(
            "Gather",
            List.of("token_embedding", "input_ids"),
            List.of("tokens"),
            Map.of("axis", 0L))
        .node("MatMul", List.of("tokens", "ffn.up.weight"), List.of("ffn.up.linear"))
        .node("Add", List.of("ffn.up.linear", "ffn.up.bias"), List.of("ffn.up.out"))
        .node("Relu", List.of("ffn.up.out"), List.of("ffn.hidden"))
        .node("MatMul", List.of("ffn.hidden", "ffn.down.weight"), List.of("ffn.down.linear"))
        .node("Add", List.of("ffn.down.linear", "ffn.down.bias"), List.of("ffn.out"))
        .node("Add", List.of("tokens", "ffn.out"), List.of("token_states"))
        .node(
            "ReduceMean",
            List.of("token_states"),
            List.of("embedding"),
            Map.of("axes", new long[] {1}, "keepdims", 0L))
        .toByteArray();
  }

  private static float[] gaussian(Random random, int count, double scale) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) (random.nextGaussian() * scale);
    }
    return values;
  }

  private static Path modelFile(Path dir, String model) {
    return dir.resolve(model).resolve("1").resolve("model.onnx");
  }

  /**
   * Writes {@code bytes} to {@code file} unless the file already holds exactly them. The new
   * content goes to a temporary file that is then moved into place, so a reader never sees half a
   * model.
   */
  static void writeIfChanged(Path file, byte[] bytes) throws IOException {
    if (Files.isRegularFile(file)
        && Files.size(file) == bytes.length
        && Arrays.equals(Files.readAllBytes(file), bytes)) {
      return;
    }
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path temporary = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
    try {
      Files.write(temporary, bytes);
      if (Files.getFileStore(temporary).supportsFileAttributeView(PosixFileAttributeView.class)) {
        // Temporary files are created private; a repository is meant to be read by others.
        Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-r--r--"));
      }
      Files.move(
          temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temporary);
    }
  }
}
