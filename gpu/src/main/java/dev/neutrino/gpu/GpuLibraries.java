package dev.neutrino.gpu;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * Whether the CUDA runtime, NVML and TensorRT can be used in this process, found out once by trying
 * them and kept: a native library either loads into the JVM or it does not, and trying again only
 * turns the first {@link UnsatisfiedLinkError} into a {@link NoClassDefFoundError}.
 *
 * <p>The answers are process-wide facts computed on first use and never changed, so they are held in
 * lazily initialised constants (no mutable state). The probes are lambdas rather than method
 * references so that linking a call class happens inside the probe's {@code try}. Every call into the bytedeco presets goes through
 * a class of its own ({@code CudaCalls}, {@code NvmlCalls}, {@code TensorRtCalls}), touched only
 * after the probe said yes, so that the CPU build, which has neither the presets' classes nor their
 * natives, never fails anywhere else.
 */
public final class GpuLibraries {
  /** What a build without the presets says. */
  public static final String NOT_IN_THIS_BUILD =
      "the CUDA and TensorRT libraries are not in this build (build and run the GPU build: ./neutrino serve --gpu)";

  private GpuLibraries() {}

  /** A library's state: usable, or why not. */
  public record Availability(boolean usable, String reason, String version) {
    static Availability usable(String version) {
      return new Availability(true, "", version);
    }

    static Availability missing(String reason) {
      return new Availability(false, reason, "");
    }

    /** The reason, for a library that is not usable. */
    public Optional<String> whyNot() {
      return usable ? Optional.empty() : Optional.of(reason);
    }
  }

  /** The CUDA runtime with at least one device; the version is the runtime's and the driver's. */
  public static Availability cuda() {
    return CudaHolder.CUDA;
  }

  /** NVML, the driver's management library (utilisation and memory of each GPU). */
  public static Availability nvml() {
    return NvmlHolder.NVML;
  }

  /** TensorRT's runtime library (nvinfer), whose version it reports; needs {@link #cuda()}. */
  public static Availability tensorrt() {
    return TensorRtHolder.TENSORRT;
  }

  private static final class CudaHolder {
    static final Availability CUDA = probe("CUDA", () -> CudaCalls.probe());
  }

  private static final class NvmlHolder {
    static final Availability NVML = probe("NVML", () -> NvmlCalls.probe());
  }

  private static final class TensorRtHolder {
    static final Availability TENSORRT = cuda().usable()
        ? probe("TensorRT", () -> TensorRtCalls.probe())
        : Availability.missing("TensorRT needs CUDA: " + cuda().reason());
  }

  /**
   * Runs a probe that returns the version or throws. {@link NoClassDefFoundError} for a class of the
   * presets means they are not on the class path at all (the CPU build).
   */
  static Availability probe(String library, Supplier<String> probe) {
    try {
      return Availability.usable(probe.get());
    } catch (NoClassDefFoundError e) {
      String missing = String.valueOf(e.getMessage());
      return Availability.missing(missing.startsWith("org/bytedeco") || missing.startsWith("org.bytedeco")
          ? NOT_IN_THIS_BUILD
          : library + " cannot be loaded: " + nativeMessage(e));
    } catch (UnsatisfiedLinkError | ExceptionInInitializerError e) {
      return Availability.missing(library + " cannot be loaded: " + nativeMessage(e));
    } catch (GpuException e) {
      return Availability.missing(e.getMessage());
    } catch (RuntimeException e) {
      return Availability.missing(library + " cannot be used: " + nativeMessage(e));
    }
  }

  /** An absolute path: the loader names the unpacked library it tried; only the file name is kept. */
  private static final java.util.regex.Pattern ABSOLUTE_PATH =
      java.util.regex.Pattern.compile("(?<![\\w.])/(?:[^\\s/:]+/)+([^\\s/:]+)");

  /** A native loader's message, first line only, without the library paths it searched or tried. */
  static String nativeMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    int newline = message.indexOf('\n');
    if (newline >= 0) {
      message = message.substring(0, newline);
    }
    int paths = message.indexOf(" in java.library.path");
    if (paths >= 0) {
      message = message.substring(0, paths) + " in the library path";
    }
    message = ABSOLUTE_PATH.matcher(message).replaceAll("$1");
    return message.length() > 240 ? message.substring(0, 240) + "..." : message;
  }
}
