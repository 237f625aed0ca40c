package dev.neutrino.autoscaler;

/**
 * What a target has now.
 *
 * @param current the replica count asked for (a Deployment's {@code spec.replicas}, a model's instance
 *     count), including replicas still starting
 * @param ready the replicas that serve (a Deployment's {@code status.readyReplicas}); never more than
 *     {@code current} as far as policies are concerned
 */
public record Replicas(int current, int ready) {

  public Replicas {
    if (current < 0 || ready < 0) {
      throw new IllegalArgumentException(
          "replica counts must be non-negative, got current=" + current + " ready=" + ready);
    }
  }

  /** A target whose replicas are all ready. */
  public static Replicas allReady(int count) {
    return new Replicas(count, count);
  }
}
