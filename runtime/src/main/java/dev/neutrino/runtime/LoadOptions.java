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
 * @param wideIntraOpThreads on the CPU, threads of a second, wide session over the same model that the
 *     instance runs a batch on when no other instance of its model is busy
 *     ({@link LoadedModel#runWide}); 0 for none, else more than {@code intraOpThreads}. The adaptive
 *     instance layout: a lone request gets every core the model may use, while under load each
 *     instance keeps to its share. It costs a second copy of the model's weights per instance.
 * @param computeNice the nice value of the threads the runtime creates for the instance (its intra-op
 *     pools), {@link ComputePriority#UNCHANGED} to leave them at the process's
 */
public record LoadOptions(Device device, int deviceId, int intraOpThreads, boolean strictDevice, GpuOptions gpu,
    int wideIntraOpThreads, int computeNice) {
  public static final int DEFAULT_INTRA_OP_THREADS = 1;
  /** No wide session: every batch runs with {@code intraOpThreads}. */
  public static final int NO_WIDE_SESSION = 0;

  public LoadOptions {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(gpu, "gpu");
    if (deviceId < 0) {
      throw new IllegalArgumentException("deviceId must be >= 0, got " + deviceId);
    }
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
    }
    if (wideIntraOpThreads != NO_WIDE_SESSION && wideIntraOpThreads <= intraOpThreads) {
      throw new IllegalArgumentException("wideIntraOpThreads must be 0 or more than intraOpThreads ("
          + intraOpThreads + "), got " + wideIntraOpThreads);
    }
    ComputePriority.requireNice(computeNice, "computeNice");
  }

  /** Options whose runtime threads keep the process's priority. */
  public LoadOptions(Device device, int deviceId, int intraOpThreads, boolean strictDevice, GpuOptions gpu,
      int wideIntraOpThreads) {
    this(device, deviceId, intraOpThreads, strictDevice, gpu, wideIntraOpThreads, ComputePriority.UNCHANGED);
  }

  /** Options without a wide session. */
  public LoadOptions(Device device, int deviceId, int intraOpThreads, boolean strictDevice, GpuOptions gpu) {
    this(device, deviceId, intraOpThreads, strictDevice, gpu, NO_WIDE_SESSION);
  }

  /** Options with the GPU providers' defaults. */
  public LoadOptions(Device device, int deviceId, int intraOpThreads, boolean strictDevice) {
    this(device, deviceId, intraOpThreads, strictDevice, GpuOptions.NONE);
  }

  public static LoadOptions cpu(int intraOpThreads) {
    return new LoadOptions(Device.CPU, 0, intraOpThreads, false);
  }

  /**
   * These options with a wide session of {@code threads} on the CPU; none when {@code threads} is
   * not more than {@link #intraOpThreads()} (a wide session would be no wider).
   */
  public LoadOptions withWideIntraOpThreads(int threads) {
    return new LoadOptions(device, deviceId, intraOpThreads, strictDevice, gpu,
        threads > intraOpThreads ? threads : NO_WIDE_SESSION, computeNice);
  }

  /** These options with the runtime's threads for the instance at {@code nice} ({@link ComputePriority}). */
  public LoadOptions withComputeNice(int nice) {
    return new LoadOptions(device, deviceId, intraOpThreads, strictDevice, gpu, wideIntraOpThreads, nice);
  }
}
