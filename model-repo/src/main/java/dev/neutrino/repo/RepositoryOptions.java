package dev.neutrino.repo;

import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.runtime.ComputePriority;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * How the repository loads models.
 *
 * @param cpuThreads cores the model instances may use together; each instance's intra-op threads are
 *     this divided by the model's instance count (at least 1)
 * @param schedulerOptions queue limits for models without {@code dynamic_batching}
 * @param controlMode who decides what is loaded
 * @param pollInterval how often poll mode rescans
 * @param startupModels in explicit mode, the models to load at start ({@code *} for all)
 * @param memoryBudgetBytes with residency: loaded models' footprint stays under this, least recently
 *     used models are unloaded to make room, and models load on first request; 0 turns it off
 * @param responseCacheBytes the response cache's budget; 0 turns it off
 * @param limits what one model's configuration may ask for
 * @param loaderThreads loads of different models that may run at once; loads of one model run one
 *     at a time, in order
 * @param completion how configurations are completed from the model files (Triton's auto-complete)
 * @param computeNice the nice value of the threads that run the models (instances, ONNX Runtime's
 *     intra-op threads; {@link ComputePriority}); 0 leaves them at the process's priority
 */
public record RepositoryOptions(
    int cpuThreads,
    SchedulerOptions schedulerOptions,
    ModelControlMode controlMode,
    Duration pollInterval,
    Set<String> startupModels,
    long memoryBudgetBytes,
    long responseCacheBytes,
    LoadLimits limits,
    int loaderThreads,
    ConfigCompletion completion,
    int computeNice) {

  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(15);
  /** Two loads at once: a slow load leaves a thread for every other model's load. */
  public static final int DEFAULT_LOADER_THREADS = 2;

  public RepositoryOptions {
    Objects.requireNonNull(schedulerOptions, "schedulerOptions");
    Objects.requireNonNull(controlMode, "controlMode");
    Objects.requireNonNull(pollInterval, "pollInterval");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(completion, "completion");
    startupModels = Set.copyOf(startupModels);
    if (cpuThreads < 1) {
      throw new IllegalArgumentException("cpuThreads must be >= 1, got " + cpuThreads);
    }
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("repository poll interval must be positive, got " + pollInterval);
    }
    if (memoryBudgetBytes < 0) {
      throw new IllegalArgumentException("model memory budget must be >= 0, got " + memoryBudgetBytes);
    }
    if (responseCacheBytes < 0) {
      throw new IllegalArgumentException("response cache size must be >= 0, got " + responseCacheBytes);
    }
    if (loaderThreads < 1) {
      throw new IllegalArgumentException("loaderThreads must be >= 1, got " + loaderThreads);
    }
    ComputePriority.requireNice(computeNice, "compute_nice");
  }

  /** Load everything at start, no polling, no residency, no cache, the default limits for {@code cpuThreads}. */
  public RepositoryOptions(int cpuThreads, SchedulerOptions schedulerOptions) {
    this(cpuThreads, schedulerOptions, ModelControlMode.NONE, DEFAULT_POLL_INTERVAL, Set.of(), 0, 0,
        LoadLimits.forCores(Math.max(1, cpuThreads)), DEFAULT_LOADER_THREADS,
        ConfigCompletion.DEFAULT, ComputePriority.UNCHANGED);
  }

  public static RepositoryOptions defaults() {
    return new RepositoryOptions(Runtime.getRuntime().availableProcessors(), SchedulerOptions.DEFAULT);
  }

  public RepositoryOptions withControlMode(ModelControlMode mode, Duration poll, Set<String> startup) {
    return new RepositoryOptions(cpuThreads, schedulerOptions, mode, poll, startup, memoryBudgetBytes,
        responseCacheBytes, limits, loaderThreads, completion, computeNice);
  }

  public RepositoryOptions withMemoryBudget(long bytes) {
    return new RepositoryOptions(cpuThreads, schedulerOptions, controlMode, pollInterval, startupModels, bytes,
        responseCacheBytes, limits, loaderThreads, completion, computeNice);
  }

  public RepositoryOptions withResponseCache(long bytes) {
    return new RepositoryOptions(cpuThreads, schedulerOptions, controlMode, pollInterval, startupModels,
        memoryBudgetBytes, bytes, limits, loaderThreads, completion, computeNice);
  }

  public RepositoryOptions withLimits(LoadLimits newLimits) {
    return new RepositoryOptions(cpuThreads, schedulerOptions, controlMode, pollInterval, startupModels,
        memoryBudgetBytes, responseCacheBytes, newLimits, loaderThreads, completion, computeNice);
  }

  public RepositoryOptions withLoaderThreads(int threads) {
    return new RepositoryOptions(cpuThreads, schedulerOptions, controlMode, pollInterval, startupModels,
        memoryBudgetBytes, responseCacheBytes, limits, threads, completion, computeNice);
  }

  public RepositoryOptions withComputeNice(int nice) {
    return new RepositoryOptions(cpuThreads, schedulerOptions, controlMode, pollInterval, startupModels,
        memoryBudgetBytes, responseCacheBytes, limits, loaderThreads, completion, nice);
  }

  public RepositoryOptions withCompletion(ConfigCompletion newCompletion) {
    return new RepositoryOptions(cpuThreads, schedulerOptions, controlMode, pollInterval, startupModels,
        memoryBudgetBytes, responseCacheBytes, limits, loaderThreads, newCompletion, computeNice);
  }
}
