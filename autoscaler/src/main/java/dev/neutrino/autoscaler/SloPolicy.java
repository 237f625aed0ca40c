package dev.neutrino.autoscaler;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Neutrino's own policy: keep the latency target, and order capacity a cold start ahead.
 *
 * <p><b>Capacity.</b> One replica completes {@code mu = replica_concurrency / service_time} requests
 * per second, and can serve {@code mu x latency_target} requests within the target: that is the yard
 * stick for queue pressure, {@code max(oldest queued age / target, queue depth / (ready x mu x target))}.
 *
 * <p><b>Arrivals.</b> The arrival rate is estimated from the answer rate plus the growth of the queue
 * (answers alone flatten at capacity exactly when it matters). A line fitted over the trend window
 * gives its slope; the rate expected when a replica ordered now becomes ready is the current rate plus
 * the (rising only) slope times the cold start.
 *
 * <p><b>Lead time.</b> A replica ordered now serves only after its cold start {@code L}, so the policy
 * sizes for that moment: the projected arrival rate, plus the backlog that will have built up by then,
 * drained within {@code backlog_drain_time}, at {@code max_utilization}. The backlog at {@code now + L}
 * is today's queue plus the arrivals until then minus what the replicas serve until then: the ready
 * ones all the time, and each starting one from when it becomes ready. The policy remembers when it
 * ordered replicas, so a replica ordered {@code a} seconds ago serves the last {@code a} seconds of
 * the horizon (starting replicas it did not order count half). The cold start starts as configured and
 * is then measured: from the first decision that sees replicas starting to the first that sees all
 * ready.
 *
 * <p><b>Safety.</b> While queue pressure is over 1 (the target is being missed now), no replica is
 * starting and the sizing asks for no more than the current count, one replica is added per decision.
 * The policy never scales down while pressure is over 0.5, and then only to the highest recommendation
 * within the scale-down stabilisation window.
 */
final class SloPolicy implements ScalingPolicy<SloPolicy.State> {

  /** The window the current arrival rate is averaged over. */
  static final Duration RATE_WINDOW = Duration.ofSeconds(5);
  /** Weight of a new cold-start measurement in the running estimate (after the first, which replaces the guess). */
  static final double COLD_START_WEIGHT = 0.5;
  /** How long the policy remembers its own scale-ups. */
  static final Duration ORDER_MEMORY = Duration.ofMinutes(30);

  /**
   * @param coldStartSeconds the current cold-start estimate
   * @param coldStartsMeasured how many scale-ups have been measured
   * @param pendingSince since when replicas have been starting, or null
   * @param recommendations recommendations within the scale-down stabilisation window
   * @param orders replicas this policy added, and when, within the last {@link #ORDER_MEMORY}
   */
  record State(
      double coldStartSeconds, int coldStartsMeasured, Instant pendingSince, List<TimedCount> recommendations,
      List<TimedCount> orders) {}

  private final SloSpec spec;

  SloPolicy(SloSpec spec) {
    this.spec = spec;
  }

  @Override
  public String name() {
    return "slo";
  }

  @Override
  public State initialState() {
    return new State(SloSpec.seconds(spec.coldStart()), 0, null, List.of(), List.of());
  }

  @Override
  public Duration historyNeeded() {
    return spec.scaleDownStabilization().compareTo(spec.trendWindow()) >= 0
        ? spec.scaleDownStabilization() : spec.trendWindow();
  }

  @Override
  public Recommendation<State> recommend(MetricHistory history, Replicas replicas, State state, Instant now) {
    int current = replicas.current();
    int ready = replicas.ready();
    double mu = spec.replicaThroughput();
    double target = SloSpec.seconds(spec.latencyTarget());
    double service = SloSpec.seconds(spec.serviceTime());

    double coldStart = state.coldStartSeconds();
    int measured = state.coldStartsMeasured();
    Instant pendingSince = state.pendingSince();
    if (current > ready) {
      pendingSince = pendingSince == null ? now : pendingSince;
    } else if (pendingSince != null) {
      double observed = Duration.between(pendingSince, now).toNanos() / 1e9;
      coldStart = measured == 0 ? observed : (1 - COLD_START_WEIGHT) * coldStart + COLD_START_WEIGHT * observed;
      measured++;
      pendingSince = null;
    }

    List<MetricSample> window = history.window(now, spec.trendWindow());
    int n = window.size();
    double[] t = new double[n];
    double[] arrivals = new double[n];
    for (int i = 0; i < n; i++) {
      MetricSample s = window.get(i);
      t[i] = Duration.between(now, s.time()).toNanos() / 1e9;
      double queued = Double.isNaN(s.queueDepth()) ? 0 : s.queueDepth();
      double answered = Double.isNaN(s.completionRate())
          ? Math.max(0, s.demand() - queued) / service
          : s.completionRate();
      double growth = 0;
      if (i > 0 && !Double.isNaN(s.queueDepth()) && !Double.isNaN(window.get(i - 1).queueDepth())) {
        growth = (s.queueDepth() - window.get(i - 1).queueDepth()) / (t[i] - t[i - 1]);
      }
      arrivals[i] = Math.max(0, answered + growth);
    }
    double rateNow = meanSince(t, arrivals, -SloSpec.seconds(RATE_WINDOW));
    double slope = Math.max(0, slope(t, arrivals));
    double rateAhead = rateNow + slope * coldStart;

    MetricSample latest = history.latest().orElseThrow();
    double queue = Double.isNaN(latest.queueDepth())
        ? Math.max(0, latest.demand() - (double) ready * spec.replicaConcurrency())
        : latest.queueDepth();
    double oldest = Double.isNaN(latest.queueAgeSeconds()) ? 0 : latest.queueAgeSeconds();
    int starting = Math.max(0, current - ready);
    List<TimedCount> orders = TimedCount.within(state.orders(), now, ORDER_MEMORY);
    double startingServe = 0;
    int unattributed = starting;
    for (int i = orders.size() - 1; i >= 0 && unattributed > 0; i--) {
      int k = Math.min(unattributed, orders.get(i).count());
      double age = Duration.between(orders.get(i).time(), now).toNanos() / 1e9;
      startingServe += k * Math.min(coldStart, age);
      unattributed -= k;
    }
    startingServe += unattributed * coldStart / 2;
    double servedAhead = mu * (Math.min(ready, current) * coldStart + startingServe);
    double backlogAhead = Math.max(0, queue + (rateNow + rateAhead) / 2 * coldStart - servedAhead);
    double drain = SloSpec.seconds(spec.backlogDrainTime());
    double needed = (rateAhead + backlogAhead / drain) / (mu * spec.maxUtilization());
    int recommended = KpaPolicy.ceil(needed);
    double pressure = Math.max(oldest / target, queue / (Math.max(1, ready) * mu * target));

    StringBuilder reason = new StringBuilder()
        .append("arrivals ").append(Fmt.num(rateNow)).append("/s, ").append(Fmt.num(rateAhead))
        .append("/s expected in ").append(Fmt.num(coldStart)).append("s (cold start, ")
        .append(measured == 0 ? "configured" : "measured over " + measured).append("); backlog ")
        .append(Fmt.num(queue)).append(" now, ").append(Fmt.num(backlogAhead)).append(" then: (")
        .append(Fmt.num(rateAhead)).append(" + ").append(Fmt.num(backlogAhead)).append("/")
        .append(DurationText.format(spec.backlogDrainTime())).append(") / (").append(Fmt.num(mu))
        .append("/s x ").append(Fmt.num(spec.maxUtilization())).append(") = ").append(Fmt.num(needed))
        .append(" -> ").append(recommended);
    if (pressure > 1 && recommended <= current && starting == 0) {
      recommended = current + 1;
      reason.append("; queue pressure ").append(Fmt.num(pressure)).append(" (oldest ").append(Fmt.num(oldest))
          .append("s, depth ").append(Fmt.num(queue)).append(") misses the target: adding a replica");
    }

    List<TimedCount> recs =
        TimedCount.append(state.recommendations(), now, spec.scaleDownStabilization(), recommended);
    if (recommended < current) {
      if (pressure > 0.5) {
        reason.append("; queue pressure ").append(Fmt.num(pressure)).append(": not scaling down");
        recommended = current;
      } else {
        int held = Math.min(current, TimedCount.max(recs, recommended));
        if (held > recommended) {
          reason.append("; scale-down stabilisation ").append(DurationText.format(spec.scaleDownStabilization()))
              .append(" keeps ").append(held);
          recommended = held;
        }
      }
    }
    if (recommended > current) {
      orders = TimedCount.append(orders, now, ORDER_MEMORY, recommended - current);
    }
    State next = new State(coldStart, measured, pendingSince, recs, orders);
    return new Recommendation<>(recommended, reason.toString(), next, rateNow, rateAhead, pressure > 1);
  }

  private static double meanSince(double[] t, double[] v, double since) {
    double sum = 0;
    int count = 0;
    for (int i = 0; i < t.length; i++) {
      if (t[i] > since) {
        sum += v[i];
        count++;
      }
    }
    return count == 0 ? (v.length == 0 ? 0 : v[v.length - 1]) : sum / count;
  }

  /** Least-squares slope of v over t; zero with fewer than three points or under three seconds. */
  private static double slope(double[] t, double[] v) {
    int n = t.length;
    if (n < 3 || t[n - 1] - t[0] < 3) {
      return 0;
    }
    double mt = 0;
    double mv = 0;
    for (int i = 0; i < n; i++) {
      mt += t[i];
      mv += v[i];
    }
    mt /= n;
    mv /= n;
    double num = 0;
    double den = 0;
    for (int i = 0; i < n; i++) {
      num += (t[i] - mt) * (v[i] - mv);
      den += (t[i] - mt) * (t[i] - mt);
    }
    return den == 0 ? 0 : num / den;
  }
}
