package dev.neutrino.repo;

import dev.neutrino.runtime.InferenceException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Loads, swaps, evicts and unloads model versions. Two kinds of thread do it:
 *
 * <ul>
 *   <li>Loader threads ({@code neutrino-model-loader-N}, {@link RepositoryOptions#loaderThreads()} of
 *       them) do the slow work: read the configuration, check it against the {@link LoadLimits}, load
 *       the instances and warm them up. Work is queued per model ({@link ModelLanes}): one model's
 *       loads and unloads run one at a time, in order, while other models' run beside them, so one
 *       slow load delays only later changes of its own model (a second slow load, of another model,
 *       takes the other loader thread until one ends; the {@link LoadLimits} bound every load).
 *   <li>The lifecycle thread ({@code neutrino-model-lifecycle}) is the only writer of the
 *       {@link ModelRegistry}'s entries: it marks versions loading, swaps finished versions in,
 *       retires the ones they replace, admits them to {@link Residency} and evicts what no longer
 *       fits, and unloads. Its steps are short and never wait for a backend.
 * </ul>
 *
 * A load that fails leaves the versions that served before serving and records why. A load of a name
 * that is not a model folder leaves nothing behind: no entry, no counters.
 */
final class ModelLifecycle implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ModelLifecycle.class.getName());

  private final RepositoryFolder folder;
  private final ModelLoader loader;
  private final ModelRegistry registry;
  private final ResponseCache responseCache;
  private final Residency resident;
  private final IdleUnloader idle;
  private final ExecutorService loaderPool;
  private final ExecutorService lifecycleThread;
  private final ModelLanes lanes;
  private final Map<String, ModelRepository.LoadCounts> loadCounts = new ConcurrentHashMap<>();
  /** Loads started on demand (residency), by model, so that concurrent requests share one. */
  private final Map<String, CompletableFuture<ModelStatus>> onDemand = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param responseCache the shared response cache, or null when it is off
   * @param resident residency's bookkeeping, or null without a memory budget
   * @param idle the idle rule: models it finds unused are scaled to zero by {@link #unloadIdle}
   */
  ModelLifecycle(RepositoryFolder folder, ModelLoader loader, ModelRegistry registry, ResponseCache responseCache,
      Residency resident, IdleUnloader idle, int loaderThreads) {
    this.folder = folder;
    this.loader = loader;
    this.registry = registry;
    this.responseCache = responseCache;
    this.resident = resident;
    this.idle = idle;
    this.loaderPool = Executors.newFixedThreadPool(loaderThreads, daemon("neutrino-model-loader-"));
    this.lifecycleThread = Executors.newSingleThreadExecutor(daemon("neutrino-model-lifecycle"));
    this.lanes = new ModelLanes(loaderPool);
  }

  /**
   * Loads (or reloads, re-reading configuration and files) the versions the policy selects.
   *
   * @param configOverride a configuration to use instead of {@code config.yaml}, or null
   * @return completes with the model's status once the load has finished or failed
   */
  CompletableFuture<ModelStatus> load(String name, String configOverride) {
    if (closed) {
      return CompletableFuture.failedFuture(new InferenceException.NotReady("the repository is closed"));
    }
    return lanes.submit(name, () -> loadInLane(name, configOverride));
  }

  /** Retires every version of {@code name}, after the model's earlier loads and unloads. */
  CompletableFuture<ModelStatus> unload(String name, String reason) {
    if (closed) {
      return CompletableFuture.failedFuture(new InferenceException.NotReady("the repository is closed"));
    }
    return lanes.submit(name, () -> onLifecycleThread(() -> unloadNow(name, reason)));
  }

  /**
   * Scales to zero every model the idle rule finds unused: unloaded like {@link #unload}, but marked so
   * that its next request loads it again. Each unload waits for the model's earlier loads and unloads.
   */
  void unloadIdle() {
    if (closed) {
      return;
    }
    for (String name : idle.idle()) {
      lanes.submit(name, () -> onLifecycleThread(() -> scaleToZero(name)));
    }
  }

  /** On the lifecycle thread: unloads {@code name} if it is still loaded and still unused. */
  private ModelStatus scaleToZero(String name) {
    ModelEntry entry = registry.entry(name);
    if (entry == null || entry.serving.isEmpty() || !idle.idle().contains(name)) {
      return entry == null ? new ModelStatus(name, "", ModelState.UNAVAILABLE, "") : entry.status();
    }
    ModelStatus status = unloadNow(name, "scaled to zero: unused for "
        + idle.idleTime(entry.serving.lastEntry().getValue().config().parameters()).toSeconds() + " s");
    entry.scaledToZero = true;
    return status;
  }

  /**
   * With residency, or for a model scaled to zero, starts the load of a model on disk that is not
   * loaded, or joins the one running.
   *
   * @return the load, or null when {@code name} is not loaded on demand (no residency and not scaled
   *     to zero, not a model folder, or closed)
   */
  CompletableFuture<ModelStatus> loadOnDemand(String name) {
    ModelEntry known = registry.entry(name);
    boolean scaledToZero = known != null && known.scaledToZero;
    if ((resident == null && !scaledToZero) || closed || !folder.isModelFolder(name)) {
      return null;
    }
    CompletableFuture<ModelStatus> started = new CompletableFuture<>();
    CompletableFuture<ModelStatus> running = onDemand.putIfAbsent(name, started);
    if (running != null) {
      return running;
    }
    load(name, null).whenComplete((status, failure) -> {
      onDemand.remove(name, started);
      if (failure != null) {
        started.completeExceptionally(failure);
      } else {
        started.complete(status);
      }
    });
    return started;
  }

  /** Loads and unloads so far, by model, as snapshots. */
  Map<String, ModelRepository.LoadCounts> loadCounts() {
    Map<String, ModelRepository.LoadCounts> copy = new TreeMap<>();
    loadCounts.forEach((name, counts) -> copy.put(name, counts.snapshot()));
    return copy;
  }

  /** Models with queued or running loads or unloads; for tests. */
  int busyModels() {
    return lanes.busyLanes();
  }

  /** Stops loading; loads in progress are interrupted. Does not close the versions serving. */
  @Override
  public void close() {
    closed = true;
    lanes.shutdown(new InferenceException.NotReady("the repository is closed"));
    awaitTermination(loaderPool);
    lifecycleThread.shutdownNow();
    awaitTermination(lifecycleThread);
  }

  /** One load, on a loader thread: the slow steps here, every change of state on the lifecycle thread. */
  private ModelStatus loadInLane(String name, String configOverride) {
    onLifecycleThread(() -> {
      ModelEntry entry = registry.entry(name);
      if (entry != null) {
        entry.loading = true;
        entry.wanted = true;
      }
      return null;
    });
    ModelFiles files = folder.scan(name);
    ModelLoader.Plan plan;
    try {
      plan = loader.plan(name, configOverride);
    } catch (ModelLoader.LoadFailure e) {
      boolean inRepository = folder.isModelFolder(name);
      return onLifecycleThread(() -> planFailed(name, e.getMessage(), inRepository));
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "model " + name + " failed to load", e);
      boolean inRepository = folder.isModelFolder(name);
      return onLifecycleThread(() -> planFailed(name, "internal error while loading", inRepository));
    }
    onLifecycleThread(() -> started(name, plan.versions()));
    List<Attempt> attempts = new ArrayList<>();
    for (long version : plan.versions()) {
      try {
        attempts.add(new Attempt(version, loader.load(name, version, plan), null));
      } catch (ModelLoader.LoadFailure e) {
        attempts.add(new Attempt(version, null, e.getMessage()));
        LOG.log(System.Logger.Level.WARNING, "model " + name + " version " + version + " failed to load: "
            + e.getMessage());
      } catch (RuntimeException e) {
        attempts.add(new Attempt(version, null, null));
        LOG.log(System.Logger.Level.ERROR, "model " + name + " version " + version + " failed to load", e);
      }
    }
    return onLifecycleThread(() -> swap(name, plan, files, attempts));
  }

  /** The outcome of loading one version: {@code loaded}, or a failure ({@code failure} null: internal). */
  private record Attempt(long version, ModelLoader.Loaded loaded, String failure) {}

  /** On the lifecycle thread: the configuration or the folder could not be read. */
  private ModelStatus planFailed(String name, String message, boolean inRepository) {
    LOG.log(System.Logger.Level.WARNING, "model " + name + " failed to load: " + message);
    ModelEntry entry = registry.entry(name);
    if (!inRepository && (entry == null || entry.serving.isEmpty())) {
      // Not a model of the repository, and nothing of it serves: leave no trace of the name.
      registry.remove(name);
      loadCounts.remove(name);
      return new ModelStatus(name, "", ModelState.UNAVAILABLE, message);
    }
    if (entry == null) {
      entry = registry.entryOrCreate(name);
      entry.wanted = true;
    }
    entry.failure = message;
    entry.loading = false;
    counts(name).failed.incrementAndGet();
    return entry.status();
  }

  /** On the lifecycle thread: the versions about to load are listed as loading. */
  private Void started(String name, List<Long> versions) {
    ModelEntry entry = registry.entryOrCreate(name);
    entry.loading = true;
    entry.wanted = true;
    Map<Long, ModelStatus> statuses = new HashMap<>(entry.versionStatus);
    for (long version : versions) {
      if (!entry.serving.containsKey(version)) {
        statuses.put(version, new ModelStatus(name, Long.toString(version), ModelState.LOADING, ""));
      }
    }
    entry.versionStatus = Map.copyOf(statuses);
    return null;
  }

  /**
   * On the lifecycle thread: swaps the versions that loaded in together. Versions that failed keep
   * whatever served under their number before.
   */
  private ModelStatus swap(String name, ModelLoader.Plan plan, ModelFiles files, List<Attempt> attempts) {
    ModelEntry entry = registry.entryOrCreate(name);
    Map<Long, ModelStatus> statuses = new HashMap<>(entry.versionStatus);
    TreeMap<Long, ModelVersion> next = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    long footprint = 0;
    for (Attempt attempt : attempts) {
      long version = attempt.version();
      String number = Long.toString(version);
      if (attempt.loaded() != null) {
        next.put(version, attempt.loaded().version());
        footprint += attempt.loaded().footprintBytes();
        counts(name).countGraphCache(attempt.loaded().graphCacheResults());
        statuses.put(version, new ModelStatus(name, number, ModelState.READY, ""));
        LOG.log(System.Logger.Level.INFO, "loaded model " + name + " version " + version + " on "
            + attempt.loaded().version().device());
      } else if (attempt.failure() != null) {
        failures.add("version " + version + ": " + attempt.failure());
        ModelVersion previous = entry.serving.get(version);
        if (previous != null) {
          next.put(version, previous); // the old one keeps serving
          statuses.put(version, new ModelStatus(name, number, ModelState.READY, "reload failed: " + attempt.failure()));
        } else {
          statuses.put(version, new ModelStatus(name, number, ModelState.UNAVAILABLE, attempt.failure()));
        }
      } else {
        failures.add("version " + version + ": internal error");
        statuses.put(version, new ModelStatus(name, number, ModelState.UNAVAILABLE, "internal error while loading"));
      }
    }
    NavigableMap<Long, ModelVersion> previous = entry.serving;
    boolean anyNew = next.values().stream().anyMatch(v -> !previous.containsValue(v));
    if (next.isEmpty() && !previous.isEmpty()) {
      // Nothing new loaded: keep every version that served, the failure is in the statuses.
      next.putAll(previous);
    }
    entry.serving = Collections.unmodifiableNavigableMap(next);
    // Versions no longer selected stop being listed; failed ones stay listed with their reason.
    statuses.keySet().removeIf(v -> !next.containsKey(v) && !plan.versions().contains(v));
    entry.versionStatus = Map.copyOf(statuses);
    entry.failure = failures.isEmpty() ? null : String.join("; ", failures);
    entry.loadedFiles = files;
    entry.loading = false;
    if (!next.isEmpty()) {
      entry.scaledToZero = false;
      idle.loaded(name, idle.idleTime(next.lastEntry().getValue().config().parameters()));
    }
    for (ModelVersion old : previous.values()) {
      if (!next.containsValue(old)) {
        old.retire();
      }
    }
    if (anyNew && responseCache != null) {
      responseCache.invalidate(name);
    }
    ModelRepository.LoadCounts counts = counts(name);
    (failures.isEmpty() ? counts.loaded : counts.failed).incrementAndGet();
    if (resident != null && !next.isEmpty()) {
      for (String evicted : resident.admit(name, Math.max(1, footprint))) {
        LOG.log(System.Logger.Level.INFO, "evicting model " + evicted + " to stay within the memory budget");
        unloadNow(evicted, "evicted to stay within the memory budget");
      }
    }
    return entry.status();
  }

  /** On the lifecycle thread: retires every version of a model. */
  private ModelStatus unloadNow(String name, String reason) {
    ModelEntry entry = registry.entry(name);
    if (entry == null) {
      return new ModelStatus(name, "", ModelState.UNAVAILABLE, reason);
    }
    entry.wanted = false;
    entry.scaledToZero = false;
    idle.forget(name);
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
      counts(name).unloaded.incrementAndGet();
      LOG.log(System.Logger.Level.INFO, "unloaded model " + name + " (" + reason + ")");
    }
    return entry.status();
  }

  private ModelRepository.LoadCounts counts(String name) {
    return loadCounts.computeIfAbsent(name, n -> new ModelRepository.LoadCounts());
  }

  /** Runs {@code step} on the lifecycle thread and waits for it; from a loader thread. */
  private <T> T onLifecycleThread(Supplier<T> step) {
    try {
      return CompletableFuture.supplyAsync(step, lifecycleThread).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InferenceException.NotReady("the repository is closing");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private static void awaitTermination(ExecutorService executor) {
    try {
      executor.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, name.endsWith("-") ? name + count.incrementAndGet() : name);
      thread.setDaemon(true);
      return thread;
    };
  }
}
