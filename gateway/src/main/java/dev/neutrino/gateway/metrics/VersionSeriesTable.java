package dev.neutrino.gateway.metrics;

import dev.neutrino.repo.ModelVersion;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link VersionSeries} of one gateway, found by the loaded {@link ModelVersion} a request ran on.
 * Only loaded versions ever create a series, so a model name that does not resolve to a loaded model
 * never becomes a label value.
 *
 * <p>The request path looks a version up by identity in a concurrent map (no allocation); the first
 * request on an instance takes a lock to find or create the series for its name and number. Instances
 * are forgotten once closed (see {@link VersionSeries#foldClosed()}); a closed instance shown again is
 * not followed again, so its counters are never counted twice.
 */
final class VersionSeriesTable {
  private final ConcurrentHashMap<ModelVersion, VersionSeries> byInstance = new ConcurrentHashMap<>();
  /** Guarded by {@code this}. */
  private final Map<Key, VersionSeries> byName = new ConcurrentHashMap<>();
  /** Instances already folded, weakly held. Guarded by {@code this}. */
  private final Set<ModelVersion> folded = Collections.newSetFromMap(new WeakHashMap<>());

  private record Key(String model, String version) {}

  /** The series of {@code instance}'s model version, following the instance from now on. */
  VersionSeries of(ModelVersion instance) {
    VersionSeries series = byInstance.get(instance);
    return series != null ? series : attach(instance);
  }

  private synchronized VersionSeries attach(ModelVersion instance) {
    VersionSeries series = byName.computeIfAbsent(new Key(instance.name(), instance.versionString()),
        key -> new VersionSeries(key.model(), key.version()));
    if (!folded.contains(instance)) {
      series.attach(instance);
      byInstance.put(instance, series);
    }
    return series;
  }

  /** The series of a model version, or null when no instance of it has been seen. */
  VersionSeries find(String model, String version) {
    return byName.get(new Key(model, version));
  }

  /**
   * Follows the versions serving now and lets go of closed instances; at scrape time.
   *
   * @return every series, by model then version number
   */
  synchronized List<VersionSeries> refresh(List<ModelVersion> serving) {
    for (ModelVersion instance : serving) {
      of(instance);
    }
    for (VersionSeries series : byName.values()) {
      for (ModelVersion gone : series.foldClosed()) {
        byInstance.remove(gone);
        folded.add(gone);
      }
    }
    List<VersionSeries> all = new ArrayList<>(byName.values());
    all.sort(Comparator.comparing((VersionSeries s) -> s.model)
        .thenComparingLong(s -> Long.parseLong(s.version)));
    return all;
  }
}
