package dev.neutrino.autoscaler;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Applies a {@link ScalingPolicy} to one target, with the rules every policy shares:
 *
 * <ol>
 *   <li><b>Missing metrics mean hold.</b> Without a sample newer than {@code staleAfter}, the target
 *       keeps the replicas it has; the policy is not consulted and its state does not move. A
 *       metrics outage never scales anything down, and never to zero.
 *   <li><b>No scale-down on short history.</b> Until the metric history reaches back over
 *       {@link ScalingPolicy#historyNeeded()}, a recommendation below the current count is not
 *       followed (scaling up is). After a restart the autoscaler has no history and no policy
 *       state, so it could otherwise read a quiet first second as a quiet minute.
 *   <li>The result is clamped to the target's {@link ReplicaBounds}.
 * </ol>
 *
 * <p>{@link #decide(ScalingPolicy, ReplicaBounds, Duration, MetricHistory, Replicas, Object, Instant)}
 * is the pure form. An instance threads the history and the policy state from one call to the next;
 * it is not thread-safe and belongs to the one loop (or simulation) that drives its target.
 *
 * @param <S> the policy's state type
 */
public final class Decider<S> {

  /** A sample older than this when a decision is due counts as no metrics. */
  public static final Duration DEFAULT_STALE_AFTER = Duration.ofSeconds(10);

  private static final Duration RETENTION_MARGIN = Duration.ofSeconds(10);

  private final ScalingPolicy<S> policy;
  private final ReplicaBounds bounds;
  private final Duration staleAfter;
  private MetricHistory history;
  private S state;

  private Decider(ScalingPolicy<S> policy, ReplicaBounds bounds, Duration staleAfter) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.bounds = Objects.requireNonNull(bounds, "bounds");
    this.staleAfter = Objects.requireNonNull(staleAfter, "staleAfter");
    if (staleAfter.isNegative() || staleAfter.isZero()) {
      throw new IllegalArgumentException("stale_after must be positive, got " + staleAfter);
    }
    this.history = MetricHistory.empty(policy.historyNeeded().plus(staleAfter).plus(RETENTION_MARGIN));
    this.state = policy.initialState();
  }

  /** A decider with empty history and initial state: what the autoscaler has just after it starts. */
  public static <S> Decider<S> of(ScalingPolicy<S> policy, ReplicaBounds bounds, Duration staleAfter) {
    return new Decider<>(policy, bounds, staleAfter);
  }

  /** A decider for the policy a specification describes. */
  public static Decider<?> of(PolicySpec spec, ReplicaBounds bounds, Duration staleAfter) {
    return of(spec.policy(), bounds, staleAfter);
  }

  public String policyName() {
    return policy.name();
  }

  public MetricHistory history() {
    return history;
  }

  /** Adds a sample to the history. */
  public void observe(MetricSample sample) {
    history = history.with(sample);
  }

  /** Decides for {@code replicas} at {@code now} and keeps the policy's next state. */
  public ScaleDecision decide(Replicas replicas, Instant now) {
    Outcome<S> outcome = decide(policy, bounds, staleAfter, history, replicas, state, now);
    state = outcome.state();
    return outcome.decision();
  }

  /** A decision and the policy state to use next time. */
  public record Outcome<S>(ScaleDecision decision, S state) {}

  /** The pure decision: no clock, no fields, no I/O. */
  public static <S> Outcome<S> decide(
      ScalingPolicy<S> policy,
      ReplicaBounds bounds,
      Duration staleAfter,
      MetricHistory history,
      Replicas replicas,
      S state,
      Instant now) {
    Optional<MetricSample> latest = history.latest();
    if (latest.isEmpty()) {
      return hold(policy, replicas, state, now, "no metrics yet: holding " + replicas.current());
    }
    Duration age = Duration.between(latest.get().time(), now);
    if (age.compareTo(staleAfter) > 0) {
      return hold(policy, replicas, state, now,
          "no metrics for " + DurationText.format(age) + " (stale after " + DurationText.format(staleAfter)
              + "): holding " + replicas.current());
    }
    Recommendation<S> rec = policy.recommend(history, replicas, state, now);
    int desired = bounds.clamp(rec.replicas());
    StringBuilder reason = new StringBuilder(rec.reason());
    if (desired != rec.replicas()) {
      reason.append("; bounded to ").append(desired)
          .append(" by min_replicas=").append(bounds.min()).append(" max_replicas=").append(bounds.max());
    }
    if (desired < replicas.current() && !history.reachesBack(now, policy.historyNeeded())) {
      int kept = Math.max(desired, bounds.clamp(replicas.current()));
      reason.append("; not scaling down to ").append(desired)
          .append(": metric history reaches back ").append(DurationText.format(history.span(now)))
          .append(" of the ").append(DurationText.format(policy.historyNeeded()))
          .append(" the policy needs (just started, or after an outage)");
      desired = kept;
    }
    ScaleDecision decision = new ScaleDecision(now, policy.name(), replicas.current(), replicas.ready(),
        desired, reason.toString(), rec.stableDemand(), rec.panicDemand(), rec.panicking());
    return new Outcome<>(decision, rec.state());
  }

  private static <S> Outcome<S> hold(
      ScalingPolicy<S> policy, Replicas replicas, S state, Instant now, String reason) {
    ScaleDecision decision = new ScaleDecision(now, policy.name(), replicas.current(), replicas.ready(),
        replicas.current(), reason, Double.NaN, Double.NaN, false);
    return new Outcome<>(decision, state);
  }
}
