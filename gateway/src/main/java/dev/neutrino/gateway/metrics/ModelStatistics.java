package dev.neutrino.gateway.metrics;

import java.util.List;

/**
 * One model version's statistics, as Triton's statistics extension reports them (REST
 * {@code GET /v2/models/{m}/versions/{v}/stats}, gRPC {@code ModelStatistics}). Read from the same
 * counters as the metrics: {@code success} is {@code neutrino_request_duration_seconds}' count and sum,
 * {@code queue} and {@code compute_*} the matching histograms, {@code fail} the requests answered with
 * any other code, {@code inference_count} and {@code execution_count} the batch-size histogram's sum
 * and count, {@code cache_hit} and {@code cache_miss} the cache counters and their time
 * ({@code neutrino_cache_{hit,miss}_duration_seconds_total}), {@code memory_usage} the loaded version's
 * estimated footprint ({@code neutrino_model_memory_bytes}).
 *
 * @param lastInferenceMillis milliseconds since the epoch of the last successful request; 0 for none
 * @param inferenceCount rows run (a request of n rows counts n; cache hits are not runs)
 * @param executionCount batches run; {@code inferenceCount / executionCount} is the average batch size
 * @param batchStats one entry per batch size run, smallest first
 * @param memoryUsage the memory the loaded version holds, one entry per device; empty when unknown
 */
public record ModelStatistics(String name, String version, long lastInferenceMillis, long inferenceCount,
    long executionCount, InferStatistics inferenceStats, List<BatchStatistics> batchStats,
    List<MemoryUsage> memoryUsage) {

  public ModelStatistics {
    batchStats = List.copyOf(batchStats);
    memoryUsage = List.copyOf(memoryUsage);
  }

  /** A count and the nanoseconds spent over it (Triton's {@code StatisticDuration}). */
  public record Duration(long count, long ns) {
    public static final Duration ZERO = new Duration(0, 0);
  }

  /** Triton's {@code InferStatistics}: where the requests' time went. */
  public record InferStatistics(Duration success, Duration fail, Duration queue, Duration computeInput,
      Duration computeInfer, Duration computeOutput, Duration cacheHit, Duration cacheMiss) {}

  /** Triton's {@code InferBatchStatistics}: the batches of one size and their compute time. */
  public record BatchStatistics(long batchSize, Duration computeInput, Duration computeInfer,
      Duration computeOutput) {}

  /**
   * Triton's {@code MemoryUsage}: memory of one kind on one device.
   *
   * @param type {@code CPU}, {@code CPU_PINNED} or {@code GPU}
   * @param id the device's number among those of its type ({@code 0} for the CPU)
   */
  public record MemoryUsage(String type, long id, long byteSize) {}
}
