package dev.neutrino.autoscaler.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Trace time runs {@code speedup} times faster than the wall clock it is read from; moved by hand here. */
class TraceClockTest {

  @Test
  void compressesWallTimeIntoTraceTime() {
    AtomicLong wall = new AtomicLong(5_000_000_000L);
    TraceClock clock = new TraceClock(7_000_000_000L, 60, wall::get);

    assertEquals(-120, clock.traceSecond(wall.get()), "two wall seconds before the start");
    wall.set(7_000_000_000L);
    assertEquals(TraceClock.EPOCH, clock.instant());
    wall.addAndGet(Duration.ofMillis(250).toNanos());
    assertEquals(TraceClock.EPOCH.plusSeconds(15), clock.instant(), "a quarter wall second is 15 trace seconds");
    assertEquals(15, clock.traceSecond(wall.get()));
    wall.addAndGet(Duration.ofSeconds(60).toNanos());
    assertEquals(TraceClock.EPOCH.plus(Duration.ofMinutes(60).plusSeconds(15)), clock.instant(),
        "a wall minute is a trace hour");

    assertEquals(7_000_000_000L + 1_000_000_000L, clock.wallAt(60), "trace minute 1 begins one wall second in");
    assertEquals(30, clock.traceSecond(clock.wallAt(30.5)));
    TraceClock slower = new TraceClock(0, 0.5, wall::get);
    assertEquals(4_000_000_000L, slower.wallAt(2), "below 1 the trace runs slower than written");
  }
}
