package dev.neutrino.runtime;

import java.util.Objects;

/**
 * How to load one instance of a model.
 *
 * @param device where to run it
 * @param deviceId which GPU, for GPU devices
 * @param intraOpThreads threads the runtime may use inside one run; at least 1
 * @param strictDevice fail when {@code device} is not available, instead of falling back to CPU
 * @param gpu the GPU providers' options, used when {@code device} is not the CPU
 */
public record LoadOptions(Device device, int deviceId, int intraOpThreads, boolean strictDevice, GpuOptions gpu) {
  public static final int DEFAULT_INTRA_OP_THREADS = 1;

  public LoadOptions {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(gpu, "gpu");
    if (deviceId < 0) {
      throw new IllegalArgumentException("deviceId must be >= 0, got " + deviceId);
    }
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
    }
  }

  /** Options with the GPU providers' defaults. */
  public LoadOptions(Device device, int deviceId, int intraOpThreads, boolean strictDevice) {
    this(device, deviceId, intraOpThreads, strictDevice, GpuOptions.NONE);
  }

  public static LoadOptions cpu(int intraOpThreads) {
    return new LoadOptions(Device.CPU, 0, intraOpThreads, false);
  }
}
