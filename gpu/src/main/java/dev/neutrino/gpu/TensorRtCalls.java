package dev.neutrino.gpu;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.tensorrt.global.nvinfer;

/** TensorRT's probe; only reached once CUDA is known to be usable. */
final class TensorRtCalls {
  private TensorRtCalls() {}

  /** Loads nvinfer and returns its version, for example {@code 10.15.1}. */
  static String probe() {
    Loader.load(nvinfer.class);
    return nvinfer.getInferLibMajorVersion() + "." + nvinfer.getInferLibMinorVersion() + "."
        + nvinfer.getInferLibPatchVersion();
  }
}
