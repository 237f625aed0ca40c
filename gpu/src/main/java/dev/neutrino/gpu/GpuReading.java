package dev.neutrino.gpu;

import java.util.Objects;

/**
 * One GPU as NVML sees it at one moment.
 *
 * @param index the device's index (as CUDA and {@code instance_group.gpus} count)
 * @param name the product name, for example {@code NVIDIA H100 80GB HBM3}
 * @param uuid the device's UUID ({@code GPU-...}), as Triton labels its GPU metrics
 * @param utilization the share of the last sample period in which a kernel ran, 0 to 1; NaN where the
 *     device does not report it
 * @param memoryUsedBytes device memory in use, by every process
 * @param memoryTotalBytes the device's memory
 */
public record GpuReading(int index, String name, String uuid, double utilization, long memoryUsedBytes, long memoryTotalBytes) {
  public GpuReading {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uuid, "uuid");
    if (index < 0) {
      throw new IllegalArgumentException("index must be >= 0, got " + index);
    }
  }
}
