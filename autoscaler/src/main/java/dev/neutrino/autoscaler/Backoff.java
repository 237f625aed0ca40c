package dev.neutrino.autoscaler;

import java.time.Duration;
import java.util.Objects;

/**
 * Exponential back-off for retrying a failed actuation: after the n-th consecutive failure, wait
 * {@code initial x multiplier^(n-1)}, at most {@code max}. No jitter: one autoscaler per target set.
 */
public record Backoff(Duration initial, Duration max, double multiplier) {

  public static final Duration DEFAULT_INITIAL = Duration.ofSeconds(1);
  public static final Duration DEFAULT_MAX = Duration.ofSeconds(60);
  public static final double DEFAULT_MULTIPLIER = 2;

  public Backoff {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.compareTo(Duration.ZERO) <= 0 || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("retry needs 0 < initial <= max, got initial="
          + DurationText.format(initial) + " max=" + DurationText.format(max));
    }
    if (!(multiplier >= 1)) {
      throw new IllegalArgumentException("retry multiplier must be >= 1, got " + multiplier);
    }
  }

  public static Backoff defaults() {
    return new Backoff(DEFAULT_INITIAL, DEFAULT_MAX, DEFAULT_MULTIPLIER);
  }

  /** The wait after {@code failures} consecutive failures (1 or more). */
  public Duration delay(int failures) {
    double millis = initial.toMillis() * Math.pow(multiplier, Math.max(0, failures - 1));
    return millis >= max.toMillis() ? max : Duration.ofMillis((long) millis);
  }
}
