package dev.neutrino.batching;

import java.util.concurrent.TimeUnit;

/**
 * A decaying estimate of how many rows arrive per second: each arrival adds its rows to a sum that
 * decays exponentially with time constant {@link #TIME_CONSTANT_NANOS}; the rate is that sum over the
 * time constant. Not thread-safe (the batcher guards it with its lock); time comes in as arguments.
 */
final class ArrivalRate {
  static final long TIME_CONSTANT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private double sum;
  private long lastNanos;
  private boolean started;

  void record(long nowNanos, int rows) {
    sum = decayed(nowNanos) + rows;
    lastNanos = nowNanos;
    started = true;
  }

  double rowsPerSecond(long nowNanos) {
    return decayed(nowNanos) * TimeUnit.SECONDS.toNanos(1) / TIME_CONSTANT_NANOS;
  }

  private double decayed(long nowNanos) {
    if (!started) {
      return 0;
    }
    long elapsed = Math.max(0, nowNanos - lastNanos);
    return sum * Math.exp(-(double) elapsed / TIME_CONSTANT_NANOS);
  }
}
