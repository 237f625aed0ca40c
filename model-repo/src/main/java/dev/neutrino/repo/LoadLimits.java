package dev.neutrino.repo;

/**
 * What one model's configuration may ask for, so that a configuration (on disk, or given with a load
 * request) cannot make the process create threads, allocate memory or hold the loader without bound.
 * A configuration over a limit fails its load with a message naming the field, the value and the
 * limit, before any instance is created or any warm-up tensor allocated.
 *
 * @param maxInstancesPerModel model instances of one model together ({@code instance_group} counts);
 *     each owns a thread and a session
 * @param maxThreadsPerInstance {@code intra_op_thread_count} and {@code inter_op_thread_count}
 * @param maxBatchSize {@code max_batch_size} and warm-up {@code batch_size}
 * @param maxWarmupCount {@code model_warmup} runs: each sample's {@code count}, and all samples' together
 * @param maxWarmupBytes one warm-up request's inputs together: rows times dims times element size
 */
public record LoadLimits(
    int maxInstancesPerModel,
    int maxThreadsPerInstance,
    int maxBatchSize,
    int maxWarmupCount,
    long maxWarmupBytes) {

  /** Instances per model for each core the models may use. */
  public static final int DEFAULT_INSTANCES_PER_CORE = 4;
  /** Rows of one batch; far above what a batch of a real model holds, far below what exhausts memory. */
  public static final int DEFAULT_MAX_BATCH_SIZE = 65_536;
  /** Warm-up runs of one model (per instance). */
  public static final int DEFAULT_MAX_WARMUP_COUNT = 1_000;
  /** One warm-up request's bytes: the gateway's default largest request. */
  public static final long DEFAULT_MAX_WARMUP_BYTES = 64L << 20;

  public LoadLimits {
    if (maxInstancesPerModel < 1) {
      throw new IllegalArgumentException("maxInstancesPerModel must be >= 1, got " + maxInstancesPerModel);
    }
    if (maxThreadsPerInstance < 1) {
      throw new IllegalArgumentException("maxThreadsPerInstance must be >= 1, got " + maxThreadsPerInstance);
    }
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + maxBatchSize);
    }
    if (maxWarmupCount < 1) {
      throw new IllegalArgumentException("maxWarmupCount must be >= 1, got " + maxWarmupCount);
    }
    if (maxWarmupBytes < 1) {
      throw new IllegalArgumentException("maxWarmupBytes must be >= 1, got " + maxWarmupBytes);
    }
  }

  /**
   * The defaults for a process whose models may use {@code cores} cores: at most
   * {@value #DEFAULT_INSTANCES_PER_CORE} instances per core per model, at most {@code cores} threads
   * per instance, and a warm-up request no larger than {@code maxRequestBytes}, the largest request
   * the gateway accepts.
   */
  public static LoadLimits forCores(int cores, long maxRequestBytes) {
    if (cores < 1) {
      throw new IllegalArgumentException("cores must be >= 1, got " + cores);
    }
    return new LoadLimits((int) Math.min(Integer.MAX_VALUE, (long) cores * DEFAULT_INSTANCES_PER_CORE), cores,
        DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_WARMUP_COUNT, maxRequestBytes);
  }

  /** {@link #forCores(int, long)} with {@link #DEFAULT_MAX_WARMUP_BYTES}. */
  public static LoadLimits forCores(int cores) {
    return forCores(cores, DEFAULT_MAX_WARMUP_BYTES);
  }
}
