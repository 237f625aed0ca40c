package dev.neutrino.repo;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.runtime.InferenceException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The hot path: resolves (model, version) to a serving {@link ModelVersion} and leases it. Lock-free:
 * every read goes through a {@link ConcurrentHashMap} and the entries' volatile, immutable maps, so it
 * may run on an event loop. Entries are added, changed and removed by {@link ModelLifecycle} only.
 */
final class ModelRegistry {
  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,17}");
  static final Duration LOADING_RETRY_AFTER = Duration.ofSeconds(1);

  private final Map<String, ModelEntry> models = new ConcurrentHashMap<>();
  private final Residency resident;
  private final IdleUnloader idle;

  /**
   * @param resident residency's bookkeeping, told of every lease; null without a memory budget
   * @param idle the idle rule, told of every lease
   */
  ModelRegistry(Residency resident, IdleUnloader idle) {
    this.resident = resident;
    this.idle = idle;
  }

  ModelEntry entry(String name) {
    return name == null ? null : models.get(name);
  }

  /** The entry of {@code name}, created if absent; for the lifecycle thread only. */
  ModelEntry entryOrCreate(String name) {
    return models.computeIfAbsent(name, ModelEntry::new);
  }

  /** Forgets {@code name}; for the lifecycle thread only. */
  void remove(String name) {
    models.remove(name);
  }

  /** Every entry, by name. */
  List<ModelEntry> entries() {
    List<ModelEntry> entries = new ArrayList<>(models.values());
    entries.sort(Comparator.comparing(e -> e.name));
    return entries;
  }

  /** See {@link ModelRepository#acquire}. */
  Lease acquire(String name, String version) {
    for (int attempt = 0; attempt < 3; attempt++) {
      ModelVersion found = find(name, version);
      Lease lease = found.tryLease();
      if (lease != null) {
        if (resident != null) {
          resident.touch(name); // records the use for least-recently-used eviction
        }
        idle.touch(name);
        return lease;
      }
      // The version was retired between lookup and lease: a newer one replaced it; look again.
    }
    throw new InferenceException.NotReady("model '" + name + "' is being reloaded; retry", LOADING_RETRY_AFTER);
  }

  /**
   * See {@link ModelRepository#acquireAsync}.
   *
   * @param loadOnDemand starts (or joins) the load of a model on disk that is not loaded, or answers
   *     null when it will not be loaded on demand
   */
  CompletionStage<Lease> acquireAsync(String name, String version, long deadlineNanos,
      Function<String, CompletableFuture<ModelStatus>> loadOnDemand) {
    try {
      return CompletableFuture.completedFuture(acquire(name, version));
    } catch (InferenceException failure) {
      ModelEntry entry = entry(name);
      if (entry != null && !entry.serving.isEmpty()) {
        return CompletableFuture.failedFuture(failure); // loaded, but not that version
      }
      CompletableFuture<ModelStatus> loading = loadOnDemand.apply(name);
      if (loading == null) {
        return CompletableFuture.failedFuture(failure);
      }
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
  }

  /**
   * See {@link ModelRepository#find}. An ensemble is ready only while every step's model is: else it
   * is not ready, naming the step's model.
   */
  ModelVersion find(String name, String version) {
    ModelVersion found = findVersion(name, version);
    if (found.config().isEnsemble()) {
      for (EnsembleConfig.Step step : found.config().ensemble().steps()) {
        ModelEntry stepEntry = entry(step.modelName());
        boolean serving = stepEntry != null && (step.modelVersion() == EnsembleConfig.LATEST_VERSION
            ? !stepEntry.serving.isEmpty() : stepEntry.serving.containsKey(step.modelVersion()));
        if (!serving) {
          throw new InferenceException.NotReady("ensemble '" + name + "' is not ready: its step model '"
              + step.modelName() + "'" + (step.versionString().isEmpty() ? "" : " version " + step.versionString())
              + " is not ready");
        }
      }
    }
    return found;
  }

  private ModelVersion findVersion(String name, String version) {
    ModelEntry entry = entry(name);
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

  /** See {@link ModelRepository#readyVersions}. */
  List<String> readyVersions(String name) {
    ModelEntry entry = entry(name);
    if (entry == null) {
      return List.of();
    }
    List<String> versions = new ArrayList<>();
    entry.serving.descendingKeySet().forEach(v -> versions.add(Long.toString(v)));
    return versions;
  }

  /** See {@link ModelRepository#allReady}. */
  boolean allReady() {
    for (ModelEntry entry : models.values()) {
      if (entry.wanted && entry.serving.isEmpty()) {
        return false;
      }
    }
    return true;
  }

  /** See {@link ModelRepository#servingVersions}. */
  List<ModelVersion> servingVersions() {
    List<ModelVersion> versions = new ArrayList<>();
    entries().forEach(e -> versions.addAll(e.serving.values()));
    return versions;
  }

  /** See {@link ModelRepository#knownVersions}. */
  List<ModelStatus> knownVersions() {
    List<ModelStatus> rows = new ArrayList<>();
    entries().forEach(e -> rows.addAll(e.indexRows()));
    return rows;
  }
}
