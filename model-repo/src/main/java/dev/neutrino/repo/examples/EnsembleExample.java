package dev.neutrino.repo.examples;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * The example ensemble and the model it adds:
 *
 * <ul>
 *   <li>{@code embedding_scorer}: FP32 {@code embedding} [-1,384] to a score in (0,1),
 *       {@code score} [-1,1] (one dense layer and a sigmoid), batching like the text encoder.
 *   <li>{@code text_scorer}: an ensemble ({@code platform: ensemble}) that runs {@code text_encoder}
 *       on INT64 {@code input_ids} [-1,128] and feeds its embedding to {@code embedding_scorer}:
 *       token ids in, FP32 {@code score} [-1,1] out, the embedding never leaving the server.
 * </ul>
 */
final class EnsembleExample {
  private static final String SCORER_CONFIG =
      """
      max_batch_size: 32
      input:
        - name: embedding
          data_type: TYPE_FP32
          dims: [384]
      output:
        - name: score
          data_type: TYPE_FP32
          dims: [1]
      dynamic_batching:
        preferred_batch_size: [8, 16, 32]
        max_queue_delay_microseconds: 0   # batches form while the instance is busy; a lone request never waits
      instance_group:
        - count: 1
          kind: KIND_CPU
      """;

  private static final String ENSEMBLE_CONFIG =
      """
      platform: ensemble
      max_batch_size: 32
      input:
        - name: input_ids
          data_type: TYPE_INT64
          dims: [128]
      output:
        - name: score
          data_type: TYPE_FP32
          dims: [1]
      ensemble_scheduling:
        step:
          - model_name: text_encoder
            model_version: -1
            input_map: {input_ids: input_ids}
            output_map: {embedding: sentence_embedding}
          - model_name: embedding_scorer
            model_version: -1
            input_map: {embedding: sentence_embedding}
            output_map: {score: score}
      """;

  private EnsembleExample() {}

  /** Writes both models under {@code dir}; the ensemble's version folder is empty, as Triton's are. */
  static void write(Path dir) throws IOException {
    ExampleModels.writeIfChanged(dir.resolve("embedding_scorer").resolve("1").resolve("model.onnx"),
        embeddingScorer());
    ExampleModels.writeIfChanged(dir.resolve("embedding_scorer").resolve("config.yaml"),
        SCORER_CONFIG.getBytes(StandardCharsets.UTF_8));
    Files.createDirectories(dir.resolve("text_scorer").resolve("1"));
    ExampleModels.writeIfChanged(dir.resolve("text_scorer").resolve("config.yaml"),
        ENSEMBLE_CONFIG.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code score = sigmoid(embedding . w + b)}, w Gaussian with variance 1/384 from a fixed seed. */
  static byte[] embeddingScorer() {
    Random random = new Random(0x5EED_0003L);
    int width = ExampleModels.EMBEDDING_WIDTH;
    float[] weights = new float[width];
    for (int i = 0; i < width; i++) {
      weights[i] = (float) (random.nextGaussian() * Math.sqrt(1.0 / width));
    }
    return new OnnxModelBuilder("embedding_scorer")
        .input("embedding", DataType.FP32, -1, width)
        .output("score", DataType.FP32, -1, 1)
        .initializer("dense.weight", new long[] {width, 1}, weights)
        .initializer("dense.bias", new long[] {1}, new float[] {0.1f})
        .node("Gemm", List.of("embedding", "dense.weight", "dense.bias"), List.of("dense.out"))
        .node("Sigmoid", List.of("dense.out"), List.of("score"))
        .toByteArray();
  }
}
