package dev.neutrino.repo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Poll mode: rescans the repository every interval and loads what changed, unloads what was removed.
 * The decision is {@link #decide}, a pure function of snapshots; {@link #pollOnce} takes the
 * snapshots, decides and hands the work to the {@link ModelLifecycle}. Polls run one at a time, on the
 * poller's own thread or on the caller's (tests drive {@link #pollOnce} directly).
 */
final class RepositoryPoller implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RepositoryPoller.class.getName());
  /** What a model that should serve but has no loaded files (its load failed) is compared as. */
  private static final ModelFiles FAILED = new ModelFiles(Map.of("", "failed"));

  private final RepositoryFolder folder;
  private final ModelRegistry registry;
  private final ModelLifecycle lifecycle;
  private final boolean loadOnDemand;
  private volatile ScheduledExecutorService thread;
  /** The previous poll's scan; guarded by {@code this}. */
  private Map<String, ModelFiles> lastScan = Map.of();

  /** @param loadOnDemand with residency: models new on disk load on their first request, not on sight */
  RepositoryPoller(RepositoryFolder folder, ModelRegistry registry, ModelLifecycle lifecycle, boolean loadOnDemand) {
    this.folder = folder;
    this.registry = registry;
    this.lifecycle = lifecycle;
    this.loadOnDemand = loadOnDemand;
  }

  /** What to do after one poll. */
  record Decision(Set<String> load, Set<String> unload) {
    Decision {
      load = Set.copyOf(load);
      unload = Set.copyOf(unload);
    }
  }

  /**
   * A model is acted on only when its files are the same in two polls in a row (so a model still
   * being copied is never loaded) and differ from what is loaded; a model is unloaded once two polls
   * in a row did not see it.
   *
   * @param previous the files seen at the previous poll, by model name
   * @param current the files seen now
   * @param loaded the files as they were when each loaded model was loaded
   */
  static Decision decide(
      Map<String, ModelFiles> previous, Map<String, ModelFiles> current, Map<String, ModelFiles> loaded) {
    Set<String> load = new TreeSet<>();
    Set<String> unload = new TreeSet<>();
    for (Map.Entry<String, ModelFiles> entry : current.entrySet()) {
      String model = entry.getKey();
      ModelFiles now = entry.getValue();
      boolean settled = Objects.equals(previous.get(model), now);
      if (settled && !Objects.equals(loaded.get(model), now)) {
        load.add(model);
      }
    }
    for (String model : loaded.keySet()) {
      if (!current.containsKey(model) && !previous.containsKey(model)) {
        unload.add(model);
      }
    }
    return new Decision(load, unload);
  }

  /** Takes the first scan now and polls every {@code interval} on the poller thread from then on. */
  synchronized void start(Duration interval) {
    lastScan = folder.scanAll();
    thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread poller = new Thread(runnable, "neutrino-repository-poller");
      poller.setDaemon(true);
      return poller;
    });
    long every = interval.toMillis();
    thread.scheduleWithFixedDelay(this::pollOnce, every, every, TimeUnit.MILLISECONDS);
  }

  /** One poll: scans, decides, and waits for the unloads and loads it starts. */
  synchronized void pollOnce() {
    try {
      Map<String, ModelFiles> current = folder.scanAll();
      Map<String, ModelFiles> loaded = new HashMap<>();
      for (ModelEntry entry : registry.entries()) {
        ModelFiles files = entry.loadedFiles;
        if (files != null) {
          loaded.put(entry.name, files);
        } else if (entry.wanted) {
          loaded.put(entry.name, FAILED);
        }
      }
      Decision decision = decide(lastScan, current, loaded);
      lastScan = current;
      Set<String> toLoad = new TreeSet<>(decision.load());
      if (loadOnDemand) {
        toLoad.retainAll(loaded.keySet()); // models not loaded yet load on first request, not on sight
      }
      toLoad.removeIf(name -> { // scaled to zero (IdleUnload): its next request loads it
        ModelEntry entry = registry.entry(name);
        return entry != null && entry.scaledToZero;
      });
      List<CompletableFuture<ModelStatus>> changes = new ArrayList<>();
      for (String name : decision.unload()) {
        changes.add(lifecycle.unload(name, "removed from the repository"));
      }
      for (String name : toLoad) {
        changes.add(lifecycle.load(name, null));
      }
      for (CompletableFuture<ModelStatus> change : changes) {
        change.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "repository poll failed: " + e);
    }
  }

  @Override
  public void close() {
    ScheduledExecutorService running = thread;
    if (running != null) {
      running.shutdownNow();
    }
  }
}
