package dev.neutrino.autoscaler;

import java.time.Duration;
import java.util.Objects;

/**
 * Parameters of the {@code hpa} policy, Kubernetes' horizontal pod autoscaler. Defaults are the
 * documented ones: 10 % tolerance, a 300 s scale-down stabilisation window and none for scale-up,
 * scale-up limited per 15 s to the larger of +100 % and +4 pods, scale-down to -100 % per 15 s.
 *
 * @param target the average metric value per replica aimed at ({@code averageValue})
 * @param tolerance no change while the usage ratio is within {@code 1 +- tolerance}
 * @param scaleDownStabilization scale down only to the highest recommendation within this window
 * @param scaleUpStabilization scale up only to the lowest recommendation within this window
 * @param scaleUpPercent per {@code scaleUpPeriod}, at most this percentage more than at its start...
 * @param scaleUpPods ...or this many pods more, whichever allows more
 * @param scaleUpPeriod the scale-up policies' period
 * @param scaleDownPercent per {@code scaleDownPeriod}, at most this percentage fewer
 * @param scaleDownPeriod the scale-down policy's period
 */
public record HpaSpec(
    double target,
    double tolerance,
    Duration scaleDownStabilization,
    Duration scaleUpStabilization,
    double scaleUpPercent,
    int scaleUpPods,
    Duration scaleUpPeriod,
    double scaleDownPercent,
    Duration scaleDownPeriod)
    implements PolicySpec {

  public static final double DEFAULT_TOLERANCE = 0.1;
  public static final Duration DEFAULT_SCALE_DOWN_STABILIZATION = Duration.ofSeconds(300);
  public static final Duration DEFAULT_SCALE_UP_STABILIZATION = Duration.ZERO;
  public static final double DEFAULT_SCALE_UP_PERCENT = 100;
  public static final int DEFAULT_SCALE_UP_PODS = 4;
  public static final Duration DEFAULT_SCALE_UP_PERIOD = Duration.ofSeconds(15);
  public static final double DEFAULT_SCALE_DOWN_PERCENT = 100;
  public static final Duration DEFAULT_SCALE_DOWN_PERIOD = Duration.ofSeconds(15);

  public HpaSpec {
    Objects.requireNonNull(scaleDownStabilization, "scale_down_stabilization");
    Objects.requireNonNull(scaleUpStabilization, "scale_up_stabilization");
    Objects.requireNonNull(scaleUpPeriod, "scale_up_period");
    Objects.requireNonNull(scaleDownPeriod, "scale_down_period");
    require(target > 0 && Double.isFinite(target), "hpa target must be > 0, got " + target);
    require(tolerance >= 0 && tolerance < 1, "hpa tolerance must be in [0, 1), got " + tolerance);
    require(!scaleDownStabilization.isNegative() && scaleDownStabilization.compareTo(Duration.ofHours(1)) <= 0,
        "hpa scale_down_stabilization must be between 0s and 1h");
    require(!scaleUpStabilization.isNegative() && scaleUpStabilization.compareTo(Duration.ofHours(1)) <= 0,
        "hpa scale_up_stabilization must be between 0s and 1h");
    require(scaleUpPercent > 0, "hpa scale_up_percent must be > 0, got " + scaleUpPercent);
    require(scaleUpPods >= 0, "hpa scale_up_pods must be >= 0, got " + scaleUpPods);
    require(scaleDownPercent > 0 && scaleDownPercent <= 100,
        "hpa scale_down_percent must be in (0, 100], got " + scaleDownPercent);
    require(scaleUpPeriod.compareTo(Duration.ZERO) > 0 && scaleDownPeriod.compareTo(Duration.ZERO) > 0,
        "hpa scale_up_period and scale_down_period must be positive");
  }

  /** Kubernetes' defaults around the given per-replica target. */
  public static HpaSpec withTarget(double target) {
    return new HpaSpec(target, DEFAULT_TOLERANCE, DEFAULT_SCALE_DOWN_STABILIZATION, DEFAULT_SCALE_UP_STABILIZATION,
        DEFAULT_SCALE_UP_PERCENT, DEFAULT_SCALE_UP_PODS, DEFAULT_SCALE_UP_PERIOD, DEFAULT_SCALE_DOWN_PERCENT,
        DEFAULT_SCALE_DOWN_PERIOD);
  }

  @Override
  public String name() {
    return "hpa";
  }

  @Override
  public ScalingPolicy<?> policy() {
    return new HpaPolicy(this);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
