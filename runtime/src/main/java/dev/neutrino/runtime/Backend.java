package dev.neutrino.runtime;

import java.nio.file.Path;

/**
 * A way of running models: ONNX Runtime, native TensorRT engines. Implementations are
 * thread-safe; loading blocks and must run on a worker thread, never on an event loop.
 */
public interface Backend {

  /** A short, stable name, as Triton's {@code backend} field spells it (for example {@code onnxruntime}). */
  String name();

  /** Triton's {@code platform} string for models of this backend (for example {@code onnxruntime_onnx}). */
  String platform();

  /** The file name this backend expects inside a version folder (for example {@code model.onnx}). */
  String defaultModelFileName();

  /**
   * Loads one instance of the model in {@code modelFile}.
   *
   * @throws ModelLoadException when the file cannot be loaded, or the device is unavailable and
   *     {@link LoadOptions#strictDevice()} is set
   */
  LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException;

  /**
   * The backend that runs a model whose configuration names {@code platform} and {@code backend}
   * (either may be null): this one, unless this is a set of backends ({@link Backends}).
   */
  default Backend forModel(String platform, String backend) {
    return this;
  }
}
