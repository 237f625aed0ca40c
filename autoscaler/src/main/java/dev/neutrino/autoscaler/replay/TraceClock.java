package dev.neutrino.autoscaler.replay;

import java.time.Instant;
import java.time.InstantSource;
import java.util.function.LongSupplier;

/**
 * Trace time for a replay: the wall time elapsed since {@code startNanos} on {@code nanos}, times the
 * speedup, counted from the simulator's epoch. The policies and the decider run on it, so their windows,
 * intervals and cold-start horizons are compressed exactly as the trace is. Thread-safe.
 *
 * @param startNanos the wall reading (on {@code nanos}) of trace second 0
 * @param speedup trace seconds per wall second
 * @param nanos the wall clock, {@code System::nanoTime} outside tests
 */
record TraceClock(long startNanos, double speedup, LongSupplier nanos) implements InstantSource {

  static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

  @Override
  public Instant instant() {
    return EPOCH.plusNanos(traceNanos(nanos.getAsLong()));
  }

  /** Trace nanoseconds at wall reading {@code wallNanos}. */
  long traceNanos(long wallNanos) {
    return Math.round((wallNanos - startNanos) * speedup);
  }

  /** The trace second at wall reading {@code wallNanos} (negative before the start). */
  int traceSecond(long wallNanos) {
    return (int) Math.floorDiv(traceNanos(wallNanos), 1_000_000_000L);
  }

  /** The wall reading at which trace time {@code traceSeconds} begins. */
  long wallAt(double traceSeconds) {
    return startNanos + Math.round(traceSeconds * 1e9 / speedup);
  }
}
