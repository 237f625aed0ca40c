package dev.neutrino.gateway.metrics;

import dev.neutrino.batching.BatchTimes;
import dev.neutrino.batching.SchedulerStats;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.repo.ResponseCache;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Reads a {@link VersionSeries} as {@link ModelStatistics}. */
final class Statistics {
  private Statistics() {}

  static ModelStatistics of(VersionSeries series) {
    LatencyHistogram.Snapshot success = LatencyHistogram.Snapshot.EMPTY;
    LatencyHistogram.Snapshot queue = LatencyHistogram.Snapshot.EMPTY;
    LatencyHistogram.Snapshot input = LatencyHistogram.Snapshot.EMPTY;
    LatencyHistogram.Snapshot infer = LatencyHistogram.Snapshot.EMPTY;
    LatencyHistogram.Snapshot output = LatencyHistogram.Snapshot.EMPTY;
    long failures = 0;
    for (Protocol protocol : Protocol.values()) {
      VersionSeries.Side side = series.side(protocol);
      success = success.plus(side.request.snapshot());
      queue = queue.plus(side.queue.snapshot());
      input = input.plus(side.computeInput.snapshot());
      infer = infer.plus(side.computeInfer.snapshot());
      output = output.plus(side.computeOutput.snapshot());
      for (Map.Entry<String, Long> code : side.codes().entrySet()) {
        if (!code.getKey().equals(protocol.successCode())) {
          failures += code.getValue();
        }
      }
    }
    ResponseCache.Stats cache = ResponseCache.Stats.NONE;
    ModelVersion newest = series.newest();
    if (newest != null && newest.cached()) {
      cache = newest.cacheStats();
    }
    SchedulerStats scheduler = series.schedulerStats();
    List<ModelStatistics.BatchStatistics> batches = new ArrayList<>();
    scheduler.batchTimes().forEach((size, times) -> batches.add(batch(size, times)));
    return new ModelStatistics(series.model, series.version, series.lastInferenceMillis(), scheduler.rows(),
        scheduler.batches(), new ModelStatistics.InferStatistics(
            duration(success), new ModelStatistics.Duration(failures, series.failNanos()), duration(queue),
            duration(input), duration(infer), duration(output),
            new ModelStatistics.Duration(cache.hits(), cache.hitNanos()),
            new ModelStatistics.Duration(cache.misses(), cache.missNanos())),
        batches, memoryUsage(newest));
  }

  /**
   * What a version's open instance holds, as Triton reports it: the device memory its load took on
   * each GPU ({@link ModelVersion#gpuMemoryBytes()}), or else its estimated footprint (the model's
   * files once per instance, {@link ModelVersion#footprintBytes()}) on the device its instances run
   * on. Empty when no instance is open or neither is known.
   */
  static List<ModelStatistics.MemoryUsage> memoryUsage(ModelVersion version) {
    if (version == null || version.isClosed()) {
      return List.of();
    }
    return memoryUsage(version.device(), version.footprintBytes(), version.gpuMemoryBytes());
  }

  /**
   * A version's {@code memory_usage}: the device memory its load took on each GPU ({@code gpuMemoryBytes},
   * measured through NVML), in GPU order; where none was measured, its estimated {@code footprintBytes}
   * on {@code device}; empty when that is unknown too.
   */
  static List<ModelStatistics.MemoryUsage> memoryUsage(String device, long footprintBytes,
      Map<Integer, Long> gpuMemoryBytes) {
    if (!gpuMemoryBytes.isEmpty()) {
      List<ModelStatistics.MemoryUsage> usage = new ArrayList<>();
      new TreeMap<>(gpuMemoryBytes).forEach((id, bytes) ->
          usage.add(new ModelStatistics.MemoryUsage("GPU", id, bytes)));
      return List.copyOf(usage);
    }
    if (footprintBytes <= 0) {
      return List.of();
    }
    int colon = device.indexOf(':');
    if (colon < 0) {
      return List.of(new ModelStatistics.MemoryUsage("CPU", 0, footprintBytes));
    }
    // An accelerator, named "<provider>:<ordinal>" (cuda:0, tensorrt:1).
    long id;
    try {
      id = Long.parseLong(device.substring(colon + 1));
    } catch (NumberFormatException e) {
      id = 0;
    }
    return List.of(new ModelStatistics.MemoryUsage("GPU", id, footprintBytes));
  }

  private static ModelStatistics.Duration duration(LatencyHistogram.Snapshot snapshot) {
    return new ModelStatistics.Duration(snapshot.count(), snapshot.sumNanos());
  }

  private static ModelStatistics.BatchStatistics batch(int size, BatchTimes times) {
    return new ModelStatistics.BatchStatistics(size,
        new ModelStatistics.Duration(times.count(), times.computeInputNanos()),
        new ModelStatistics.Duration(times.count(), times.computeInferNanos()),
        new ModelStatistics.Duration(times.count(), times.computeOutputNanos()));
  }
}
