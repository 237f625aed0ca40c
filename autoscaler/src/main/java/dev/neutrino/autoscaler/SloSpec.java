package dev.neutrino.autoscaler;

import java.time.Duration;
import java.util.Objects;

/**
 * Parameters of the {@code slo} policy: scale on pressure against a latency target, ordering capacity
 * a cold start ahead.
 *
 * @param latencyTarget the latency a request should be answered within (queueing plus service)
 * @param serviceTime the time one replica takes to serve one request
 * @param replicaConcurrency requests one replica serves at once (instances x batch, roughly)
 * @param coldStart the first estimate of a replica's cold start (scheduling, model load, warm-up);
 *     replaced by measurement as scale-ups complete
 * @param maxUtilization the share of the replicas' throughput the arrivals may use, in (0, 1]
 * @param trendWindow the window over which the arrival trend is fitted
 * @param backlogDrainTime how fast a backlog that has built up is to be drained
 * @param scaleDownStabilization scale down only to the highest recommendation within this window
 */
public record SloSpec(
    Duration latencyTarget,
    Duration serviceTime,
    int replicaConcurrency,
    Duration coldStart,
    double maxUtilization,
    Duration trendWindow,
    Duration backlogDrainTime,
    Duration scaleDownStabilization)
    implements PolicySpec {

  public static final int DEFAULT_REPLICA_CONCURRENCY = 1;
  public static final Duration DEFAULT_COLD_START = Duration.ofSeconds(30);
  public static final double DEFAULT_MAX_UTILIZATION = 0.8;
  public static final Duration DEFAULT_TREND_WINDOW = Duration.ofSeconds(30);
  public static final Duration DEFAULT_BACKLOG_DRAIN_TIME = Duration.ofSeconds(10);
  public static final Duration DEFAULT_SCALE_DOWN_STABILIZATION = Duration.ofSeconds(120);

  public SloSpec {
    Objects.requireNonNull(latencyTarget, "latency_target");
    Objects.requireNonNull(serviceTime, "service_time");
    Objects.requireNonNull(coldStart, "cold_start");
    Objects.requireNonNull(trendWindow, "trend_window");
    Objects.requireNonNull(backlogDrainTime, "backlog_drain_time");
    Objects.requireNonNull(scaleDownStabilization, "scale_down_stabilization");
    requireCapacityModel("slo", latencyTarget, serviceTime, replicaConcurrency, coldStart, maxUtilization);
    require(trendWindow.compareTo(Duration.ofSeconds(3)) >= 0, "slo trend_window must be >= 3s");
    require(backlogDrainTime.compareTo(Duration.ZERO) > 0, "slo backlog_drain_time must be positive");
    require(!scaleDownStabilization.isNegative(), "slo scale_down_stabilization must be >= 0");
  }

  /** The defaults around a latency target and a per-request service time. */
  public static SloSpec of(Duration latencyTarget, Duration serviceTime, int replicaConcurrency, Duration coldStart) {
    return new SloSpec(latencyTarget, serviceTime, replicaConcurrency, coldStart, DEFAULT_MAX_UTILIZATION,
        DEFAULT_TREND_WINDOW, DEFAULT_BACKLOG_DRAIN_TIME, DEFAULT_SCALE_DOWN_STABILIZATION);
  }

  /** Requests per second one replica completes: {@code replicaConcurrency / serviceTime}. */
  public double replicaThroughput() {
    return replicaConcurrency / seconds(serviceTime);
  }

  @Override
  public String name() {
    return "slo";
  }

  @Override
  public ScalingPolicy<?> policy() {
    return new SloPolicy(this);
  }

  static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  /**
   * Checks the capacity model the latency-driven policies share (a latency target met by replicas of a
   * given service time, concurrency and cold start, run up to a utilization), naming {@code policy} in
   * each message.
   */
  static void requireCapacityModel(String policy, Duration latencyTarget, Duration serviceTime,
      int replicaConcurrency, Duration coldStart, double maxUtilization) {
    require(serviceTime.compareTo(Duration.ZERO) > 0, policy + " service_time must be positive");
    require(latencyTarget.compareTo(serviceTime) > 0,
        policy + " latency_target (" + DurationText.format(latencyTarget) + ") must exceed service_time ("
            + DurationText.format(serviceTime) + "): no replica count can meet it otherwise");
    require(replicaConcurrency >= 1, policy + " replica_concurrency must be >= 1, got " + replicaConcurrency);
    require(!coldStart.isNegative() && coldStart.compareTo(Duration.ofMinutes(30)) <= 0,
        policy + " cold_start must be between 0s and 30m, got " + DurationText.format(coldStart));
    require(maxUtilization > 0 && maxUtilization <= 1,
        policy + " max_utilization must be in (0, 1], got " + maxUtilization);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
