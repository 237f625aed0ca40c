package dev.neutrino.repo;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which models are loaded under a memory budget, least recently used first out. Exact LRU: a model
 * that was just loaded is never the one evicted to make room for itself (a frequency-based admission
 * policy, as a general-purpose cache has, could refuse it). Thread-safe.
 */
final class Residency {
  private final long budgetBytes;
  private final LinkedHashMap<String, Long> footprints = new LinkedHashMap<>(16, 0.75f, true);
  private long totalBytes;

  Residency(long budgetBytes) {
    this.budgetBytes = budgetBytes;
  }

  /** Records a use of {@code name}, making it the most recently used. */
  synchronized void touch(String name) {
    footprints.get(name);
  }

  /**
   * Records that {@code name} is loaded with {@code footprintBytes}, and answers which other models to
   * unload, least recently used first, so that the total fits the budget again. Models evicted are
   * forgotten here at once.
   */
  synchronized List<String> admit(String name, long footprintBytes) {
    Long previous = footprints.put(name, footprintBytes);
    totalBytes += footprintBytes - (previous == null ? 0 : previous);
    List<String> evict = new ArrayList<>();
    Iterator<Map.Entry<String, Long>> oldestFirst = footprints.entrySet().iterator();
    while (totalBytes > budgetBytes && oldestFirst.hasNext()) {
      Map.Entry<String, Long> candidate = oldestFirst.next();
      if (!candidate.getKey().equals(name)) {
        totalBytes -= candidate.getValue();
        evict.add(candidate.getKey());
        oldestFirst.remove();
      }
    }
    return evict;
  }

  synchronized void remove(String name) {
    Long footprint = footprints.remove(name);
    if (footprint != null) {
      totalBytes -= footprint;
    }
  }

  synchronized long totalBytes() {
    return totalBytes;
  }

  synchronized Map<String, Long> footprints() {
    return Map.copyOf(footprints);
  }
}
