package dev.neutrino.autoscaler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Drives one policy through simulated time by hand, as the autoscaler's loop would: a metric sample
 * every second, a decision every {@code interval}, through the pure
 * {@link Decider#decide(ScalingPolicy, ReplicaBounds, Duration, MetricHistory, Replicas, Object, Instant)}.
 * Replicas follow each decision at once (all ready) unless the test pins them.
 */
final class PolicyDriver<S> {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Duration STALE_AFTER = Decider.DEFAULT_STALE_AFTER;

  private final ScalingPolicy<S> policy;
  private final ReplicaBounds bounds;
  private final Duration interval;
  private MetricHistory history;
  private S state;
  private Instant now = T0;
  private long second;
  private Replicas replicas;
  private boolean follow = true;

  private PolicyDriver(ScalingPolicy<S> policy, ReplicaBounds bounds, Duration interval, Replicas start) {
    this.policy = policy;
    this.bounds = bounds;
    this.interval = interval;
    this.replicas = start;
    this.history = MetricHistory.empty(policy.historyNeeded().plus(Duration.ofMinutes(1)));
    this.state = policy.initialState();
  }

  static <S> PolicyDriver<S> of(ScalingPolicy<S> policy, ReplicaBounds bounds, Duration interval, Replicas start) {
    return new PolicyDriver<>(policy, bounds, interval, start);
  }

  @SuppressWarnings("unchecked")
  static <S> PolicyDriver<S> of(PolicySpec spec, ReplicaBounds bounds, Duration interval, Replicas start) {
    return of((ScalingPolicy<S>) spec.policy(), bounds, interval, start);
  }

  /** Pins the replicas: decisions no longer change them. */
  PolicyDriver<S> pin(Replicas r) {
    this.replicas = r;
    this.follow = false;
    return this;
  }

  /** Lets replicas follow decisions again (all ready at once). */
  PolicyDriver<S> follow() {
    this.follow = true;
    return this;
  }

  Instant now() {
    return now;
  }

  S state() {
    return state;
  }

  Replicas replicas() {
    return replicas;
  }

  /** Runs {@code d} of simulated time with a constant demand; the decisions taken. */
  List<ScaleDecision> run(Duration d, double demand) {
    return run(d, t -> MetricSample.ofDemand(t, demand));
  }

  /** Runs {@code d} of simulated time, sampling {@code metrics} every second; the decisions taken. */
  List<ScaleDecision> run(Duration d, Function<Instant, MetricSample> metrics) {
    List<ScaleDecision> out = new ArrayList<>();
    for (long i = 0; i < d.toSeconds(); i++) {
      ScaleDecision decision = second(metrics);
      if (decision != null) {
        out.add(decision);
      }
    }
    return out;
  }

  /** Runs {@code d} of simulated time without any metrics (an outage); the decisions taken. */
  List<ScaleDecision> runWithoutMetrics(Duration d) {
    return run(d, t -> null);
  }

  private ScaleDecision second(Function<Instant, MetricSample> metrics) {
    second++;
    now = now.plusSeconds(1);
    MetricSample sample = metrics.apply(now);
    if (sample != null) {
      history = history.with(sample);
    }
    if (second % interval.toSeconds() != 0) {
      return null;
    }
    Decider.Outcome<S> outcome = Decider.decide(policy, bounds, STALE_AFTER, history, replicas, state, now);
    state = outcome.state();
    if (follow) {
      replicas = Replicas.allReady(outcome.decision().desired());
    }
    return outcome.decision();
  }

  static ScaleDecision last(List<ScaleDecision> decisions) {
    return decisions.get(decisions.size() - 1);
  }
}
