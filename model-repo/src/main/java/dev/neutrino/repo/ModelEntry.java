package dev.neutrino.repo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * What the repository knows of one model name. Written by {@link ModelLifecycle} on its lifecycle
 * thread only; read from any thread through the volatile fields, each replaced whole (never mutated).
 */
final class ModelEntry {
  final String name;
  /** The versions that serve, by number; unmodifiable. */
  volatile NavigableMap<Long, ModelVersion> serving = Collections.emptyNavigableMap();
  /** Every version known, with its state and reason; immutable. */
  volatile Map<Long, ModelStatus> versionStatus = Map.of();
  volatile String failure;
  volatile boolean loading;
  /** Whether the model should be serving: loaded or being loaded, not unloaded or evicted. */
  volatile boolean wanted;
  /** Unloaded for want of use ({@link IdleUnload}): its next request loads it again. */
  volatile boolean scaledToZero;
  /** The files as they were when the serving versions loaded, for the poller; null when none. */
  volatile ModelFiles loadedFiles;

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
