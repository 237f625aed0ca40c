package dev.neutrino.runtime;

/**
 * What a backend's cache of optimized graphs did for one instance's load, so that an operator can see
 * whether reloads skip graph optimisation.
 */
public enum GraphCacheResult {
  /** The backend keeps no optimized graphs for this instance (no cache, or not a device it caches for). */
  NOT_USED("not_used"),
  /** The instance was built from a cached optimized graph, without optimizing again. */
  HIT("hit"),
  /** No graph was cached: the model was optimized and its graph saved for the next load. */
  MISS("miss"),
  /**
   * The cache could not be used (its folder cannot be written, a cached graph cannot be loaded, or the
   * new graph cannot be saved): the model was optimized and loaded all the same.
   */
  ERROR("error");

  private final String label;

  GraphCacheResult(String label) {
    this.label = label;
  }

  /** The value of the {@code result} label of the metrics that count these. */
  public String label() {
    return label;
  }
}
