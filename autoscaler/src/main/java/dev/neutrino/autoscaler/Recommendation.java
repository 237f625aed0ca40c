package dev.neutrino.autoscaler;

import java.util.Objects;

/**
 * What a policy recommends at one instant, before the replica bounds and the autoscaler's own
 * safety rules (hold on missing metrics, no scale-down on short history) are applied.
 *
 * @param replicas the recommended replica count, non-negative
 * @param reason why, in one line, with the numbers that decided it
 * @param state the policy's state to pass to its next call
 * @param stableDemand the demand the policy computed over its long window (meaning per policy)
 * @param panicDemand the demand over its short window or lead time (meaning per policy), or NaN
 * @param panicking whether the policy is in its panic (or over-pressure) mode
 * @param <S> the policy's state type
 */
public record Recommendation<S>(
    int replicas, String reason, S state, double stableDemand, double panicDemand, boolean panicking) {

  public Recommendation {
    if (replicas < 0) {
      throw new IllegalArgumentException("replicas must be >= 0, got " + replicas);
    }
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(state, "state");
  }
}
