package dev.neutrino.gpu.tensorrt;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How an engine is built from ONNX (what {@code trtexec --onnx ... --saveEngine} is told).
 *
 * @param fp16 allow FP16 kernels
 * @param int8 allow INT8 kernels, with scales from {@code calibration}
 * @param calibration a TensorRT calibration cache (the file TensorRT's calibrators write); required
 *     with {@code int8}, refused without it
 * @param minBatch the optimisation profile's smallest batch
 * @param optBatch the batch TensorRT tunes for
 * @param maxBatch the largest batch; larger batches run in slices of this size
 * @param workspaceBytes the builder's workspace limit; 0 leaves TensorRT's default
 */
public record EngineBuildOptions(
    boolean fp16, boolean int8, Path calibration, long minBatch, long optBatch, long maxBatch, long workspaceBytes) {
  public static final long DEFAULT_MIN_BATCH = 1;
  public static final long DEFAULT_OPT_BATCH = 8;
  public static final long DEFAULT_MAX_BATCH = 64;

  public EngineBuildOptions {
    if (int8 && calibration == null) {
      throw new IllegalArgumentException("--int8 needs --calibration FILE (a TensorRT calibration cache)");
    }
    if (!int8 && calibration != null) {
      throw new IllegalArgumentException("--calibration is only used with --int8");
    }
    if (minBatch < 1 || optBatch < minBatch || maxBatch < optBatch) {
      throw new IllegalArgumentException("--batch must be MIN:OPT:MAX with 1 <= MIN <= OPT <= MAX, got "
          + minBatch + ":" + optBatch + ":" + maxBatch);
    }
    if (workspaceBytes < 0) {
      throw new IllegalArgumentException("workspace must be >= 0, got " + workspaceBytes);
    }
  }

  /** FP32 with the default profile 1:8:64. */
  public static EngineBuildOptions defaults() {
    return new EngineBuildOptions(false, false, null, DEFAULT_MIN_BATCH, DEFAULT_OPT_BATCH, DEFAULT_MAX_BATCH, 0);
  }

  /** Reads {@code MIN:OPT:MAX}. */
  public EngineBuildOptions withBatch(String profile) {
    Objects.requireNonNull(profile, "profile");
    String[] parts = profile.split(":", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("--batch must be MIN:OPT:MAX, got '" + profile + "'");
    }
    long[] values = new long[3];
    for (int i = 0; i < 3; i++) {
      try {
        values[i] = Long.parseLong(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--batch must be MIN:OPT:MAX of integers, got '" + profile + "'");
      }
    }
    return new EngineBuildOptions(fp16, int8, calibration, values[0], values[1], values[2], workspaceBytes);
  }

  /** The options in a fixed order, for {@link EngineCacheKey}; the calibration file counts by its path. */
  String canonical() {
    return "fp16=" + fp16 + ";int8=" + int8 + ";calibration=" + (calibration == null ? "" : calibration)
        + ";batch=" + minBatch + ":" + optBatch + ":" + maxBatch + ";workspace=" + workspaceBytes;
  }
}
