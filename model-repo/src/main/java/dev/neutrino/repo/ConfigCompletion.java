package dev.neutrino.repo;

/**
 * How a model's configuration is completed from the model file, as Triton's auto-complete does it:
 * inputs and outputs the configuration leaves out come from the model; a model whose every input and
 * output has a variable first dimension batches, with {@code max_batch_size} {@code defaultMaxBatchSize}
 * when the configuration does not say; and a model that batches by more than one row, with no
 * scheduler configured, gets the dynamic batcher with its default settings.
 *
 * @param enabled false is Triton's {@code --disable-auto-complete-config} ({@code --strict-model-config}):
 *     the configuration must then declare every input and output, and is used exactly as written
 * @param defaultMaxBatchSize Triton's {@code --backend-config=onnxruntime,default-max-batch-size=N};
 *     0 completes batchable models as not batching
 */
public record ConfigCompletion(boolean enabled, int defaultMaxBatchSize) {
  /** Triton's default-max-batch-size. */
  public static final int DEFAULT_MAX_BATCH_SIZE = 4;

  /** Auto-complete on, with Triton's default batch size. */
  public static final ConfigCompletion DEFAULT = new ConfigCompletion(true, DEFAULT_MAX_BATCH_SIZE);

  /** Auto-complete off. */
  public static final ConfigCompletion STRICT = new ConfigCompletion(false, DEFAULT_MAX_BATCH_SIZE);

  public ConfigCompletion {
    if (defaultMaxBatchSize < 0) {
      throw new IllegalArgumentException("default-max-batch-size must be >= 0, got " + defaultMaxBatchSize);
    }
  }
}
