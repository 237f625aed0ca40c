package dev.neutrino.autoscaler;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The recent metric samples of one target, oldest first. Immutable: {@link #with} returns a new
 * history, so a policy handed a history can neither change it nor see it change.
 *
 * <p>Samples older than the retention (measured from the newest sample) are dropped. A gap in the
 * samples (a metrics outage) stays a gap: window means are taken over the samples that exist.
 */
public final class MetricHistory {

  private static final MetricSample[] NONE = new MetricSample[0];

  private final Duration retention;
  private final MetricSample[] samples;

  private MetricHistory(Duration retention, MetricSample[] samples) {
    this.retention = retention;
    this.samples = samples;
  }

  /** An empty history that keeps samples for {@code retention} behind the newest one. */
  public static MetricHistory empty(Duration retention) {
    Objects.requireNonNull(retention, "retention");
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("retention must be positive, got " + retention);
    }
    return new MetricHistory(retention, NONE);
  }

  /**
   * This history plus {@code sample}. A sample not newer than the newest one already held is
   * ignored (clocks may repeat a reading; history never goes back in time).
   */
  public MetricHistory with(MetricSample sample) {
    Objects.requireNonNull(sample, "sample");
    if (samples.length > 0 && !sample.time().isAfter(samples[samples.length - 1].time())) {
      return this;
    }
    Instant horizon = sample.time().minus(retention);
    int first = 0;
    while (first < samples.length && !samples[first].time().isAfter(horizon)) {
      first++;
    }
    MetricSample[] next = Arrays.copyOfRange(samples, first, samples.length + 1);
    next[next.length - 1] = sample;
    return new MetricHistory(retention, next);
  }

  public Duration retention() {
    return retention;
  }

  public int size() {
    return samples.length;
  }

  public Optional<MetricSample> latest() {
    return samples.length == 0 ? Optional.empty() : Optional.of(samples[samples.length - 1]);
  }

  public Optional<MetricSample> oldest() {
    return samples.length == 0 ? Optional.empty() : Optional.of(samples[0]);
  }

  /** The samples taken in {@code (now - window, now]}, oldest first. */
  public List<MetricSample> window(Instant now, Duration window) {
    Instant from = now.minus(window);
    int lo = 0;
    while (lo < samples.length && !samples[lo].time().isAfter(from)) {
      lo++;
    }
    int hi = samples.length;
    while (hi > lo && samples[hi - 1].time().isAfter(now)) {
      hi--;
    }
    return List.of(Arrays.copyOfRange(samples, lo, hi));
  }

  /** The mean demand of the samples in {@code (now - window, now]}; empty when there are none. */
  public OptionalDouble meanDemand(Instant now, Duration window) {
    List<MetricSample> in = window(now, window);
    if (in.isEmpty()) {
      return OptionalDouble.empty();
    }
    double sum = 0;
    for (MetricSample s : in) {
      sum += s.demand();
    }
    return OptionalDouble.of(sum / in.size());
  }

  /**
   * Whether the history reaches back over the whole of {@code (now - window, now]}: its oldest sample
   * is no later than {@code now - window}. After a restart it does not, until a window has passed.
   */
  public boolean reachesBack(Instant now, Duration window) {
    return samples.length > 0 && !samples[0].time().isAfter(now.minus(window));
  }

  /** How far back the history reaches from {@code now}; zero when empty. */
  public Duration span(Instant now) {
    return samples.length == 0 ? Duration.ZERO : Duration.between(samples[0].time(), now);
  }
}
