package dev.neutrino.gpu.tensorrt;

import dev.neutrino.gpu.GpuException;
import dev.neutrino.gpu.GpuLibraries;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Runs serialised TensorRT engines ({@code platform: "tensorrt_plan"}, {@code 1/model.plan}) through
 * the bytedeco presets: each instance deserialises the engine on its GPU and owns an execution context,
 * a CUDA stream and pinned buffers ({@code TrtEngineModel}).
 *
 * <p>Where TensorRT cannot be used (no GPU, no driver, the CPU build; found once per process by
 * {@link GpuLibraries}), a load fails under {@link LoadOptions#strictDevice()}; otherwise, when the
 * version folder also holds {@code model.onnx}, that model is loaded on the CPU through
 * {@code fallback} with a warning, and the instance's {@link LoadedModel#device()} says {@code cpu}.
 *
 * <p>An engine that does not deserialise on this GPU (built for another GPU or TensorRT version) is
 * rebuilt from the {@code model.onnx} beside it when there is one, with the default build options,
 * into {@code engineCache} under an {@link EngineCacheKey}, so the next load finds it there.
 *
 * <p>Thread-safety: {@link #load} may be called from any number of threads; it blocks.
 */
public final class TensorRtBackend implements Backend {
  public static final String NAME = "tensorrt";
  public static final String PLATFORM = "tensorrt_plan";
  public static final String DEFAULT_MODEL_FILE_NAME = "model.plan";
  /** The file beside an engine that stands in for it on the CPU, and that it is rebuilt from. */
  public static final String ONNX_SOURCE = "model.onnx";

  private static final System.Logger LOG = System.getLogger(TensorRtBackend.class.getName());

  private final Backend fallback;
  private final GpuLibraries.Availability tensorrt;
  private final Path engineCache;

  private TensorRtBackend(Backend fallback, GpuLibraries.Availability tensorrt, Path engineCache) {
    this.fallback = Objects.requireNonNull(fallback, "fallback");
    this.tensorrt = tensorrt;
    this.engineCache = Objects.requireNonNull(engineCache, "engineCache");
  }

  /**
   * A backend over this process's TensorRT.
   *
   * @param fallback runs {@code model.onnx} on the CPU when TensorRT cannot (ONNX Runtime)
   * @param engineCache where engines rebuilt for this GPU are kept
   */
  public static TensorRtBackend create(Backend fallback, Path engineCache) {
    return new TensorRtBackend(fallback, GpuLibraries.tensorrt(), engineCache);
  }

  /** Whether TensorRT can run engines here, and why not. */
  public GpuLibraries.Availability availability() {
    return tensorrt;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String platform() {
    return PLATFORM;
  }

  @Override
  public String defaultModelFileName() {
    return DEFAULT_MODEL_FILE_NAME;
  }

  /**
   * Loads one instance of the engine on GPU {@link LoadOptions#deviceId()} (an engine always runs on
   * a GPU: a CPU placement means GPU 0, and falls back like any other when TensorRT is absent).
   */
  @Override
  public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
    Objects.requireNonNull(modelFile, "modelFile");
    Objects.requireNonNull(options, "options");
    Path onnx = modelFile.resolveSibling(ONNX_SOURCE);
    if (!tensorrt.usable()) {
      if (options.strictDevice()) {
        throw new ModelLoadException("TensorRT is not available on GPU " + options.deviceId() + ": "
            + tensorrt.reason());
      }
      if (!Files.isRegularFile(onnx)) {
        throw new ModelLoadException("TensorRT is not available (" + tensorrt.reason() + "), and there is no "
            + ONNX_SOURCE + " beside the engine to run on the CPU instead");
      }
      LOG.log(Level.WARNING, "TensorRT is not available ({0}); running {1} on the CPU instead of the engine",
          tensorrt.reason(), ONNX_SOURCE);
      return fallback.load(onnx, LoadOptions.cpu(options.intraOpThreads()));
    }
    if (!Files.isRegularFile(modelFile) && !Files.isRegularFile(onnx)) {
      throw new ModelLoadException("model file does not exist or is not a regular file");
    }
    try {
      if (Files.isRegularFile(modelFile)) {
        try {
          return TrtEngineModel.open(Files.readAllBytes(modelFile), options.deviceId());
        } catch (ModelLoadException e) {
          if (!Files.isRegularFile(onnx)) {
            throw e;
          }
          LOG.log(Level.WARNING, "{0}; rebuilding it from {1} for this GPU", e.getMessage(), ONNX_SOURCE);
        }
      }
      return TrtEngineModel.open(cachedEngine(onnx, options.deviceId()), options.deviceId());
    } catch (IOException e) {
      throw new ModelLoadException("cannot read the engine: " + e.getClass().getSimpleName(), e);
    } catch (GpuException e) {
      throw new ModelLoadException(e.getMessage(), e);
    }
  }

  /** The engine for {@code onnx} on this GPU: from the cache, or built and stored there. */
  private byte[] cachedEngine(Path onnx, int deviceId) throws IOException {
    byte[] source = Files.readAllBytes(onnx);
    String[] gpu = EngineBuilder.gpuIdentity(deviceId);
    EngineCacheKey key = new EngineCacheKey(gpu[0], gpu[1], tensorrt.version(), EngineCacheKey.sha256(source),
        EngineBuildOptions.defaults());
    Path cached = engineCache.resolve(key.fileName());
    if (Files.isRegularFile(cached)) {
      return Files.readAllBytes(cached);
    }
    byte[] plan = EngineBuilder.build(source, EngineBuildOptions.defaults(), deviceId);
    Files.createDirectories(engineCache);
    Path partial = Files.createTempFile(engineCache, key.fileName(), ".partial");
    Files.write(partial, plan);
    Files.move(partial, cached, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return plan;
  }

  @Override
  public String toString() {
    return "TensorRtBackend[" + (tensorrt.usable() ? "TensorRT " + tensorrt.version() : tensorrt.reason()) + "]";
  }
}
