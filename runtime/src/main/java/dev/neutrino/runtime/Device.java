package dev.neutrino.runtime;

/** Where a model runs. */
public enum Device {
  /** The host CPU: always present. */
  CPU,
  /** An NVIDIA GPU through ONNX Runtime's CUDA execution provider. */
  CUDA,
  /** An NVIDIA GPU through ONNX Runtime's TensorRT execution provider. */
  TENSORRT
}
