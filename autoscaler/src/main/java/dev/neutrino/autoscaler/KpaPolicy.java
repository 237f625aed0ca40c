package dev.neutrino.autoscaler;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Knative's pod autoscaler (KPA), written from its documented behaviour.
 *
 * <p>Two averages of the demand are kept: over the stable window (60 s by default) and over the panic
 * window (10 % of it). Each divided by the per-replica target gives a wanted replica count, limited
 * per decision by the maximum scale-up rate (at most {@code rate x ready}, rounded up, so any rate
 * above 1 still adds a replica) and the maximum scale-down rate (at least {@code ready / rate}).
 *
 * <p>When the panic-window count reaches the panic threshold (200 %) of the ready replicas, the
 * policy panics: it follows the panic-window count and never scales down. Every decision over the
 * threshold extends the panic; it ends once a whole stable window has passed since the last one, by
 * which time the surge is in the stable average. Out of panic the stable-window count is followed.
 *
 * <p>A scale-down delay keeps the highest count recommended within the delay, so a count falls only
 * once the lower value has held for that long. A recommendation of zero becomes zero only after it
 * has held for the scale-to-zero grace period (and only if the target's minimum is zero).
 */
final class KpaPolicy implements ScalingPolicy<KpaPolicy.State> {

  /**
   * @param panicStarted when the current panic began, or null when not panicking
   * @param lastOverThreshold the last decision over the panic threshold, or null
   * @param maxPanicReplicas the highest count decided during this panic
   * @param recent recommendations within the scale-down delay
   * @param zeroSince since when zero has been recommended without a break, or null
   */
  record State(
      Instant panicStarted, Instant lastOverThreshold, int maxPanicReplicas, List<TimedCount> recent,
      Instant zeroSince) {}

  private final KpaSpec spec;

  KpaPolicy(KpaSpec spec) {
    this.spec = spec;
  }

  @Override
  public String name() {
    return "kpa";
  }

  @Override
  public State initialState() {
    return new State(null, null, 0, List.of(), null);
  }

  @Override
  public Duration historyNeeded() {
    return spec.stableWindow().plus(spec.scaleDownDelay());
  }

  @Override
  public Recommendation<State> recommend(MetricHistory history, Replicas replicas, State state, Instant now) {
    double latest = history.latest().orElseThrow().demand();
    double stable = history.meanDemand(now, spec.stableWindow()).orElse(latest);
    double panic = history.meanDemand(now, spec.panicWindow()).orElse(latest);
    double target = spec.effectiveTarget();
    int ready = Math.max(1, replicas.ready());

    int maxUp = (int) Math.ceil(spec.maxScaleUpRate() * ready);
    int maxDown = (int) Math.floor(ready / spec.maxScaleDownRate());
    int wantStable = ceil(stable / target);
    int wantPanic = ceil(panic / target);
    int stableCount = Math.max(maxDown, Math.min(maxUp, wantStable));
    int panicCount = Math.max(maxDown, Math.min(maxUp, wantPanic));

    boolean over = (panic / target) / ready >= spec.panicThresholdPercentage() / 100;
    Instant panicStarted = state.panicStarted();
    Instant lastOver = state.lastOverThreshold();
    int maxPanic = state.maxPanicReplicas();
    StringBuilder reason = new StringBuilder();
    if (over) {
      if (panicStarted == null) {
        panicStarted = now;
      }
      lastOver = now;
    } else if (panicStarted != null && now.isAfter(lastOver.plus(spec.stableWindow()))) {
      reason.append("panic over (a stable window since the last surge at ").append(lastOver).append("); ");
      panicStarted = null;
      lastOver = null;
      maxPanic = 0;
    }

    int desired;
    if (panicStarted != null) {
      desired = Math.max(panicCount, maxPanic);
      maxPanic = desired;
      reason.append("panicking since ").append(panicStarted).append(": ")
          .append(DurationText.format(spec.panicWindow())).append(" demand ").append(Fmt.num(panic))
          .append(" / target ").append(Fmt.num(target)).append(" wants ").append(wantPanic);
      if (over) {
        reason.append(" (>= ").append(Fmt.num(spec.panicThresholdPercentage() / 100)).append("x the ")
            .append(replicas.ready()).append(" ready)");
      }
      if (desired > panicCount) {
        reason.append(", keeping ").append(desired).append(": no scale-down while panicking");
      }
      appendRateLimits(reason, wantPanic, maxUp, maxDown, ready);
    } else {
      desired = stableCount;
      reason.append("stable: ").append(DurationText.format(spec.stableWindow())).append(" demand ")
          .append(Fmt.num(stable)).append(" / target ").append(Fmt.num(target)).append(" wants ").append(wantStable);
      appendRateLimits(reason, wantStable, maxUp, maxDown, ready);
    }

    List<TimedCount> recent = state.recent();
    if (spec.scaleDownDelay().compareTo(Duration.ZERO) > 0) {
      recent = TimedCount.append(recent, now, spec.scaleDownDelay(), desired);
      int held = TimedCount.max(recent, desired);
      if (held > desired) {
        reason.append("; scale-down delay ").append(DurationText.format(spec.scaleDownDelay()))
            .append(" keeps ").append(held).append(" (highest recommendation within it)");
        desired = held;
      }
    }

    Instant zeroSince = state.zeroSince();
    if (desired == 0) {
      zeroSince = zeroSince == null ? now : zeroSince;
      Instant until = zeroSince.plus(spec.scaleToZeroGrace());
      if (now.isBefore(until) && replicas.current() > 0) {
        desired = 1;
        reason.append("; scale-to-zero grace ").append(DurationText.format(spec.scaleToZeroGrace()))
            .append(" keeps 1 until ").append(until);
      }
    } else {
      zeroSince = null;
    }

    State next = new State(panicStarted, lastOver, maxPanic, recent, zeroSince);
    return new Recommendation<>(desired, reason.toString(), next, stable, panic, panicStarted != null);
  }

  private void appendRateLimits(StringBuilder reason, int wanted, int maxUp, int maxDown, int ready) {
    if (wanted > maxUp) {
      reason.append(", max scale-up rate ").append(Fmt.num(spec.maxScaleUpRate())).append(" allows ")
          .append(maxUp).append(" from ").append(ready).append(" ready");
    } else if (wanted < maxDown) {
      reason.append(", max scale-down rate ").append(Fmt.num(spec.maxScaleDownRate())).append(" allows ")
          .append(maxDown).append(" from ").append(ready).append(" ready");
    }
  }

  /** Rounds up, ignoring floating-point dust just above an integer. */
  static int ceil(double v) {
    return (int) Math.max(0, Math.ceil(v - 1e-9));
  }
}
