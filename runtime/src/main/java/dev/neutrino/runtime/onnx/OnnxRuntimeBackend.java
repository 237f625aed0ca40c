package dev.neutrino.runtime.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import ai.onnxruntime.providers.OrtTensorRTProviderOptions;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.ComputePriority;
import dev.neutrino.runtime.Device;
import dev.neutrino.runtime.GpuOptions;
import dev.neutrino.runtime.GraphCacheResult;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs ONNX models on ONNX Runtime, on the CPU or through ORT's CUDA or TensorRT execution providers.
 *
 * <p>Sessions use every graph optimisation, {@link LoadOptions#intraOpThreads()} threads inside a
 * run, one inter-op thread and sequential execution: parallelism across requests comes from model
 * instances, each with its own thread. On the CPU an instance may also get a wide session
 * ({@link LoadOptions#wideIntraOpThreads()}, {@link AdaptiveSessionModel}) for the batches it runs
 * while the model's other instances are idle. ORT's intra-op threads never spin between runs: an idle
 * session's spinning threads would take the cores the busy ones need.
 *
 * <p>Execution providers are probed by trying them: ORT's list of available providers names CUDA even
 * where there is no GPU. When the requested provider cannot be used, the load fails if
 * {@link LoadOptions#strictDevice()} is set and otherwise falls back (TensorRT to CUDA, then to the
 * CPU) with a logged warning; {@link LoadedModel#device()} tells where the instance really runs. A
 * provider that failed to register is remembered per device (and provider options) by this backend
 * instance, so a fleet of instances does not repeat a failing probe.
 *
 * <p>The providers take {@link LoadOptions#gpu()}'s options (Triton's TensorRT accelerator parameters
 * and CUDA parameters, translated to ORT's names). ORT's Java API (1.23) has no I/O binding and no
 * pinned-memory allocator: inputs and outputs cross between host and device as ORT copies them, once
 * per batch for each tensor.
 *
 * <p>Thread-safety: {@link #load} may be called from any number of threads at once. It blocks (it
 * reads the file and builds the session): call it from a worker thread, never an event loop.
 */
public final class OnnxRuntimeBackend implements Backend {
  public static final String NAME = "onnxruntime";
  public static final String PLATFORM = "onnxruntime_onnx";
  public static final String DEFAULT_MODEL_FILE_NAME = "model.onnx";

  private static final System.Logger LOG = System.getLogger(OnnxRuntimeBackend.class.getName());
  /** ORT's session setting that locates external weights when a model is loaded from bytes. */
  private static final String EXTERNAL_DATA_FOLDER_KEY =
      "session.model_external_initializers_file_folder_path";
  /** ORT error codes that blame the model, whatever the device. */
  private static final Set<OrtException.OrtErrorCode> MODEL_ERRORS =
      Set.of(
          OrtException.OrtErrorCode.ORT_INVALID_PROTOBUF,
          OrtException.OrtErrorCode.ORT_NO_SUCHFILE,
          OrtException.OrtErrorCode.ORT_NO_MODEL,
          OrtException.OrtErrorCode.ORT_INVALID_GRAPH,
          OrtException.OrtErrorCode.ORT_MODEL_LOADED);

  private final OrtEnvironment env;
  /** Where optimized graphs are kept; null when graphs are optimized at every load. */
  private final OptimizedGraphCache graphCache;
  private final LongAdder graphCacheHits = new LongAdder();
  /** Why a provider cannot be used on a device, for devices whose probe failed. */
  private final Map<ProviderKey, String> unavailableProviders = new ConcurrentHashMap<>();

  private OnnxRuntimeBackend(OrtEnvironment env, OptimizedGraphCache graphCache) {
    this.env = env;
    this.graphCache = graphCache;
  }

  /**
   * Creates a backend over ORT's process-wide environment (ORT's own singleton, created on first
   * use).
   *
   * @throws IllegalStateException when ONNX Runtime's native library cannot be loaded
   */
  public static OnnxRuntimeBackend create() {
    return create(null);
  }

  /**
   * Creates a backend that keeps the optimized graphs of the CPU sessions it creates under
   * {@code graphCacheDir} (created when needed), so that loading a model again skips ORT's graph
   * optimisation; null keeps no graphs. Graphs are saved at ORT's extended level (layout
   * optimisations are hardware-specific and are not kept): sessions of a backend with a cache run
   * at that level.
   *
   * @throws IllegalStateException when ONNX Runtime's native library cannot be loaded
   */
  public static OnnxRuntimeBackend create(Path graphCacheDir) {
    try {
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      return new OnnxRuntimeBackend(env,
          graphCacheDir == null ? null : new OptimizedGraphCache(graphCacheDir, env.getVersion()));
    } catch (UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
      throw new IllegalStateException("ONNX Runtime's native library cannot be loaded", e);
    }
  }

  /** How many sessions this backend built from a cached optimized graph. */
  public long optimizedGraphCacheHits() {
    return graphCacheHits.sum();
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
   * Loads one instance of an ONNX model. The returned model owns its native session; the caller owns
   * the model and must {@link LoadedModel#close() close} it.
   *
   * @throws ModelLoadException when the file cannot be read or parsed, the model has a non-tensor or
   *     unsupported input or output, or the device is unavailable under
   *     {@link LoadOptions#strictDevice()}; the message never names the file's path
   */
  @Override
  public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
    Objects.requireNonNull(modelFile, "modelFile");
    Objects.requireNonNull(options, "options");
    if (!Files.isRegularFile(modelFile)) {
      throw new ModelLoadException("model file does not exist or is not a regular file");
    }
    if (!Files.isReadable(modelFile)) {
      throw new ModelLoadException("model file is not readable");
    }
    Device requested = options.device();
    if (requested != Device.CPU) {
      String reason = null;
      for (Device candidate : acceleratedCandidates(requested)) {
        ProviderKey key = new ProviderKey(candidate, options.deviceId(), options.gpu());
        reason = unavailableProviders.get(key);
        if (reason == null) {
          try {
            return open(modelFile, candidate, options);
          } catch (ProviderUnavailableException e) {
            reason = e.getMessage();
            if (e.deviceWide && unavailableProviders.putIfAbsent(key, reason) == null) {
              LOG.log(
                  Level.WARNING,
                  "{0} execution provider is not available on GPU {1}: {2}",
                  providerName(candidate),
                  options.deviceId(),
                  reason);
            }
          }
        }
        if (options.strictDevice()) {
          throw new ModelLoadException(
              providerName(requested) + " execution provider is not available on GPU "
                  + options.deviceId() + ": " + reason);
        }
      }
      LOG.log(
          Level.WARNING,
          "{0} requested on GPU {1} but not usable ({2}); loading the model on the CPU",
          providerName(requested),
          options.deviceId(),
          reason);
    }
    return openCpu(modelFile, options);
  }

  /**
   * A CPU instance: one session of {@link LoadOptions#intraOpThreads()}, paired with a wide session of
   * {@link LoadOptions#wideIntraOpThreads()} when the options ask for one ({@link AdaptiveSessionModel}).
   * Both are built by {@link #open}, so they take the same path (cache, rewrites) and differ only in
   * their thread counts.
   */
  private LoadedModel openCpu(Path modelFile, LoadOptions options) throws ModelLoadException {
    try {
      LoadOptions narrowOptions = options.withWideIntraOpThreads(LoadOptions.NO_WIDE_SESSION);
      LoadedModel narrow = open(modelFile, Device.CPU, narrowOptions);
      if (options.wideIntraOpThreads() == LoadOptions.NO_WIDE_SESSION) {
        return narrow;
      }
      try {
        LoadedModel wide = open(modelFile, Device.CPU,
            new LoadOptions(Device.CPU, 0, options.wideIntraOpThreads(), false, options.gpu())
                .withComputeNice(options.computeNice()));
        return new AdaptiveSessionModel(narrow, options.intraOpThreads(), wide, options.wideIntraOpThreads());
      } catch (ModelLoadException | RuntimeException e) {
        narrow.close();
        throw e;
      }
    } catch (ProviderUnavailableException e) {
      throw new IllegalStateException("the CPU provider cannot be unavailable", e);
    }
  }

  /** The providers to try for an accelerated device, best first; the CPU is always the last resort. */
  private static List<Device> acceleratedCandidates(Device requested) {
    return requested == Device.TENSORRT
        ? List.of(Device.TENSORRT, Device.CUDA)
        : List.of(Device.CUDA);
  }

  /**
   * A session of {@code options}. ONNX Runtime starts a session's intra-op threads as it opens it, so
   * a session with more than one thread and a {@link LoadOptions#computeNice()} is opened on a thread
   * lowered to that nice value, whose threads inherit it ({@link ComputePriority}).
   */
  private LoadedModel open(Path modelFile, Device device, LoadOptions options)
      throws ModelLoadException, ProviderUnavailableException {
    if (options.computeNice() == ComputePriority.UNCHANGED || options.intraOpThreads() == 1) {
      return openHere(modelFile, device, options);
    }
    try {
      return ComputePriority.callLowered(options.computeNice(), "neutrino-session-open",
          () -> openHere(modelFile, device, options));
    } catch (ModelLoadException | ProviderUnavailableException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("opening a session failed unexpectedly", e);
    }
  }

  private LoadedModel openHere(Path modelFile, Device device, LoadOptions options)
      throws ModelLoadException, ProviderUnavailableException {
    try (SessionOptions sessionOptions = sessionOptions(options)) {
      addProviders(sessionOptions, device, options.deviceId(), options.gpu());
      OrtSession session;
      GraphCacheResult cacheResult = GraphCacheResult.NOT_USED;
      Map<String, UnsignedInputs.Renamed> renamed;
      if (UnsignedInputs.mayDeclareOne(modelFile)) {
        // ORT's Java API cannot create UINT16/32/64 tensors: load a copy with signed twins as inputs.
        UnsignedInputs.Rewritten rewritten = UnsignedInputs.rewrite(readModel(modelFile));
        setExternalDataFolder(sessionOptions, modelFile);
        session =
            createSession(
                () -> env.createSession(rewritten.model(), sessionOptions), device, modelFile);
        renamed = rewritten.bySessionName();
      } else if (device == Device.CPU && graphCache != null) {
        CachedSession cached = openThroughCache(modelFile, sessionOptions);
        session = cached.session();
        cacheResult = cached.result();
        renamed = Map.of();
      } else {
        session =
            createSession(
                () -> env.createSession(modelFile.toString(), sessionOptions), device, modelFile);
        renamed = Map.of();
      }
      return OnnxSessionModel.wrap(env, session, deviceName(device, options.deviceId()), renamed)
          .withGraphCacheResult(cacheResult);
    }
  }

  /**
   * A CPU session from the cached optimized graph of {@code modelFile}, not optimized again; or, when
   * there is none, a session optimized at the cache's level whose graph ORT saves into the cache. A
   * cache that cannot be read or written only costs the optimisation.
   */
  private CachedSession openThroughCache(Path modelFile, SessionOptions sessionOptions)
      throws ModelLoadException, ProviderUnavailableException {
    Path entry;
    try {
      Files.createDirectories(graphCache.folder());
      entry = graphCache.entry(modelFile);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "optimized graph cache {0} is not usable, optimizing: {1}", graphCache.folder(), e.toString());
      return new CachedSession(
          createSession(() -> env.createSession(modelFile.toString(), sessionOptions), Device.CPU, modelFile),
          GraphCacheResult.ERROR);
    }
    GraphCacheResult result = GraphCacheResult.MISS;
    if (Files.isRegularFile(entry)) {
      try {
        sessionOptions.setOptimizationLevel(OptLevel.NO_OPT);
        OrtSession session = env.createSession(entry.toString(), sessionOptions);
        graphCacheHits.increment();
        LOG.log(Level.INFO, "optimized graph from cache {0}", entry.getFileName());
        return new CachedSession(session, GraphCacheResult.HIT);
      } catch (OrtException | RuntimeException e) {
        LOG.log(Level.WARNING, "cached optimized graph {0} cannot be loaded, optimizing again: {1}",
            entry.getFileName(), OrtMessages.clean(e, null));
        result = GraphCacheResult.ERROR;
        deleteQuietly(entry);
      }
    }
    Path partial = entry.resolveSibling(entry.getFileName() + "." + UUID.randomUUID() + ".partial");
    try {
      sessionOptions.setOptimizationLevel(OptLevel.EXTENDED_OPT);
      sessionOptions.setOptimizedModelFilePath(partial.toString());
    } catch (OrtException e) {
      throw loadFailure(e, modelFile);
    }
    OrtSession session =
        createSession(() -> env.createSession(modelFile.toString(), sessionOptions), Device.CPU, modelFile);
    try {
      Files.move(partial, entry, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      LOG.log(Level.INFO, "optimized graph saved to cache {0}", entry.getFileName());
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "optimized graph cannot be kept in {0}: {1}", graphCache.folder(), e.toString());
      result = GraphCacheResult.ERROR;
      deleteQuietly(partial);
    }
    return new CachedSession(session, result);
  }

  /** A session opened through the optimized-graph cache, and what the cache did for it. */
  private record CachedSession(OrtSession session, GraphCacheResult result) {}

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot delete {0}: {1}", file, e.toString());
    }
  }

  private static SessionOptions sessionOptions(LoadOptions options) throws ModelLoadException {
    SessionOptions sessionOptions = new SessionOptions();
    try {
      sessionOptions.setOptimizationLevel(OptLevel.ALL_OPT);
      sessionOptions.setIntraOpNumThreads(options.intraOpThreads());
      sessionOptions.setInterOpNumThreads(1);
      // Between runs, ONNX Runtime's intra-op threads spin by default; in a server they would burn
      // the cores the event loops and other instances need (measured: the spare thread of one
      // instance used twice the CPU of the thread running the model).
      sessionOptions.addConfigEntry("session.intra_op.allow_spinning", "0");
      sessionOptions.setExecutionMode(ExecutionMode.SEQUENTIAL);
      return sessionOptions;
    } catch (OrtException | RuntimeException e) {
      sessionOptions.close();
      throw new ModelLoadException(
          "cannot configure the ONNX Runtime session: " + OrtMessages.clean(e, null), e);
    }
  }

  private static void addProviders(SessionOptions sessionOptions, Device device, int deviceId, GpuOptions gpu)
      throws ProviderUnavailableException {
    try {
      switch (device) {
        case CPU -> {}
        case CUDA -> addCuda(sessionOptions, deviceId, gpu);
        case TENSORRT -> {
          if (gpu.tensorrtOptions().isEmpty()) {
            sessionOptions.addTensorrt(deviceId);
          } else {
            try (OrtTensorRTProviderOptions trt = new OrtTensorRTProviderOptions(deviceId)) {
              for (Map.Entry<String, String> option : gpu.tensorrtOptions().entrySet()) {
                trt.add(option.getKey(), option.getValue());
              }
              sessionOptions.addTensorrt(trt);
            }
          }
          // Nodes TensorRT does not take run on CUDA rather than on the CPU.
          addCuda(sessionOptions, deviceId, gpu);
        }
      }
    } catch (OrtException | RuntimeException | UnsatisfiedLinkError | NoClassDefFoundError e) {
      throw new ProviderUnavailableException(OrtMessages.clean(e, null), true);
    }
  }

  private static void addCuda(SessionOptions sessionOptions, int deviceId, GpuOptions gpu) throws OrtException {
    if (gpu.cudaOptions().isEmpty()) {
      sessionOptions.addCUDA(deviceId);
      return;
    }
    try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(deviceId)) {
      for (Map.Entry<String, String> option : gpu.cudaOptions().entrySet()) {
        cuda.add(option.getKey(), option.getValue());
      }
      sessionOptions.addCUDA(cuda);
    }
  }

  /** The one ORT call that creates a session, as a value so that both load paths share the handling. */
  @FunctionalInterface
  private interface SessionFactory {
    OrtSession create() throws OrtException;
  }

  private static OrtSession createSession(SessionFactory factory, Device device, Path modelFile)
      throws ModelLoadException, ProviderUnavailableException {
    try {
      return factory.create();
    } catch (OrtException e) {
      if (device != Device.CPU && !MODEL_ERRORS.contains(e.getCode())) {
        // The provider, not the model, may be at fault (for example a CUDA build without a GPU):
        // let the caller fall back. Only an explicit provider failure marks the device as unusable.
        throw new ProviderUnavailableException(
            OrtMessages.clean(e, modelFile),
            e.getCode() == OrtException.OrtErrorCode.ORT_EP_FAIL);
      }
      throw loadFailure(e, modelFile);
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      throw loadFailure(e, modelFile);
    }
  }

  private static ModelLoadException loadFailure(Throwable e, Path modelFile) {
    String code = OrtMessages.code(e);
    return new ModelLoadException(
        "cannot load the ONNX model" + (code == null ? "" : " (" + code + ")") + ": "
            + OrtMessages.clean(e, modelFile),
        e);
  }

  private static byte[] readModel(Path modelFile) throws ModelLoadException {
    try {
      return Files.readAllBytes(modelFile);
    } catch (IOException e) {
      throw new ModelLoadException(
          "cannot read the model file: " + e.getClass().getSimpleName(), e);
    }
  }

  private static void setExternalDataFolder(SessionOptions sessionOptions, Path modelFile)
      throws ModelLoadException {
    Path folder = modelFile.toAbsolutePath().getParent();
    if (folder == null) {
      return;
    }
    try {
      sessionOptions.addConfigEntry(EXTERNAL_DATA_FOLDER_KEY, folder.toString());
    } catch (OrtException e) {
      throw loadFailure(e, modelFile);
    }
  }

  private static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException | RuntimeException e) {
      LOG.log(Level.WARNING, "closing an ONNX Runtime session failed: {0}", OrtMessages.clean(e, null));
    }
  }

  private static String deviceName(Device device, int deviceId) {
    return switch (device) {
      case CPU -> "cpu";
      case CUDA -> "cuda:" + deviceId;
      case TENSORRT -> "tensorrt:" + deviceId;
    };
  }

  private static String providerName(Device device) {
    return switch (device) {
      case CPU -> "CPU";
      case CUDA -> "CUDA";
      case TENSORRT -> "TensorRT";
    };
  }

  @Override
  public String toString() {
    return "OnnxRuntimeBackend[unavailable=" + unavailableProviders.keySet() + ", graphCache=" + graphCache + "]";
  }

  private record ProviderKey(Device device, int deviceId, GpuOptions gpu) {}

  /** An execution provider could not be registered, or a session could not be built on it. */
  private static final class ProviderUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;
    /** Whether the failure says nothing about the model, so that the device can be skipped next time. */
    final boolean deviceWide;

    ProviderUnavailableException(String reason, boolean deviceWide) {
      super(reason, null, false, false);
      this.deviceWide = deviceWide;
    }
  }
}
