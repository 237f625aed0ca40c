package dev.neutrino.gateway.admission;

import java.util.Locale;
import java.util.Objects;

/**
 * How the gateway's front door limits the inference requests it has in flight. Immutable, validated
 * here.
 *
 * @param mode {@code --admission}: {@link Mode#ADAPTIVE} (the default), {@link Mode#FIXED} or
 *     {@link Mode#OFF}
 * @param limitMin {@code --admission-limit-min}: an adaptive limit (each model has one) never goes
 *     below this many requests in flight, and starts there
 * @param limitMax {@code --admission-limit-max}: an adaptive limit never goes above it; a fixed limit
 *     is exactly it; and the gateway never has more in flight over all models
 * @param latencyTolerance {@code --admission-latency-tolerance}: how many times its baseline latency
 *     an adaptive limit lets the measured latency grow to before it shrinks
 */
public record AdmissionSettings(Mode mode, int limitMin, int limitMax, double latencyTolerance) {
  /**
   * Requests in flight the adaptive limit never goes below: as many as the highest level of
   * {@code bench}'s closed-loop sweep keeps in flight, so that no such run is refused; at the ten
   * thousand requests a second and more that light models serve, it is a few milliseconds of queue.
   */
  public static final int DEFAULT_LIMIT_MIN = 128;
  public static final int DEFAULT_LIMIT_MAX = 1024;
  public static final double DEFAULT_LATENCY_TOLERANCE = 2.0;
  /** The most a latency tolerance may be: beyond it, nothing would ever be refused for latency. */
  public static final double MAX_LATENCY_TOLERANCE = 100.0;
  public static final AdmissionSettings DEFAULTS =
      new AdmissionSettings(Mode.ADAPTIVE, DEFAULT_LIMIT_MIN, DEFAULT_LIMIT_MAX, DEFAULT_LATENCY_TOLERANCE);
  public static final AdmissionSettings OFF =
      new AdmissionSettings(Mode.OFF, DEFAULT_LIMIT_MIN, DEFAULT_LIMIT_MAX, DEFAULT_LATENCY_TOLERANCE);

  /** How the limit is set. */
  public enum Mode {
    /** Moved by the measured latency, between the minimum and the maximum ({@link GradientLimit}). */
    ADAPTIVE,
    /** Always the maximum. */
    FIXED,
    /** No limit: nothing is refused at the door, nothing is counted. */
    OFF;

    /** The mode a flag or configuration value names: {@code adaptive}, {@code fixed} or {@code off}. */
    public static Mode parse(String value) {
      try {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("admission must be adaptive, fixed or off, got '" + value + "'");
      }
    }

    /** The value as a flag writes it. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public AdmissionSettings {
    Objects.requireNonNull(mode, "mode");
    if (limitMin < 1) {
      throw new IllegalArgumentException("admission_limit_min must be >= 1, got " + limitMin);
    }
    if (limitMax < limitMin) {
      throw new IllegalArgumentException("admission_limit_max (" + limitMax
          + ") must be >= admission_limit_min (" + limitMin + ")");
    }
    if (!(latencyTolerance >= 1.0 && latencyTolerance <= MAX_LATENCY_TOLERANCE)) {
      throw new IllegalArgumentException("admission_latency_tolerance must be between 1 and "
          + (int) MAX_LATENCY_TOLERANCE + ", got " + latencyTolerance);
    }
  }

  /** A fixed limit of {@code limit} requests in flight. */
  public static AdmissionSettings fixed(int limit) {
    return new AdmissionSettings(Mode.FIXED, Math.min(DEFAULT_LIMIT_MIN, limit), limit, DEFAULT_LATENCY_TOLERANCE);
  }
}
