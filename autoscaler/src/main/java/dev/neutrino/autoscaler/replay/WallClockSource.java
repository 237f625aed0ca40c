package dev.neutrino.autoscaler.replay;

import dev.neutrino.autoscaler.MetricSample;
import dev.neutrino.autoscaler.MetricSource;
import dev.neutrino.autoscaler.MetricsUnavailableException;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * A metric source read on the wall clock and stamped in trace time: the wrapped source computes its
 * rates over wall seconds (requests per wall second are what the replay's load, and the simulation of the
 * same trace, have per second), and the decider sees the sample at the trace instant it is given.
 */
final class WallClockSource implements MetricSource {

  private final MetricSource wall;
  private final LongSupplier nanos;

  WallClockSource(MetricSource wall, LongSupplier nanos) {
    this.wall = wall;
    this.nanos = nanos;
  }

  @Override
  public MetricSample read(Instant traceNow) throws MetricsUnavailableException {
    MetricSample s = wall.read(TraceClock.EPOCH.plusNanos(nanos.getAsLong()));
    return new MetricSample(traceNow, s.demand(), s.queueDepth(), s.queueAgeSeconds(), s.completionRate());
  }

  @Override
  public String describe() {
    return wall.describe() + " (wall clock, stamped in trace time)";
  }
}
