package dev.neutrino.gpu;

import dev.neutrino.runtime.DeviceMemory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the GPUs' utilisation and memory through NVML. Where NVML is not usable (no driver, no GPU,
 * the CPU build), {@link #read()} answers an empty list and {@link #whyAbsent()} says why.
 *
 * <p>Thread-safety: {@link #read()} may be called from any thread (NVML is thread-safe); each call
 * asks the driver afresh.
 */
public final class GpuMonitor {
  private final GpuLibraries.Availability nvml;

  private GpuMonitor(GpuLibraries.Availability nvml) {
    this.nvml = nvml;
  }

  /** A monitor over this process's NVML. */
  public static GpuMonitor nvml() {
    return new GpuMonitor(GpuLibraries.nvml());
  }

  /** Whether readings come from a driver. */
  public boolean present() {
    return nvml.usable();
  }

  /** Why there are no readings; empty when {@link #present()}. */
  public String whyAbsent() {
    return nvml.reason();
  }

  /** Every GPU's reading now; empty where NVML is absent. */
  public List<GpuReading> read() {
    if (!nvml.usable()) {
      return List.of();
    }
    return NvmlCalls.read();
  }

  /** The memory in use on each GPU, read afresh at each call; {@link DeviceMemory#NONE} where NVML is absent. */
  public DeviceMemory deviceMemory() {
    if (!nvml.usable()) {
      return DeviceMemory.NONE;
    }
    return () -> {
      Map<Integer, Long> used = new HashMap<>();
      for (GpuReading reading : read()) {
        used.put(reading.index(), reading.memoryUsedBytes());
      }
      return used;
    };
  }
}
