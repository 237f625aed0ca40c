package dev.neutrino.autoscaler;

import java.time.Duration;
import java.util.Objects;

/**
 * Parameters of the {@code kpa} policy, Knative's pod autoscaler. Names and defaults follow Knative's
 * documented autoscaler settings ({@code container-concurrency-target-default},
 * {@code container-concurrency-target-percentage}, {@code stable-window}, {@code panic-window-percentage},
 * {@code panic-threshold-percentage}, {@code max-scale-up-rate}, {@code max-scale-down-rate},
 * {@code scale-down-delay}, {@code scale-to-zero-grace-period}).
 *
 * @param target the demand one replica is meant to carry (Knative's concurrency target)
 * @param targetUtilization the fraction of {@code target} aimed at, in (0, 1]
 * @param stableWindow the window the stable demand is averaged over
 * @param panicWindowPercentage the panic window as a percentage of the stable window
 * @param panicThresholdPercentage panic when the panic window wants this percentage of the ready replicas
 * @param maxScaleUpRate at most this many times the ready replicas per decision
 * @param maxScaleDownRate at least the ready replicas divided by this per decision
 * @param scaleDownDelay a scale-down applies only once the lower count has been recommended this long
 * @param scaleToZeroGrace how long a recommendation of zero must last before the last replica goes
 */
public record KpaSpec(
    double target,
    double targetUtilization,
    Duration stableWindow,
    double panicWindowPercentage,
    double panicThresholdPercentage,
    double maxScaleUpRate,
    double maxScaleDownRate,
    Duration scaleDownDelay,
    Duration scaleToZeroGrace)
    implements PolicySpec {

  public static final double DEFAULT_TARGET = 100;
  public static final double DEFAULT_TARGET_UTILIZATION = 0.7;
  public static final Duration DEFAULT_STABLE_WINDOW = Duration.ofSeconds(60);
  public static final double DEFAULT_PANIC_WINDOW_PERCENTAGE = 10;
  public static final double DEFAULT_PANIC_THRESHOLD_PERCENTAGE = 200;
  public static final double DEFAULT_MAX_SCALE_UP_RATE = 1000;
  public static final double DEFAULT_MAX_SCALE_DOWN_RATE = 2;
  public static final Duration DEFAULT_SCALE_DOWN_DELAY = Duration.ZERO;
  public static final Duration DEFAULT_SCALE_TO_ZERO_GRACE = Duration.ofSeconds(30);

  public KpaSpec {
    Objects.requireNonNull(stableWindow, "stable_window");
    Objects.requireNonNull(scaleDownDelay, "scale_down_delay");
    Objects.requireNonNull(scaleToZeroGrace, "scale_to_zero_grace");
    require(target > 0 && Double.isFinite(target), "kpa target must be > 0, got " + target);
    require(targetUtilization > 0 && targetUtilization <= 1,
        "kpa target_utilization must be in (0, 1], got " + targetUtilization);
    require(stableWindow.compareTo(Duration.ofSeconds(6)) >= 0 && stableWindow.compareTo(Duration.ofHours(1)) <= 0,
        "kpa stable_window must be between 6s and 1h, got " + DurationText.format(stableWindow));
    require(panicWindowPercentage >= 1 && panicWindowPercentage <= 100,
        "kpa panic_window_percentage must be in [1, 100], got " + panicWindowPercentage);
    require(panicThresholdPercentage > 100,
        "kpa panic_threshold_percentage must be > 100, got " + panicThresholdPercentage);
    require(maxScaleUpRate > 1, "kpa max_scale_up_rate must be > 1, got " + maxScaleUpRate);
    require(maxScaleDownRate > 1, "kpa max_scale_down_rate must be > 1, got " + maxScaleDownRate);
    require(!scaleDownDelay.isNegative() && scaleDownDelay.compareTo(Duration.ofHours(1)) <= 0,
        "kpa scale_down_delay must be between 0s and 1h, got " + DurationText.format(scaleDownDelay));
    require(!scaleToZeroGrace.isNegative(), "kpa scale_to_zero_grace must be >= 0");
  }

  /** Knative's defaults. */
  public static KpaSpec defaults() {
    return new KpaSpec(DEFAULT_TARGET, DEFAULT_TARGET_UTILIZATION, DEFAULT_STABLE_WINDOW,
        DEFAULT_PANIC_WINDOW_PERCENTAGE, DEFAULT_PANIC_THRESHOLD_PERCENTAGE, DEFAULT_MAX_SCALE_UP_RATE,
        DEFAULT_MAX_SCALE_DOWN_RATE, DEFAULT_SCALE_DOWN_DELAY, DEFAULT_SCALE_TO_ZERO_GRACE);
  }

  public KpaSpec withTarget(double target, double utilization) {
    return new KpaSpec(target, utilization, stableWindow, panicWindowPercentage, panicThresholdPercentage,
        maxScaleUpRate, maxScaleDownRate, scaleDownDelay, scaleToZeroGrace);
  }

  public KpaSpec withScaleDownDelay(Duration delay) {
    return new KpaSpec(target, targetUtilization, stableWindow, panicWindowPercentage, panicThresholdPercentage,
        maxScaleUpRate, maxScaleDownRate, delay, scaleToZeroGrace);
  }

  public KpaSpec withMaxScaleUpRate(double rate) {
    return new KpaSpec(target, targetUtilization, stableWindow, panicWindowPercentage, panicThresholdPercentage,
        rate, maxScaleDownRate, scaleDownDelay, scaleToZeroGrace);
  }

  /** The short window: {@code panicWindowPercentage} of the stable window. */
  public Duration panicWindow() {
    return Duration.ofMillis(Math.round(stableWindow.toMillis() * panicWindowPercentage / 100));
  }

  /** The demand per replica aimed at: {@code target * targetUtilization}. */
  public double effectiveTarget() {
    return target * targetUtilization;
  }

  @Override
  public String name() {
    return "kpa";
  }

  @Override
  public ScalingPolicy<?> policy() {
    return new KpaPolicy(this);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
