package dev.neutrino.repo;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.InferenceException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The models on disk, in Triton's layout ({@code <root>/<model>/<version>/model.onnx}, with an
 * optional {@code <root>/<model>/config.yaml}), and the versions of them that serve.
 *
 * <p>Design. Each model name has one entry holding an immutable map of its serving versions, replaced
 * whole when a load finishes: a request leases whatever version it resolves at that instant, and the
 * swap never makes it fail. A version that leaves the map is retired: it takes no new leases and its
 * instances are closed once the last lease is released (see {@link ModelVersion#retire()}). Loads and
 * unloads run one at a time on one named loader thread, never on an event loop or an instance thread;
 * a load that fails leaves the versions that served before serving, and records the failure. Lookups
 * ({@link #acquire}, {@link #find}) never block and may run on an event loop.
 *
 * <p>Residency: with a memory budget, each loaded model's measured footprint is tracked
 * ({@link Residency}); loading past the budget evicts the least recently used models (retired, so
 * requests in flight on them finish), and a request for a model on disk that is not loaded starts its
 * load ({@link #acquireAsync}). Evicted models are reloaded on demand even in explicit mode.
 */
public final class ModelRepository implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ModelRepository.class.getName());

  /** Names a model may have: they become folder names, so nothing that can climb out of the root. */
  private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,17}");
  private static final Duration LOADING_RETRY_AFTER = Duration.ofSeconds(1);

  private final Path root;
  private final RepositoryOptions options;
  private final ModelLoader loader;
  private final ResponseCache responseCache;
  private final Map<String, ModelEntry> models = new ConcurrentHashMap<>();
  private final ExecutorService loadThread;
  private final ScheduledExecutorService pollThread;
  private final Residency resident;
  private final Map<String, LoadCounts> loadCounts = new ConcurrentHashMap<>();
  private volatile Map<String, ModelFiles> lastPoll = Map.of();
  private volatile boolean closed;

  private ModelRepository(Path root, RepositoryOptions options, Backend backend) {
    this.root = root;
    this.options = options;
    this.responseCache = options.responseCacheBytes() > 0 ? ResponseCache.create(options.responseCacheBytes()) : null;
    this.loader = new ModelLoader(root, options, backend, responseCache);
    this.loadThread = Executors.newSingleThreadExecutor(daemon("neutrino-model-loader"));
    this.pollThread = options.controlMode() == ModelControlMode.POLL
        ? Executors.newSingleThreadScheduledExecutor(daemon("neutrino-repository-poller")) : null;
    this.resident = options.memoryBudgetBytes() > 0 ? new Residency(options.memoryBudgetBytes()) : null;
  }

  /**
   * Opens the repository at {@code root}; loads nothing yet (see {@link #loadAll()}).
   *
   * @throws IOException when the root is not a readable directory
   */
  public static ModelRepository open(Path root, RepositoryOptions options, Backend backend) throws IOException {
    Path real = root.toRealPath();
    if (!Files.isDirectory(real)) {
      throw new IOException("model repository " + root + " is not a directory");
    }
    return new ModelRepository(real, options, backend);
  }

  /** Whether {@code name} is acceptable as a model name. */
  public static boolean isValidModelName(String name) {
    return name != null && MODEL_NAME.matcher(name).matches() && !name.contains("..");
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
      names.addAll(new java.util.TreeSet<>(options.startupModels()));
    } else if (resident == null || options.controlMode() == ModelControlMode.EXPLICIT) {
      names.addAll(listModelFolders());
    }
    List<CompletableFuture<ModelStatus>> loads = new ArrayList<>();
    for (String name : names) {
      loads.add(submitLoad(name, null));
    }
    loads.forEach(CompletableFuture::join);
    if (pollThread != null) {
      lastPoll = scanAll();
      long every = options.pollInterval().toMillis();
      pollThread.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.MILLISECONDS);
    }
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
      return CompletableFuture.failedFuture(new InferenceException.InvalidInput(
          "explicit model load and unload are not allowed in model control mode "
              + options.controlMode().name().toLowerCase(java.util.Locale.ROOT)));
    }
    if (!isValidModelName(name)) {
      return CompletableFuture.failedFuture(new InferenceException.InvalidInput("invalid model name"));
    }
    return submitLoad(name, configOverride).thenApply(status -> {
      if (status.state() != ModelState.READY || !status.reason().isEmpty()) {
        throw new InferenceException.InvalidInput("failed to load '" + name + "': " + status.reason());
      }
      return status;
    });
  }

  /** The repository API's unload; explicit mode only. Drains: requests in flight finish first. */
  public CompletionStage<ModelStatus> requestUnload(String name) {
    if (options.controlMode() != ModelControlMode.EXPLICIT) {
      return CompletableFuture.failedFuture(new InferenceException.InvalidInput(
          "explicit model load and unload are not allowed in model control mode "
              + options.controlMode().name().toLowerCase(java.util.Locale.ROOT)));
    }
    if (!isValidModelName(name) || !models.containsKey(name)) {
      return CompletableFuture.failedFuture(new InferenceException.NotFound("unknown model '" + name + "'"));
    }
    return CompletableFuture.supplyAsync(() -> unloadNow(name, "unloaded"), loadThread);
  }

  /**
   * Leases the named version (or the newest ready one when {@code version} is null or empty).
   *
   * @throws InferenceException.NotFound when the model or version does not exist
   * @throws InferenceException.NotReady when it exists but cannot serve now
   */
  public Lease acquire(String name, String version) {
    for (int attempt = 0; attempt < 3; attempt++) {
      ModelVersion found = find(name, version);
      Lease lease = found.tryLease();
      if (lease != null) {
        if (resident != null) {
          resident.touch(name); // records the use for least-recently-used eviction
        }
        return lease;
      }
      // The version was retired between lookup and lease: a newer one replaced it; look again.
    }
    throw new InferenceException.NotReady("model '" + name + "' is being reloaded; retry", LOADING_RETRY_AFTER);
  }

  /**
   * Like {@link #acquire}, but with residency on, a model on disk that is not loaded is loaded first:
   * the stage waits for it until {@code deadlineNanos}, or fails at once as not ready with a
   * retry-after when there is no deadline. Completes at once when the model is loaded.
   */
  public CompletionStage<Lease> acquireAsync(String name, String version, long deadlineNanos) {
    try {
      return CompletableFuture.completedFuture(acquire(name, version));
    } catch (InferenceException failure) {
      if (resident == null || closed || !isValidModelName(name) || !Files.isDirectory(root.resolve(name))) {
        return CompletableFuture.failedFuture(failure);
      }
      ModelEntry entry = models.get(name);
      if (entry != null && !entry.serving.isEmpty()) {
        return CompletableFuture.failedFuture(failure); // loaded, but not that version
      }
    }
    CompletableFuture<ModelStatus> loading = pendingLoad(name);
    if (deadlineNanos == InferenceRequest.NO_DEADLINE) {
      return CompletableFuture.failedFuture(new InferenceException.NotReady(
          "model '" + name + "' is loading; retry", LOADING_RETRY_AFTER));
    }
    long remaining = deadlineNanos - System.nanoTime();
    return loading
        .orTimeout(Math.max(0, remaining), TimeUnit.NANOSECONDS)
        .handle((status, error) -> {
          if (error != null) {
            throw new InferenceException.NotReady("model '" + name + "' is still loading", LOADING_RETRY_AFTER);
          }
          return acquire(name, version);
        });
  }

  /**
   * Finds the named version without leasing it, for metadata and configuration answers.
   *
   * @throws InferenceException.NotFound when the model or version does not exist
   * @throws InferenceException.NotReady when it exists but cannot serve now
   */
  public ModelVersion find(String name, String version) {
    ModelEntry entry = name == null ? null : models.get(name);
    if (entry == null) {
      throw new InferenceException.NotFound("unknown model '" + name + "'");
    }
    NavigableMap<Long, ModelVersion> serving = entry.serving;
    if (version != null && !version.isEmpty()) {
      if (!VERSION.matcher(version).matches()) {
        throw new InferenceException.NotFound("model '" + name + "' has no version '" + version + "'");
      }
      long number = Long.parseLong(version);
      ModelVersion found = serving.get(number);
      if (found != null) {
        return found;
      }
      ModelStatus status = entry.versionStatus.get(number);
      if (status != null) {
        throw new InferenceException.NotReady("model '" + name + "' version " + version + " is " + status.state()
            + (status.reason().isEmpty() ? "" : ": " + status.reason()));
      }
      throw new InferenceException.NotFound("model '" + name + "' has no version '" + version + "'");
    }
    if (serving.isEmpty()) {
      ModelStatus status = entry.status();
      throw new InferenceException.NotReady("model '" + name + "' is " + status.state()
          + (status.reason().isEmpty() ? "" : ": " + status.reason()),
          status.state() == ModelState.LOADING ? LOADING_RETRY_AFTER : null);
    }
    return serving.lastEntry().getValue();
  }

  /** The versions serving for {@code name}, newest first; empty when the model is unknown. */
  public List<String> readyVersions(String name) {
    ModelEntry entry = name == null ? null : models.get(name);
    if (entry == null) {
      return List.of();
    }
    List<String> versions = new ArrayList<>();
    entry.serving.descendingKeySet().forEach(v -> versions.add(Long.toString(v)));
    return versions;
  }

  /**
   * Every model in the repository folder and every model known, one row per version with its state
   * (a model never loaded has one row without a version). Lists the folder: call from a worker.
   *
   * @param readyOnly only versions that are ready
   */
  public List<ModelStatus> index(boolean readyOnly) {
    Map<String, List<ModelStatus>> rows = new TreeMap<>();
    for (String name : listModelFolders()) {
      rows.put(name, List.of(new ModelStatus(name, "", ModelState.UNAVAILABLE, "not loaded")));
    }
    models.values().forEach(entry -> rows.put(entry.name, entry.indexRows()));
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
    List<ModelVersion> versions = new ArrayList<>();
    models.values().stream().sorted(Comparator.comparing(e -> e.name))
        .forEach(e -> versions.addAll(e.serving.values()));
    return versions;
  }

  /**
   * One row per version of every model the repository has loaded or tried to load (a model without
   * any version has one row without a version), like {@link #index(boolean)} without listing the
   * folder: models never touched are left out. Never blocks; for metrics.
   */
  public List<ModelStatus> knownVersions() {
    List<ModelStatus> rows = new ArrayList<>();
    models.values().stream().sorted(Comparator.comparing(e -> e.name)).forEach(e -> rows.addAll(e.indexRows()));
    return rows;
  }

  /**
   * Whether {@code name} is a model folder of the repository now (touches the file system: metrics
   * use it on a worker to keep names that are not models out of their labels).
   */
  public boolean isModelFolder(String name) {
    return isValidModelName(name) && Files.isDirectory(root.resolve(name));
  }

  /** Whether every model that should be serving (loaded, not unloaded or evicted) has a ready version. */
  public boolean allReady() {
    return models.values().stream().filter(e -> e.wanted).allMatch(e -> !e.serving.isEmpty());
  }

  /** Loads and unloads so far, by model and result, for metrics. */
  public Map<String, LoadCounts> loadCounts() {
    Map<String, LoadCounts> copy = new TreeMap<>();
    loadCounts.forEach((name, counts) -> copy.put(name, counts.snapshot()));
    return copy;
  }

  /** Loads succeeded and failed, and unloads, of one model. */
  public static final class LoadCounts {
    private final AtomicLong loaded = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong unloaded = new AtomicLong();

    public long loaded() {
      return loaded.get();
    }

    public long failed() {
      return failed.get();
    }

    public long unloaded() {
      return unloaded.get();
    }

    LoadCounts snapshot() {
      LoadCounts copy = new LoadCounts();
      copy.loaded.set(loaded.get());
      copy.failed.set(failed.get());
      copy.unloaded.set(unloaded.get());
      return copy;
    }
  }

  /** Stops polling and loading, fails queued requests and releases every model's native resources. */
  @Override
  public void close() {
    closed = true;
    if (pollThread != null) {
      pollThread.shutdownNow();
    }
    loadThread.shutdownNow();
    try {
      loadThread.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (ModelEntry entry : models.values()) {
      NavigableMap<Long, ModelVersion> serving = entry.serving;
      entry.serving = Collections.emptyNavigableMap();
      serving.values().forEach(ModelVersion::closeNow);
    }
  }

  private CompletableFuture<ModelStatus> pendingLoad(String name) {
    ModelEntry entry = models.computeIfAbsent(name, ModelEntry::new);
    synchronized (entry) {
      if (entry.pending == null || entry.pending.isDone()) {
        entry.pending = submitLoad(name, null);
      }
      return entry.pending;
    }
  }

  private CompletableFuture<ModelStatus> submitLoad(String name, String configOverride) {
    if (closed) {
      return CompletableFuture.failedFuture(new InferenceException.NotReady("the repository is closed"));
    }
    ModelEntry entry = models.computeIfAbsent(name, ModelEntry::new);
    entry.wanted = true;
    entry.loading = true;
    return CompletableFuture.supplyAsync(() -> loadNow(name, configOverride), loadThread);
  }

  /**
   * Loads the versions the policy selects and swaps them in together; on the loader thread only.
   * Versions that fail keep whatever served under their number before.
   */
  private ModelStatus loadNow(String name, String configOverride) {
    ModelEntry entry = models.computeIfAbsent(name, ModelEntry::new);
    entry.loading = true;
    entry.wanted = true;
    try {
      loadVersions(entry, configOverride);
    } finally {
      entry.loading = false;
    }
    return entry.status();
  }

  private void loadVersions(ModelEntry entry, String configOverride) {
    String name = entry.name;
    LoadCounts counts = loadCounts.computeIfAbsent(name, n -> new LoadCounts());
    ModelFiles files = scanModel(name);
    ModelLoader.Plan plan;
    try {
      plan = loader.plan(name, configOverride);
    } catch (ModelLoader.LoadFailure e) {
      entry.failure = e.getMessage();
      counts.failed.incrementAndGet();
      LOG.log(System.Logger.Level.WARNING, "model " + name + " failed to load: " + e.getMessage());
      return;
    }
    Map<Long, ModelStatus> statuses = new HashMap<>(entry.versionStatus);
    for (long version : plan.versions()) {
      if (!entry.serving.containsKey(version)) {
        statuses.put(version, new ModelStatus(name, Long.toString(version), ModelState.LOADING, ""));
      }
    }
    entry.versionStatus = Map.copyOf(statuses);
    TreeMap<Long, ModelVersion> next = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    long footprint = 0;
    for (long version : plan.versions()) {
      try {
        ModelLoader.Loaded loaded = loader.load(name, version, plan);
        next.put(version, loaded.version());
        footprint += loaded.footprintBytes();
        statuses.put(version, new ModelStatus(name, Long.toString(version), ModelState.READY, ""));
        LOG.log(System.Logger.Level.INFO, "loaded model " + name + " version " + version + " on "
            + loaded.version().device());
      } catch (ModelLoader.LoadFailure e) {
        failures.add("version " + version + ": " + e.getMessage());
        ModelVersion previous = entry.serving.get(version);
        if (previous != null) {
          next.put(version, previous); // the old one keeps serving
          statuses.put(version, new ModelStatus(name, Long.toString(version), ModelState.READY,
              "reload failed: " + e.getMessage()));
        } else {
          statuses.put(version, new ModelStatus(name, Long.toString(version), ModelState.UNAVAILABLE,
              e.getMessage()));
        }
        LOG.log(System.Logger.Level.WARNING, "model " + name + " version " + version + " failed to load: "
            + e.getMessage());
      } catch (RuntimeException e) {
        failures.add("version " + version + ": internal error");
        statuses.put(version, new ModelStatus(name, Long.toString(version), ModelState.UNAVAILABLE,
            "internal error while loading"));
        LOG.log(System.Logger.Level.ERROR, "model " + name + " version " + version + " failed to load", e);
      }
    }
    boolean anyNew = next.values().stream().anyMatch(v -> !entry.serving.containsValue(v));
    if (next.isEmpty() && !entry.serving.isEmpty()) {
      // Nothing new loaded: keep every version that served, the failure is in the statuses.
      next.putAll(entry.serving);
    }
    NavigableMap<Long, ModelVersion> previous = entry.serving;
    entry.serving = Collections.unmodifiableNavigableMap(next);
    // Versions no longer selected stop being listed; failed ones stay listed with their reason.
    statuses.keySet().removeIf(v -> !next.containsKey(v) && !plan.versions().contains(v));
    entry.versionStatus = Map.copyOf(statuses);
    entry.failure = failures.isEmpty() ? null : String.join("; ", failures);
    entry.loadedFiles = files;
    for (ModelVersion old : previous.values()) {
      if (!next.containsValue(old)) {
        old.retire();
      }
    }
    if (anyNew && responseCache != null) {
      responseCache.invalidate(name);
    }
    (failures.isEmpty() ? counts.loaded : counts.failed).incrementAndGet();
    if (resident != null && !next.isEmpty()) {
      for (String evicted : resident.admit(name, Math.max(1, footprint))) {
        LOG.log(System.Logger.Level.INFO, "evicting model " + evicted + " to stay within the memory budget");
        unloadNow(evicted, "evicted to stay within the memory budget");
      }
    }
  }

  /** Retires every version of a model; on the loader thread only. */
  private ModelStatus unloadNow(String name, String reason) {
    ModelEntry entry = models.get(name);
    if (entry == null) {
      return new ModelStatus(name, "", ModelState.UNAVAILABLE, reason);
    }
    entry.wanted = false;
    NavigableMap<Long, ModelVersion> serving = entry.serving;
    entry.serving = Collections.emptyNavigableMap();
    entry.versionStatus = Map.of();
    entry.failure = reason;
    entry.loadedFiles = null;
    serving.values().forEach(ModelVersion::retire);
    if (resident != null) {
      resident.remove(name);
    }
    if (responseCache != null) {
      responseCache.invalidate(name);
    }
    if (!serving.isEmpty()) {
      loadCounts.computeIfAbsent(name, n -> new LoadCounts()).unloaded.incrementAndGet();
      LOG.log(System.Logger.Level.INFO, "unloaded model " + name + " (" + reason + ")");
    }
    return entry.status();
  }

  /** One poll: loads settled changes, unloads removed models. On the poller thread. */
  private void poll() {
    try {
      Map<String, ModelFiles> current = scanAll();
      Map<String, ModelFiles> loaded = new HashMap<>();
      for (ModelEntry entry : models.values()) {
        if (entry.loadedFiles != null) {
          loaded.put(entry.name, entry.loadedFiles);
        } else if (entry.wanted) {
          loaded.put(entry.name, new ModelFiles(Map.of("", "failed")));
        }
      }
      RepositoryPoller.Decision decision = RepositoryPoller.decide(lastPoll, current, loaded);
      lastPoll = current;
      java.util.Set<String> toLoad = new java.util.TreeSet<>(decision.load());
      if (resident != null) {
        toLoad.retainAll(loaded.keySet()); // with residency, models load on first request, not on sight
      }
      for (String name : decision.unload()) {
        loadThread.submit(() -> unloadNow(name, "removed from the repository")).get();
      }
      for (String name : toLoad) {
        submitLoad(name, null).get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "repository poll failed: " + e);
    }
  }

  private Map<String, ModelFiles> scanAll() {
    Map<String, ModelFiles> files = new HashMap<>();
    for (String name : listModelFolders()) {
      files.put(name, scanModel(name));
    }
    return files;
  }

  private ModelFiles scanModel(String name) {
    return ModelFiles.scan(root.resolve(name));
  }

  private List<String> listModelFolders() {
    List<String> names = new ArrayList<>();
    try (Stream<Path> children = Files.list(root)) {
      children.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().forEach(name -> {
        if (isValidModelName(name)) {
          names.add(name);
        } else {
          LOG.log(System.Logger.Level.WARNING, "skipping folder with an invalid model name");
        }
      });
    } catch (IOException e) {
      LOG.log(System.Logger.Level.ERROR, "cannot list the model repository: " + e.getMessage());
    }
    return names;
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  /** What the repository knows of one model name. Written on the loader thread only. */
  private static final class ModelEntry {
    final String name;
    volatile NavigableMap<Long, ModelVersion> serving = Collections.emptyNavigableMap();
    volatile Map<Long, ModelStatus> versionStatus = Map.of();
    volatile String failure;
    volatile boolean loading;
    volatile boolean wanted;
    volatile ModelFiles loadedFiles;
    CompletableFuture<ModelStatus> pending;

    ModelEntry(String name) {
      this.name = name;
    }

    /** The model as a whole: its newest serving version, else loading, else why not. */
    ModelStatus status() {
      NavigableMap<Long, ModelVersion> current = serving;
      String reason = failure == null ? "" : failure;
      if (!current.isEmpty()) {
        ModelVersion newest = current.lastEntry().getValue();
        return new ModelStatus(name, newest.versionString(), newest.state(), reason);
      }
      if (loading) {
        return new ModelStatus(name, "", ModelState.LOADING, "");
      }
      return new ModelStatus(name, "", ModelState.UNAVAILABLE, reason.isEmpty() ? "not loaded" : reason);
    }

    /** The index's rows: one per version known, ascending, or the model's status when it has none. */
    List<ModelStatus> indexRows() {
      List<ModelStatus> rows = new ArrayList<>(new TreeMap<>(versionStatus).values());
      return rows.isEmpty() ? List.of(status()) : rows;
    }
  }

  /** Residency's view, for metrics: loaded models and their footprints; empty without a budget. */
  public Map<String, Long> residentFootprints() {
    return resident == null ? Map.of() : resident.footprints();
  }
}
