package dev.neutrino.autoscaler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Capacity ordered a cold start ahead, with spare capacity for what the load has been seen to do
 * within a cold start.
 *
 * <p><b>Why.</b> A replica asked for now serves only after its cold start {@code L}. Reacting to a
 * burst that has begun is too late by construction: for {@code L} seconds the replicas already there
 * take it alone. So the policy keeps spare capacity for the rise it cannot see coming, sized from the
 * observed burstiness of the arrivals, and pays for it by giving capacity back as soon as the load
 * allows (a short stabilisation window) instead of holding a long window's worth.
 *
 * <p><b>Arrivals.</b> The arrival rate is the answer rate (rejections included) plus the growth of the
 * queue; the rate now is the larger of the latest reading and the mean of the last
 * {@link #RATE_WINDOW}, so a step is seen at its first reading. A line fitted over the trend window,
 * less two standard errors (noise is not a trend), gives the slope; while it rises, the rate expected
 * when a replica ordered now becomes ready is {@code rate + slope x L}, at most the highest rate
 * remembered plus two deviations.
 *
 * <p><b>Spare capacity.</b> The policy remembers the arrival rates of the last {@code burst_memory}.
 * Their rises over one cold start, {@code max(0, rate(t + L) - rate(t))}, have a root mean square
 * {@code sigma}; the spare capacity covers {@code rate + headroom_deviations x sigma}, but no more than
 * the highest rate remembered (the forecast does not allow more) unless that is within one
 * {@code sigma} of the rate now. Smooth load (diurnal) has a small {@code sigma} and gets little spare
 * capacity; bursty load a large one.
 *
 * <p><b>Sizing.</b> The core is {@code expected / (mu x max_utilization) + queue / (mu x
 * backlog_drain_time)} replicas, {@code mu} being one replica's throughput, rounded up together with
 * the first {@code sigma} of spare; the rest of the spare is counted at full throughput and rounded
 * down (a spare replica is only there to take the first seconds of a burst). Scaling down goes only to
 * the highest recommendation within the scale-down stabilisation window. The cold start starts as
 * configured and is then measured: from a decision that asks for more replicas to the first that sees
 * that many ready (an order cut back before it is ready is not measured).
 */
final class PredictivePolicy implements ScalingPolicy<PredictivePolicy.State> {

  /** The window the current arrival rate is averaged over. */
  static final Duration RATE_WINDOW = Duration.ofSeconds(3);
  /** Weight of a new cold-start measurement in the running estimate (after the first, which replaces the guess). */
  static final double COLD_START_WEIGHT = 0.5;

  /** An arrival-rate estimate at an instant. */
  record RatePoint(Instant time, double rate) {}

  /**
   * @param coldStartSeconds the current cold-start estimate
   * @param coldStartsMeasured how many scale-ups have been measured
   * @param orders scale-ups not yet ready: when each was asked for and the replica count it asked for
   * @param rates the arrival rates estimated within the burst memory, oldest first
   * @param recommendations recommendations within the scale-down stabilisation window
   */
  record State(
      double coldStartSeconds, int coldStartsMeasured, List<TimedCount> orders, List<RatePoint> rates,
      List<TimedCount> recommendations) {}

  private final PredictiveSpec spec;

  PredictivePolicy(PredictiveSpec spec) {
    this.spec = spec;
  }

  @Override
  public String name() {
    return "predictive";
  }

  @Override
  public State initialState() {
    return new State(SloSpec.seconds(spec.coldStart()), 0, List.of(), List.of(), List.of());
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
    double service = SloSpec.seconds(spec.serviceTime());

    double coldStart = state.coldStartSeconds();
    int measured = state.coldStartsMeasured();
    List<TimedCount> orders = new ArrayList<>();
    for (TimedCount order : state.orders()) {
      if (order.count() > current) {
        continue;
      }
      if (ready >= order.count()) {
        double observed = Duration.between(order.time(), now).toNanos() / 1e9;
        coldStart = measured == 0 ? observed : (1 - COLD_START_WEIGHT) * coldStart + COLD_START_WEIGHT * observed;
        measured++;
      } else {
        orders.add(order);
      }
    }

    List<MetricSample> window = history.window(now, spec.trendWindow());
    int n = window.size();
    double[] t = new double[n];
    double[] arrivals = new double[n];
    for (int i = 0; i < n; i++) {
      MetricSample s = window.get(i);
      t[i] = Duration.between(now, s.time()).toNanos() / 1e9;
      arrivals[i] = arrivals(s, i == 0 ? null : window.get(i - 1), service);
    }
    double latestRate = n == 0 ? 0 : arrivals[n - 1];
    double rateNow = Math.max(latestRate, meanSince(t, arrivals, -SloSpec.seconds(RATE_WINDOW)));
    double slope = significantSlope(t, arrivals);

    List<RatePoint> rates = remember(state.rates(), now, rateNow);
    double sigma = changeDeviation(rates, coldStart);
    double peak = 0;
    for (RatePoint p : rates) {
      peak = Math.max(peak, p.rate());
    }
    double headroom = spec.headroomDeviations() * sigma;
    double expected = slope > 0 ? Math.min(rateNow + slope * coldStart, Math.max(rateNow, peak) + 2 * sigma) : rateNow;
    double spare = Math.max(0, Math.min(rateNow + headroom, Math.max(peak, rateNow + sigma)) - expected);

    MetricSample latest = history.latest().orElseThrow();
    double queue = Double.isNaN(latest.queueDepth())
        ? Math.max(0, latest.demand() - (double) ready * spec.replicaConcurrency())
        : latest.queueDepth();
    double drain = SloSpec.seconds(spec.backlogDrainTime());
    double core = expected / (mu * spec.maxUtilization()) + queue / (mu * drain);
    double needed = core + spare / mu;
    int recommended = Math.max(KpaPolicy.ceil(core + Math.min(spare, sigma) / mu), (int) Math.floor(needed + 1e-9));

    StringBuilder reason = new StringBuilder()
        .append("arrivals ").append(Fmt.num(rateNow)).append("/s");
    if (expected > rateNow) {
      reason.append(", rising ").append(Fmt.num(slope)).append("/s/s: ").append(Fmt.num(expected))
          .append("/s expected in ").append(Fmt.num(coldStart)).append("s (cold start, ")
          .append(measured == 0 ? "configured" : "measured over " + measured).append(")");
    }
    reason.append("; spare ").append(Fmt.num(spec.headroomDeviations())).append(" x ").append(Fmt.num(sigma))
        .append("/s (rises over a cold start in the last ").append(DurationText.format(spec.burstMemory()))
        .append(", peak ").append(Fmt.num(peak)).append("/s) keeps ").append(Fmt.num(spare))
        .append("/s; backlog ").append(Fmt.num(queue)).append(": core ").append(Fmt.num(expected))
        .append(" / (").append(Fmt.num(mu)).append("/s x ").append(Fmt.num(spec.maxUtilization())).append(") + ")
        .append(Fmt.num(queue)).append(" / (").append(Fmt.num(mu)).append("/s x ")
        .append(DurationText.format(spec.backlogDrainTime())).append(") = ").append(Fmt.num(core))
        .append(", spare ").append(Fmt.num(spare)).append(" / ").append(Fmt.num(mu)).append("/s = ")
        .append(Fmt.num(spare / mu)).append(" -> ").append(recommended);

    List<TimedCount> recs =
        TimedCount.append(state.recommendations(), now, spec.scaleDownStabilization(), recommended);
    if (recommended < current) {
      int held = Math.min(current, TimedCount.max(recs, recommended));
      if (held > recommended) {
        reason.append("; scale-down stabilisation ").append(DurationText.format(spec.scaleDownStabilization()))
            .append(" keeps ").append(held);
        recommended = held;
      }
    }
    if (recommended > current) {
      orders.add(new TimedCount(now, recommended));
    }
    State next = new State(coldStart, measured, List.copyOf(orders), rates, recs);
    return new Recommendation<>(recommended, reason.toString(), next, rateNow, expected, expected > rateNow);
  }

  /** Arrivals per second at {@code s}: answers (rejections included) plus the queue's growth since {@code previous}. */
  private static double arrivals(MetricSample s, MetricSample previous, double service) {
    double queued = Double.isNaN(s.queueDepth()) ? 0 : s.queueDepth();
    double answered = Double.isNaN(s.completionRate())
        ? Math.max(0, s.demand() - queued) / service
        : s.completionRate();
    double growth = 0;
    if (previous != null && !Double.isNaN(s.queueDepth()) && !Double.isNaN(previous.queueDepth())) {
      double dt = Duration.between(previous.time(), s.time()).toNanos() / 1e9;
      growth = dt > 0 ? (s.queueDepth() - previous.queueDepth()) / dt : 0;
    }
    return Math.max(0, answered + growth);
  }

  private List<RatePoint> remember(List<RatePoint> rates, Instant now, double rate) {
    Instant from = now.minus(spec.burstMemory());
    List<RatePoint> next = new ArrayList<>(rates.size() + 1);
    for (RatePoint p : rates) {
      if (p.time().isAfter(from) && p.time().isBefore(now)) {
        next.add(p);
      }
    }
    next.add(new RatePoint(now, rate));
    return List.copyOf(next);
  }

  /**
   * The root mean square of the rises {@code max(0, rate(t + horizon) - rate(t))} over the remembered
   * rates (each point paired with the first at least {@code horizon} later): the upward deviation of
   * the rate over one horizon (a fall needs no headroom); zero with no such pair.
   */
  static double changeDeviation(List<RatePoint> rates, double horizonSeconds) {
    long horizon = Math.max(1, Math.round(horizonSeconds * 1e9));
    double sum = 0;
    int pairs = 0;
    int j = 0;
    for (int i = 0; i < rates.size(); i++) {
      Instant due = rates.get(i).time().plusNanos(horizon);
      j = Math.max(j, i + 1);
      while (j < rates.size() && rates.get(j).time().isBefore(due)) {
        j++;
      }
      if (j == rates.size()) {
        break;
      }
      double d = Math.max(0, rates.get(j).rate() - rates.get(i).rate());
      sum += d * d;
      pairs++;
    }
    return pairs == 0 ? 0 : Math.sqrt(sum / pairs);
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

  /**
   * The least-squares slope of v over t less two standard errors of it, so that noise is not read as
   * a trend; zero with fewer than four points.
   */
  static double significantSlope(double[] t, double[] v) {
    int n = t.length;
    if (n < 4) {
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
    if (den == 0) {
      return 0;
    }
    double slope = num / den;
    double residuals = 0;
    for (int i = 0; i < n; i++) {
      double r = v[i] - (mv + slope * (t[i] - mt));
      residuals += r * r;
    }
    double error = Math.sqrt(residuals / (n - 2) / den);
    return slope > 0 ? Math.max(0, slope - 2 * error) : Math.min(0, slope + 2 * error);
  }
}
