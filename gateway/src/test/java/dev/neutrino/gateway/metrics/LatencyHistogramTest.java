package dev.neutrino.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

  @Test
  void bucketsRunFromTensOfMicrosecondsToSeconds() {
    long[] bounds = LatencyHistogram.BOUNDS_NANOS;
    assertEquals(TimeUnit.MICROSECONDS.toNanos(10), bounds[0]);
    assertEquals(TimeUnit.SECONDS.toNanos(10), bounds[bounds.length - 1]);
    for (int i = 1; i < bounds.length; i++) {
      assertTrue(bounds[i] > bounds[i - 1], "ascending");
    }
  }

  @Test
  void countsEachObservationInItsBucketAndSumsExactly() {
    LatencyHistogram histogram = new LatencyHistogram();
    histogram.observe(10_000); // exactly on the first bound: le="1e-05"
    histogram.observe(10_001); // just above: the 25 us bucket
    histogram.observe(3_000_000); // 3 ms: the 5 ms bucket
    histogram.observe(TimeUnit.SECONDS.toNanos(60)); // past the last bound: +Inf only
    histogram.observe(-5); // a clock read out of order counts as zero
    LatencyHistogram.Snapshot s = histogram.snapshot();
    assertEquals(5, s.count());
    assertEquals(10_000 + 10_001 + 3_000_000 + TimeUnit.SECONDS.toNanos(60), s.sumNanos());
    long[] expected = new long[LatencyHistogram.BOUNDS_NANOS.length + 1];
    // cumulative: <=10us: 2 (zero and 10us), <=25us: 3, ... <=5ms: 4, ... <=10s: 4, +Inf: 5
    for (int i = 0; i < expected.length; i++) {
      long bound = i < LatencyHistogram.BOUNDS_NANOS.length ? LatencyHistogram.BOUNDS_NANOS[i] : Long.MAX_VALUE;
      expected[i] = (bound >= 0 ? 1 : 0) + (bound >= 10_000 ? 1 : 0) + (bound >= 10_001 ? 1 : 0)
          + (bound >= 3_000_000 ? 1 : 0) + (i == expected.length - 1 ? 1 : 0);
    }
    assertArrayEquals(expected, s.cumulative());
    assertEquals(2 * s.count(), s.plus(s).count());
    assertEquals(2 * s.sumNanos(), s.plus(s).sumNanos());
  }
}
