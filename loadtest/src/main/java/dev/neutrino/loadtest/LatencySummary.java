package dev.neutrino.loadtest;

import org.HdrHistogram.Histogram;

/**
 * Percentiles of one histogram of latencies, in microseconds. All zero when nothing was recorded.
 */
public record LatencySummary(long count, long p50, long p90, long p99, long p999, long max, double mean) {
  public static final LatencySummary EMPTY = new LatencySummary(0, 0, 0, 0, 0, 0, 0);

  /** Summarises a histogram of microsecond values. */
  public static LatencySummary of(Histogram micros) {
    if (micros == null || micros.getTotalCount() == 0) {
      return EMPTY;
    }
    return new LatencySummary(
        micros.getTotalCount(),
        micros.getValueAtPercentile(50),
        micros.getValueAtPercentile(90),
        micros.getValueAtPercentile(99),
        micros.getValueAtPercentile(99.9),
        micros.getMaxValue(),
        micros.getMean());
  }
}
