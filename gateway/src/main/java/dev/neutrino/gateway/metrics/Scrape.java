package dev.neutrino.gateway.metrics;

import io.prometheus.client.Collector.MetricFamilySamples;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A collector's families, filled afresh for one scrape. Not thread-safe: one per scrape. */
final class Scrape {
  private final Map<Family, Family> fresh = new LinkedHashMap<>();

  Scrape(List<Family> families) {
    families.forEach(f -> fresh.put(f, f.fresh()));
  }

  /** The family of this scrape that stands for {@code family}. */
  Family get(Family family) {
    return fresh.get(family);
  }

  /** What the scrape collected, in the families' order. */
  List<MetricFamilySamples> samples() {
    List<MetricFamilySamples> out = new ArrayList<>(fresh.size());
    fresh.values().forEach(f -> out.add(f.toSamples()));
    return out;
  }

  /** {@code families} without samples, for {@code Collector.Describable}. */
  static List<MetricFamilySamples> describe(List<Family> families) {
    List<MetricFamilySamples> out = new ArrayList<>(families.size());
    families.forEach(f -> out.add(f.describe()));
    return out;
  }
}
