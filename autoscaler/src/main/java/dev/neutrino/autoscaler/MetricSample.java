package dev.neutrino.autoscaler;

import java.time.Instant;
import java.util.Objects;

/**
 * One reading of a target's metrics at one instant, summed (or, for the queue age, maximised) over
 * the target's replicas.
 *
 * <p>{@code demand} is required: the number of requests in the system (in flight plus queued), the
 * signal every policy reads. The other fields are optional and {@link Double#NaN} when the source did
 * not provide them; only the {@code slo} policy reads them.
 *
 * @param time when the reading was taken, by the autoscaler's clock
 * @param demand requests in flight plus queued, summed over replicas; finite and non-negative
 * @param queueDepth queued requests summed over replicas, or NaN
 * @param queueAgeSeconds age of the oldest queued request over all replicas, or NaN
 * @param completionRate requests answered per second (every status code, rejections included), or NaN
 */
public record MetricSample(
    Instant time, double demand, double queueDepth, double queueAgeSeconds, double completionRate) {

  public MetricSample {
    Objects.requireNonNull(time, "time");
    if (!(demand >= 0) || Double.isInfinite(demand)) {
      throw new IllegalArgumentException("demand must be finite and non-negative, got " + demand);
    }
    requireNonNegativeOrNaN("queueDepth", queueDepth);
    requireNonNegativeOrNaN("queueAgeSeconds", queueAgeSeconds);
    requireNonNegativeOrNaN("completionRate", completionRate);
  }

  /** A reading with only the demand known. */
  public static MetricSample ofDemand(Instant time, double demand) {
    return new MetricSample(time, demand, Double.NaN, Double.NaN, Double.NaN);
  }

  private static void requireNonNegativeOrNaN(String name, double value) {
    if (value < 0 || Double.isInfinite(value)) {
      throw new IllegalArgumentException(name + " must be finite and non-negative or NaN, got " + value);
    }
  }
}
