package dev.neutrino.gpu;

/** A CUDA, NVML or TensorRT call failed; the message names the call and its error. */
public final class GpuException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public GpuException(String message) {
    super(message, null, false, false);
  }
}
