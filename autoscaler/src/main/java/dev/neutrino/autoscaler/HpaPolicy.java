package dev.neutrino.autoscaler;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Kubernetes' horizontal pod autoscaler (HPA), written from its documented algorithm, for a metric
 * with an average-value target.
 *
 * <p>The usage ratio is the latest metric per current replica over the target. Within the tolerance
 * ({@code |ratio - 1| <= 0.1}) nothing changes; otherwise the recommendation is
 * {@code ceil(current * ratio)}. Recommendations are remembered: a scale-down goes only as low as the
 * highest recommendation within the scale-down stabilisation window (300 s), a scale-up only as high as
 * the lowest within the scale-up window (none by default). The scaling policies then limit the change
 * relative to the replica count at the start of their period.
 */
final class HpaPolicy implements ScalingPolicy<HpaPolicy.State> {

  /**
   * @param recommendations raw recommendations within the longer stabilisation window
   * @param changes replica changes this policy decided within the longer rate-limit period
   */
  record State(List<TimedCount> recommendations, List<TimedCount> changes) {}

  private final HpaSpec spec;
  private final Duration recommendationWindow;
  private final Duration changeWindow;

  HpaPolicy(HpaSpec spec) {
    this.spec = spec;
    this.recommendationWindow = max(spec.scaleDownStabilization(), spec.scaleUpStabilization());
    this.changeWindow = max(spec.scaleUpPeriod(), spec.scaleDownPeriod());
  }

  @Override
  public String name() {
    return "hpa";
  }

  @Override
  public State initialState() {
    return new State(List.of(), List.of());
  }

  @Override
  public Duration historyNeeded() {
    return spec.scaleDownStabilization();
  }

  @Override
  public Recommendation<State> recommend(MetricHistory history, Replicas replicas, State state, Instant now) {
    double metric = history.latest().orElseThrow().demand();
    int current = replicas.current();
    int base = Math.max(1, current);
    double perReplica = metric / base;
    double ratio = perReplica / spec.target();
    StringBuilder reason = new StringBuilder()
        .append("metric ").append(Fmt.num(metric)).append(" over ").append(base).append(" = ")
        .append(Fmt.num(perReplica)).append(" per replica, target ").append(Fmt.num(spec.target()))
        .append(", ratio ").append(Fmt.num(ratio));
    int raw;
    if (Math.abs(ratio - 1) <= spec.tolerance() + 1e-9) {
      raw = current;
      reason.append(" within tolerance ").append(Fmt.num(spec.tolerance())).append(": keep ").append(current);
    } else {
      raw = KpaPolicy.ceil(base * ratio);
      reason.append(": ceil(").append(base).append(" x ").append(Fmt.num(ratio)).append(") = ").append(raw);
    }

    List<TimedCount> recs = TimedCount.append(state.recommendations(), now, recommendationWindow, raw);
    int upCandidate = TimedCount.min(TimedCount.within(recs, now, spec.scaleUpStabilization()), raw);
    int downCandidate = TimedCount.max(TimedCount.within(recs, now, spec.scaleDownStabilization()), raw);
    int desired = current;
    if (upCandidate > current) {
      desired = upCandidate;
    } else if (downCandidate < current) {
      desired = downCandidate;
    }
    if (desired != raw) {
      boolean down = raw < current;
      reason.append("; ").append(down ? "scale-down" : "scale-up").append(" stabilisation ")
          .append(DurationText.format(down ? spec.scaleDownStabilization() : spec.scaleUpStabilization()))
          .append(" keeps ").append(desired);
    }

    List<TimedCount> changes = TimedCount.within(state.changes(), now, changeWindow);
    if (desired > current) {
      int added = 0;
      for (TimedCount c : TimedCount.within(changes, now, spec.scaleUpPeriod())) {
        added += Math.max(0, c.count());
      }
      int start = Math.max(0, current - added);
      int limit = Math.max((int) Math.ceil(start * (1 + spec.scaleUpPercent() / 100)), start + spec.scaleUpPods());
      if (desired > limit) {
        reason.append("; scale-up limited to ").append(limit).append(" (").append(start)
            .append(" at the start of the ").append(DurationText.format(spec.scaleUpPeriod())).append(" period)");
        desired = Math.max(current, limit);
      }
    } else if (desired < current) {
      int removed = 0;
      for (TimedCount c : TimedCount.within(changes, now, spec.scaleDownPeriod())) {
        removed += Math.max(0, -c.count());
      }
      int start = current + removed;
      int limit = (int) Math.ceil(start * (1 - spec.scaleDownPercent() / 100));
      if (desired < limit) {
        reason.append("; scale-down limited to ").append(limit);
        desired = Math.min(current, limit);
      }
    }
    if (desired != current) {
      changes = TimedCount.append(changes, now, changeWindow, desired - current);
    }
    return new Recommendation<>(desired, reason.toString(), new State(recs, changes), metric, Double.NaN, false);
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
