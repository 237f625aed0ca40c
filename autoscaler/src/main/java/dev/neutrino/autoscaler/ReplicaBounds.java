package dev.neutrino.autoscaler;

/** The replica range a target is kept in, whatever the policy recommends. */
public record ReplicaBounds(int min, int max) {

  public ReplicaBounds {
    if (min < 0) {
      throw new IllegalArgumentException("min_replicas must be >= 0, got " + min);
    }
    if (max < 1 || max < min) {
      throw new IllegalArgumentException(
          "max_replicas must be >= 1 and >= min_replicas, got min_replicas=" + min + " max_replicas=" + max);
    }
  }

  public int clamp(int replicas) {
    return Math.max(min, Math.min(max, replicas));
  }
}
