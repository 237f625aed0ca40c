package dev.neutrino.batching;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when told to. Thread-safe. */
final class FakeTicker implements Ticker {
  /** Far from zero, so that times before "now" stay positive. */
  static final long START = TimeUnit.SECONDS.toNanos(1000);

  private final AtomicLong now = new AtomicLong(START);

  @Override
  public long read() {
    return now.get();
  }

  void advance(long nanos) {
    now.addAndGet(nanos);
  }

  void advanceMicros(long micros) {
    advance(TimeUnit.MICROSECONDS.toNanos(micros));
  }
}
