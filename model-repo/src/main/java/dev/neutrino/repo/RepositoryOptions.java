package dev.neutrino.repo;

import dev.neutrino.batching.SchedulerOptions;
import java.util.Objects;

/**
 * How the repository loads models.
 *
 * @param cpuThreads cores the model instances may use together; each instance's intra-op threads are
 *     this divided by the model's instance count (at least 1)
 * @param schedulerOptions queue limits for every model
 */
public record RepositoryOptions(int cpuThreads, SchedulerOptions schedulerOptions) {
  public RepositoryOptions {
    Objects.requireNonNull(schedulerOptions, "schedulerOptions");
    if (cpuThreads < 1) {
      throw new IllegalArgumentException("cpuThreads must be >= 1, got " + cpuThreads);
    }
  }

  public static RepositoryOptions defaults() {
    return new RepositoryOptions(Runtime.getRuntime().availableProcessors(), SchedulerOptions.DEFAULT);
  }
}
