package dev.neutrino.autoscaler;

import java.time.Duration;
import java.util.Objects;

/**
 * Parameters of the {@code predictive} policy: capacity for the arrival rate expected a cold start
 * ahead, plus headroom sized from how much the rate has been seen to move within a cold start.
 *
 * @param latencyTarget the latency a request should be answered within (queueing plus service)
 * @param serviceTime the time one replica takes to serve one request
 * @param replicaConcurrency requests one replica serves at once
 * @param coldStart the first estimate of a replica's cold start; replaced by measurement as scale-ups
 *     complete
 * @param maxUtilization the share of the replicas' throughput the expected arrivals may use, in (0, 1]
 * @param headroomDeviations headroom in deviations of the rate's rise over one cold start (the defaults
 *     are tuned on the simulator's bursty, diurnal and step traces)
 * @param burstMemory how long the observed arrival rates are remembered for the headroom and the peak
 * @param trendWindow the window over which the arrival trend is fitted
 * @param backlogDrainTime how fast a backlog that has built up is to be drained
 * @param scaleDownStabilization scale down only to the highest recommendation within this window
 */
public record PredictiveSpec(
    Duration latencyTarget,
    Duration serviceTime,
    int replicaConcurrency,
    Duration coldStart,
    double maxUtilization,
    double headroomDeviations,
    Duration burstMemory,
    Duration trendWindow,
    Duration backlogDrainTime,
    Duration scaleDownStabilization)
    implements PolicySpec {

  public static final int DEFAULT_REPLICA_CONCURRENCY = 1;
  public static final Duration DEFAULT_COLD_START = Duration.ofSeconds(30);
  public static final double DEFAULT_MAX_UTILIZATION = 0.93;
  public static final double DEFAULT_HEADROOM_DEVIATIONS = 6.2;
  public static final Duration DEFAULT_BURST_MEMORY = Duration.ofMinutes(30);
  public static final Duration DEFAULT_TREND_WINDOW = Duration.ofSeconds(10);
  public static final Duration DEFAULT_BACKLOG_DRAIN_TIME = Duration.ofSeconds(5);
  public static final Duration DEFAULT_SCALE_DOWN_STABILIZATION = Duration.ofSeconds(8);

  public PredictiveSpec {
    Objects.requireNonNull(latencyTarget, "latency_target");
    Objects.requireNonNull(serviceTime, "service_time");
    Objects.requireNonNull(coldStart, "cold_start");
    Objects.requireNonNull(burstMemory, "burst_memory");
    Objects.requireNonNull(trendWindow, "trend_window");
    Objects.requireNonNull(backlogDrainTime, "backlog_drain_time");
    Objects.requireNonNull(scaleDownStabilization, "scale_down_stabilization");
    SloSpec.requireCapacityModel("predictive", latencyTarget, serviceTime, replicaConcurrency, coldStart,
        maxUtilization);
    require(headroomDeviations >= 0 && headroomDeviations <= 10,
        "predictive headroom_deviations must be in [0, 10], got " + headroomDeviations);
    require(burstMemory.compareTo(Duration.ofMinutes(1)) >= 0 && burstMemory.compareTo(Duration.ofHours(24)) <= 0,
        "predictive burst_memory must be between 1m and 24h, got " + DurationText.format(burstMemory));
    require(trendWindow.compareTo(Duration.ofSeconds(3)) >= 0, "predictive trend_window must be >= 3s");
    require(backlogDrainTime.compareTo(Duration.ZERO) > 0, "predictive backlog_drain_time must be positive");
    require(!scaleDownStabilization.isNegative(), "predictive scale_down_stabilization must be >= 0");
  }

  /** The defaults around a latency target, a per-request service time, a concurrency and a cold start. */
  public static PredictiveSpec of(
      Duration latencyTarget, Duration serviceTime, int replicaConcurrency, Duration coldStart) {
    return new PredictiveSpec(latencyTarget, serviceTime, replicaConcurrency, coldStart, DEFAULT_MAX_UTILIZATION,
        DEFAULT_HEADROOM_DEVIATIONS, DEFAULT_BURST_MEMORY, DEFAULT_TREND_WINDOW, DEFAULT_BACKLOG_DRAIN_TIME,
        DEFAULT_SCALE_DOWN_STABILIZATION);
  }

  /** Requests per second one replica completes: {@code replicaConcurrency / serviceTime}. */
  public double replicaThroughput() {
    return replicaConcurrency / SloSpec.seconds(serviceTime);
  }

  @Override
  public String name() {
    return "predictive";
  }

  @Override
  public ScalingPolicy<?> policy() {
    return new PredictivePolicy(this);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
