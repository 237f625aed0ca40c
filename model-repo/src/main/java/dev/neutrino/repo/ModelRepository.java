package dev.neutrino.repo;

import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.DeviceMemory;
import dev.neutrino.runtime.GraphCacheResult;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.LoadOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The models on disk, in Triton's layout ({@code <root>/<model>/<version>/model.onnx}, with an
 * optional {@code <root>/<model>/config.yaml}), and the versions of them that serve.
 *
 * <p>Design. This class is a facade over four parts, each with one job and one threading rule:
 *
 * <ul>
 *   <li>{@link ModelRegistry}, the hot path: resolves and leases versions ({@link #acquire},
 *       {@link #acquireAsync}, {@link #find}, {@link #readyVersions}, {@link #allReady}). Lock-free,
 *       any thread, event loops included. Each model name has one {@link ModelEntry} holding an
 *       immutable map of its serving versions, replaced whole when a load finishes: a request leases
 *       whatever version it resolves at that instant, and the swap never makes it fail. A version that
 *       leaves the map is retired: it takes no new leases and its instances are closed once the last
 *       lease is released (see {@link ModelVersion#retire()}).
 *   <li>{@link ModelLifecycle}: load, swap, evict, unload. The slow steps (configuration, instances,
 *       warm-up) run on a small pool of loader threads, one model's changes at a time and in order,
 *       different models' side by side, so one slow load does not hold up another model's load; every
 *       change to the registry's entries is made on its single lifecycle thread. A load that fails
 *       leaves the versions that served before serving, and records the failure. Loads are bounded by
 *       {@link LoadLimits}: a configuration over a limit fails before any thread or tensor is made. A
 *       failed load of a name that is not in the repository leaves nothing behind.
 *   <li>{@link RepositoryPoller}, poll mode only: on its own thread, a pure decision over two scans of
 *       the folder and what is loaded, handed to the lifecycle.
 *   <li>{@link Residency} (with a memory budget) and the load counters, owned by the lifecycle, which
 *       admits and evicts; the registry only records uses. Loading past the budget evicts the least
 *       recently used models (retired, so requests in flight on them finish), and a request for a
 *       model on disk that is not loaded starts its load ({@link #acquireAsync}). Evicted models are
 *       reloaded on demand even in explicit mode.
 * </ul>
 *
 * Nothing here blocks an event loop except the calls documented as touching the file system
 * ({@link #index}, {@link #isModelFolder}, and {@link #acquireAsync} with residency on, which checks
 * the folder of a model that is not loaded); {@link #loadAll()} and {@link #close()} block their caller.
 */
public final class ModelRepository implements AutoCloseable {
  private final RepositoryOptions options;
  private final RepositoryFolder folder;
  private final ResponseCache responseCache;
  private final Residency resident;
  private final IdleUnloader idle;
  private final ScheduledExecutorService idleSweeper;
  private final ModelRegistry registry;
  private final ModelLifecycle lifecycle;
  private final RepositoryPoller poller;
  private final Ensembles ensembles;
  private final ModelLoader loader;
  private final Backend backend;

  private ModelRepository(List<Path> roots, RepositoryOptions options, Backend backend, DeviceMemory deviceMemory,
      IdleUnload idleUnload) {
    this.backend = backend;
    this.options = options;
    this.folder = new RepositoryFolder(roots);
    this.responseCache = options.responseCacheBytes() > 0 ? ResponseCache.create(options.responseCacheBytes()) : null;
    this.resident = options.memoryBudgetBytes() > 0 ? new Residency(options.memoryBudgetBytes()) : null;
    this.idle = new IdleUnloader(idleUnload);
    this.registry = new ModelRegistry(resident, idle);
    this.ensembles = new Ensembles(registry, responseCache);
    this.loader = new ModelLoader(folder, options, backend, responseCache, ensembles, deviceMemory);
    this.lifecycle = new ModelLifecycle(folder, loader, registry, responseCache, resident, idle,
        options.loaderThreads());
    this.poller = options.controlMode() == ModelControlMode.POLL
        ? new RepositoryPoller(folder, registry, lifecycle, resident != null) : null;
    this.idleSweeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "neutrino-model-idle");
      thread.setDaemon(true);
      return thread;
    });
    long sweepNanos = idleUnload.sweepInterval().toNanos();
    idleSweeper.scheduleWithFixedDelay(lifecycle::unloadIdle, sweepNanos, sweepNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Opens the repository at {@code root}; loads nothing yet (see {@link #loadAll()}).
   *
   * @throws IOException when the root is not a readable directory
   */
  public static ModelRepository open(Path root, RepositoryOptions options, Backend backend) throws IOException {
    return open(List.of(root), options, backend, DeviceMemory.NONE, IdleUnload.OFF);
  }

  /**
   * As {@link #open(Path, RepositoryOptions, Backend)}, measuring each GPU load's device memory
   * through {@code deviceMemory} (its growth is the version's {@code memory_usage}).
   */
  public static ModelRepository open(Path root, RepositoryOptions options, Backend backend,
      DeviceMemory deviceMemory) throws IOException {
    return open(List.of(root), options, backend, deviceMemory, IdleUnload.OFF);
  }

  /**
   * Like {@link #open(Path, RepositoryOptions, Backend)}, with models that scale to zero when unused.
   *
   * @throws IOException when the root is not a readable directory
   */
  public static ModelRepository open(Path root, RepositoryOptions options, Backend backend, IdleUnload idleUnload)
      throws IOException {
    return open(List.of(root), options, backend, DeviceMemory.NONE, idleUnload);
  }

  /**
   * Opens several repository folders served together, as Triton serves several
   * {@code --model-repository}: the index lists the models of all, and a model name in two of them
   * fails to load naming both. Loads nothing yet (see {@link #loadAll()}).
   *
   * @throws IOException when a root is not a readable directory, or the same folder is given twice
   */
  public static ModelRepository open(List<Path> roots, RepositoryOptions options, Backend backend)
      throws IOException {
    return open(roots, options, backend, DeviceMemory.NONE, IdleUnload.OFF);
  }

  /**
   * The repository in {@code roots}, measuring GPU loads through {@code deviceMemory} and unloading
   * models unused for {@code idleUnload}'s time.
   *
   * @throws IOException when a root is not a readable directory, or the same folder is given twice
   */
  public static ModelRepository open(List<Path> roots, RepositoryOptions options, Backend backend,
      DeviceMemory deviceMemory, IdleUnload idleUnload) throws IOException {
    if (roots.isEmpty()) {
      throw new IOException("no model repository given");
    }
    List<Path> real = new ArrayList<>();
    for (Path root : roots) {
      Path path = root.toRealPath();
      if (!Files.isDirectory(path)) {
        throw new IOException("model repository " + root + " is not a directory");
      }
      if (real.contains(path)) {
        throw new IOException("model repository " + root + " is given twice");
      }
      real.add(path);
    }
    return new ModelRepository(real, options, backend, deviceMemory, idleUnload);
  }

  /** Whether {@code name} is acceptable as a model name. */
  public static boolean isValidModelName(String name) {
    return RepositoryFolder.isValidModelName(name);
  }

  public ModelControlMode controlMode() {
    return options.controlMode();
  }

  /** The shared response cache, or null when it is off. */
  public ResponseCache responseCache() {
    return responseCache;
  }

  /**
   * Loads what the control mode says to load at start, and starts polling in poll mode. Blocks until
   * the initial loads are done; call from a worker thread. With residency on (and nothing named to
   * load), models load on first request instead.
   */
  public void loadAll() {
    List<String> names = new ArrayList<>();
    if (options.controlMode() == ModelControlMode.EXPLICIT && !options.startupModels().contains("*")) {
      names.addAll(new TreeSet<>(options.startupModels()));
    } else if (resident == null || options.controlMode() == ModelControlMode.EXPLICIT) {
      names.addAll(folder.modelFolders());
    }
    // Ensembles run other models, so they load after them, one by one, each after the ensembles it runs.
    Map<String, List<String>> ensembleSteps = new TreeMap<>();
    List<CompletableFuture<ModelStatus>> loads = new ArrayList<>();
    for (String name : names) {
      List<String> steps = loader.ensembleSteps(name);
      if (steps != null) {
        ensembleSteps.put(name, steps);
      } else {
        loads.add(lifecycle.load(name, null));
      }
    }
    loads.forEach(CompletableFuture::join);
    List<String> ordered = new ArrayList<>();
    ensembleSteps.keySet().forEach(name -> dependenciesFirst(name, ensembleSteps, ordered, new ArrayList<>()));
    for (String name : ordered) {
      lifecycle.load(name, null).join();
    }
    if (poller != null) {
      poller.start(options.pollInterval());
    }
  }

  /** Appends {@code name} to {@code ordered} after the ensembles it runs; a cycle is left to its load to refuse. */
  private static void dependenciesFirst(String name, Map<String, List<String>> ensembleSteps, List<String> ordered,
      List<String> visiting) {
    if (ordered.contains(name) || visiting.contains(name)) {
      return;
    }
    visiting.add(name);
    for (String step : ensembleSteps.get(name)) {
      if (ensembleSteps.containsKey(step)) {
        dependenciesFirst(step, ensembleSteps, ordered, visiting);
      }
    }
    ordered.add(name);
  }

  /**
   * The repository API's load: loads (or reloads, re-reading configuration and files) a model.
   * Allowed in explicit mode only.
   *
   * @param configOverride a configuration (JSON or YAML) to use instead of {@code config.yaml}, or null
   * @return completes when the load has finished, with the model's status; fails with
   *     {@link InferenceException.InvalidInput} when the mode forbids it or the load fails
   */
  public CompletionStage<ModelStatus> requestLoad(String name, String configOverride) {
    if (options.controlMode() != ModelControlMode.EXPLICIT) {
      return CompletableFuture.failedFuture(notExplicit());
    }
    if (!isValidModelName(name)) {
      return CompletableFuture.failedFuture(new InferenceException.InvalidInput("invalid model name"));
    }
    return lifecycle.load(name, configOverride).thenApply(status -> {
      if (status.state() != ModelState.READY || !status.reason().isEmpty()) {
        throw new InferenceException.InvalidInput("failed to load '" + name + "': " + status.reason());
      }
      return status;
    });
  }

  /** The repository API's unload; explicit mode only. Drains: requests in flight finish first. */
  public CompletionStage<ModelStatus> requestUnload(String name) {
    if (options.controlMode() != ModelControlMode.EXPLICIT) {
      return CompletableFuture.failedFuture(notExplicit());
    }
    if (!isValidModelName(name) || registry.entry(name) == null) {
      return CompletableFuture.failedFuture(new InferenceException.NotFound("unknown model '" + name + "'"));
    }
    return lifecycle.unload(name, "unloaded");
  }

  private InferenceException notExplicit() {
    return new InferenceException.InvalidInput("explicit model load and unload are not allowed in model control mode "
        + options.controlMode().name().toLowerCase(Locale.ROOT));
  }

  /**
   * Loads one more instance of a loaded version on the CPU, owned by the caller, who must close it:
   * for a scheduler that drives the model itself, such as text generation's. Blocking: call it on a
   * worker thread.
   *
   * @throws ModelLoadException when the version's file cannot be loaded
   */
  public LoadedModel openInstance(ModelVersion version) throws ModelLoadException {
    String fileName = version.config().defaultModelFilename() != null
        ? version.config().defaultModelFilename() : backend.defaultModelFileName();
    Path file = folder.rootOf(version.name()).resolve(version.name()).resolve(version.versionString()).resolve(fileName);
    return backend.load(file, LoadOptions.cpu(LoadOptions.DEFAULT_INTRA_OP_THREADS).withComputeNice(computeNice()));
  }

  /** The nice value of the threads that run models ({@link RepositoryOptions#computeNice()}). */
  public int computeNice() {
    return options.computeNice();
  }

  /**
   * Leases the named version (or the newest ready one when {@code version} is null or empty).
   *
   * @throws InferenceException.NotFound when the model or version does not exist
   * @throws InferenceException.NotReady when it exists but cannot serve now
   */
  public Lease acquire(String name, String version) {
    return registry.acquire(name, version);
  }

  /**
   * Like {@link #acquire}, but with residency on, a model on disk that is not loaded is loaded first:
   * the stage waits for it until {@code deadlineNanos}, or fails at once as not ready with a
   * retry-after when there is no deadline. Completes at once when the model is loaded.
   */
  public CompletionStage<Lease> acquireAsync(String name, String version, long deadlineNanos) {
    // A model scaled to zero (IdleUnload) is loaded on demand too, with or without residency.
    return registry.acquireAsync(name, version, deadlineNanos, lifecycle::loadOnDemand);
  }

  /**
   * Finds the named version without leasing it, for metadata and configuration answers.
   *
   * @throws InferenceException.NotFound when the model or version does not exist
   * @throws InferenceException.NotReady when it exists but cannot serve now
   */
  public ModelVersion find(String name, String version) {
    return registry.find(name, version);
  }

  /** The versions serving for {@code name}, newest first; empty when the model is unknown. */
  public List<String> readyVersions(String name) {
    return registry.readyVersions(name);
  }

  /**
   * Every model in the repository folder and every model known, one row per version with its state
   * (a model never loaded has one row without a version). Lists the folder: call from a worker.
   *
   * @param readyOnly only versions that are ready
   */
  public List<ModelStatus> index(boolean readyOnly) {
    Map<String, List<ModelStatus>> rows = new TreeMap<>();
    for (String name : folder.modelFolders()) {
      rows.put(name, List.of(new ModelStatus(name, "", ModelState.UNAVAILABLE, "not loaded")));
    }
    registry.entries().forEach(entry -> rows.put(entry.name, entry.indexRows()));
    List<ModelStatus> result = new ArrayList<>();
    rows.values().forEach(list -> list.stream()
        .filter(row -> !readyOnly || row.state() == ModelState.READY)
        .forEach(result::add));
    return result;
  }

  /**
   * Every version serving now, by model name then version. Never blocks; for metrics, which read
   * each version's counters.
   */
  public List<ModelVersion> servingVersions() {
    return registry.servingVersions();
  }

  /**
   * One row per version of every model the repository has loaded or tried to load (a model without
   * any version has one row without a version), like {@link #index(boolean)} without listing the
   * folder: models never touched are left out. Never blocks; for metrics.
   */
  public List<ModelStatus> knownVersions() {
    return registry.knownVersions();
  }

  /**
   * Whether {@code name} is a model folder of the repository now (touches the file system: metrics
   * use it on a worker to keep names that are not models out of their labels).
   */
  public boolean isModelFolder(String name) {
    return folder.isModelFolder(name);
  }

  /**
   * The folder of model {@code name} (where files such as a tokenizer sit beside its versions), or
   * null for a name that cannot be a model folder's.
   */
  public Path modelFolder(String name) {
    return RepositoryFolder.isValidModelName(name) ? folder.rootOf(name).resolve(name) : null;
  }

  /** Whether every model that should be serving (loaded, not unloaded or evicted) has a ready version. */
  public boolean allReady() {
    return registry.allReady();
  }

  /** Loads and unloads so far, by model and result, for metrics. */
  public Map<String, LoadCounts> loadCounts() {
    return lifecycle.loadCounts();
  }

  /**
   * Who is told of every ensemble step's outcome (the gateway's metrics count a step as a request of
   * its model); replaces the one before. Any thread.
   */
  public void observeSteps(StepObserver observer) {
    ensembles.observe(observer);
  }

  /** Whether {@code name} was unloaded for want of use ({@link IdleUnload}); its next request loads it. */
  public boolean isScaledToZero(String name) {
    ModelEntry entry = registry.entry(name);
    return entry != null && entry.scaledToZero;
  }

  /** Residency's view, for metrics: loaded models and their footprints; empty without a budget. */
  public Map<String, Long> residentFootprints() {
    return resident == null ? Map.of() : resident.footprints();
  }

  /**
   * Loads succeeded and failed, and unloads, of one model; and what the backend's optimized-graph
   * cache did for the instances of its loaded versions.
   */
  public static final class LoadCounts {
    final AtomicLong loaded = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong unloaded = new AtomicLong();
    private final AtomicLongArray graphCache = new AtomicLongArray(GraphCacheResult.values().length);

    public long loaded() {
      return loaded.get();
    }

    public long failed() {
      return failed.get();
    }

    public long unloaded() {
      return unloaded.get();
    }

    /** Instances of loaded versions whose load the optimized-graph cache served with {@code result}. */
    public long graphCache(GraphCacheResult result) {
      return graphCache.get(result.ordinal());
    }

    void countGraphCache(List<GraphCacheResult> results) {
      results.forEach(result -> graphCache.incrementAndGet(result.ordinal()));
    }

    LoadCounts snapshot() {
      LoadCounts copy = new LoadCounts();
      copy.loaded.set(loaded.get());
      copy.failed.set(failed.get());
      copy.unloaded.set(unloaded.get());
      for (int i = 0; i < graphCache.length(); i++) {
        copy.graphCache.set(i, graphCache.get(i));
      }
      return copy;
    }
  }

  /** Runs one poll now, on the caller's thread, and waits for the changes it starts (poll mode). */
  void pollNow() {
    if (poller == null) {
      throw new IllegalStateException("the repository is not in poll mode");
    }
    poller.pollOnce();
  }

  /** Models with queued or running loads or unloads. */
  int busyModels() {
    return lifecycle.busyModels();
  }

  /** Stops polling and loading, fails queued requests and releases every model's native resources. */
  @Override
  public void close() {
    idleSweeper.shutdownNow();
    if (poller != null) {
      poller.close();
    }
    lifecycle.close();
    for (ModelEntry entry : registry.entries()) {
      NavigableMap<Long, ModelVersion> serving = entry.serving;
      entry.serving = Collections.emptyNavigableMap();
      serving.values().forEach(ModelVersion::closeNow);
    }
  }
}
