package dev.neutrino.gpu;

import static org.bytedeco.cuda.global.cudart.cudaDriverGetVersion;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;

/** The CUDA runtime calls; only reached once the presets are known to be on the class path. */
final class CudaCalls {
  private CudaCalls() {}

  /** Loads the runtime and counts devices; returns "runtime R, driver D" or throws. */
  static String probe() {
    Loader.load(cudart.class);
    int[] value = new int[1];
    check(cudaDriverGetVersion(value), "cudaDriverGetVersion");
    int driver = value[0];
    check(cudaRuntimeGetVersion(value), "cudaRuntimeGetVersion");
    int runtime = value[0];
    if (driver == 0) {
      throw new GpuException("CUDA: no NVIDIA driver is installed");
    }
    check(cudaGetDeviceCount(value), "cudaGetDeviceCount");
    if (value[0] == 0) {
      throw new GpuException("CUDA: no GPU is present");
    }
    return "runtime " + version(runtime) + ", driver " + version(driver);
  }

  /** CUDA's integer version (12040) as text (12.4). */
  static String version(int cuda) {
    return (cuda / 1000) + "." + (cuda % 1000) / 10;
  }

  /** Throws a {@link GpuException} naming {@code call} unless {@code status} is cudaSuccess. */
  static void check(int status, String call) {
    if (status != 0) {
      BytePointer text = cudaGetErrorString(status);
      throw new GpuException("CUDA " + call + " failed: " + (text == null ? "error " + status : text.getString())
          + " (" + status + ")");
    }
  }
}
