package dev.neutrino.autoscaler;

import java.time.Duration;
import java.time.Instant;

/**
 * A scaling policy: a pure function from the metric history, the target's replicas, the policy's own
 * state and the time to a recommendation and the next state. Implementations keep no mutable
 * fields and read no clock; the caller passes {@code now} and threads the state from one call to the
 * next, so tests (and the simulator) drive a policy through simulated time by hand.
 *
 * @param <S> the policy's immutable state (windows of past recommendations, panic start, ...)
 */
public interface ScalingPolicy<S> {

  /** The policy's name as written in configuration: {@code kpa}, {@code hpa}, {@code slo} or {@code predictive}. */
  String name();

  /** The state before the first call (and after a restart: state is not persisted). */
  S initialState();

  /**
   * How far back the metric history must reach before the policy's windows are full. Until then
   * (after a restart, or when the history was emptied) the autoscaler never scales down.
   */
  Duration historyNeeded();

  /**
   * Recommends a replica count. Called only when {@code history} holds a fresh sample; the
   * autoscaler handles missing metrics itself.
   */
  Recommendation<S> recommend(MetricHistory history, Replicas replicas, S state, Instant now);
}
