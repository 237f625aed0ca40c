package dev.neutrino.gateway.metrics;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A histogram of durations in nanoseconds over fixed buckets, written from any thread without locks
 * and read at scrape time. Counts and the sum are exact integers, so the statistics extension (which
 * speaks nanoseconds) and the Prometheus histogram (seconds) are two views of the same numbers.
 *
 * <p>A snapshot taken under load reads the buckets one by one: it may be off by the observations in
 * motion, never by more.
 */
final class LatencyHistogram {
  /**
   * Upper bounds for a low-latency server, in nanoseconds: 10 µs to 10 s in 1-2.5-5 steps, so that
   * both a 50 µs gateway overhead and a multi-second overload stay resolved.
   */
  static final long[] BOUNDS_NANOS = bounds();

  private final LongAdder[] buckets = new LongAdder[BOUNDS_NANOS.length + 1];
  private final LongAdder sumNanos = new LongAdder();

  LatencyHistogram() {
    for (int i = 0; i < buckets.length; i++) {
      buckets[i] = new LongAdder();
    }
  }

  private static long[] bounds() {
    long[] micros = {10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000,
        500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000};
    long[] nanos = new long[micros.length];
    for (int i = 0; i < micros.length; i++) {
      nanos[i] = TimeUnit.MICROSECONDS.toNanos(micros[i]);
    }
    return nanos;
  }

  /** Records one duration; negative durations (a clock read out of order) count as zero. */
  void observe(long nanos) {
    long value = Math.max(0, nanos);
    int i = 0;
    while (i < BOUNDS_NANOS.length && value > BOUNDS_NANOS[i]) {
      i++;
    }
    buckets[i].increment();
    sumNanos.add(value);
  }

  Snapshot snapshot() {
    long[] cumulative = new long[buckets.length];
    long running = 0;
    for (int i = 0; i < buckets.length; i++) {
      running += buckets[i].sum();
      cumulative[i] = running;
    }
    return new Snapshot(cumulative, sumNanos.sum());
  }

  /**
   * @param cumulative observations at or below each bound, the last one (+Inf) being the count
   */
  record Snapshot(long[] cumulative, long sumNanos) {
    static final Snapshot EMPTY = new Snapshot(new long[BOUNDS_NANOS.length + 1], 0);

    long count() {
      return cumulative[cumulative.length - 1];
    }

    Snapshot plus(Snapshot other) {
      long[] sum = new long[cumulative.length];
      for (int i = 0; i < sum.length; i++) {
        sum[i] = cumulative[i] + other.cumulative[i];
      }
      return new Snapshot(sum, sumNanos + other.sumNanos);
    }
  }
}
