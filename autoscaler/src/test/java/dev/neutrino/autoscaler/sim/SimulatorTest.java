package dev.neutrino.autoscaler.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulator and the trace generator are deterministic for a seed. */
class SimulatorTest {

  @Test
  void sameSeedGivesTheSameTraceAndTheSameResults() {
    for (TraceGenerator.Shape shape : TraceGenerator.Shape.values()) {
      assertArrayEquals(TraceGenerator.generate(shape, 7, 900, 50, 500).ratePerSecond(),
          TraceGenerator.generate(shape, 7, 900, 50, 500).ratePerSecond(), shape.name());
    }
    Trace trace = TraceGenerator.generate(TraceGenerator.Shape.BURSTY, 7, 900, 50, 500);
    SimulationSettings settings = SimulationSettings.defaults().withSeed(11);
    List<PolicySetup> setups = List.of(PolicySetup.defaultFor("kpa", settings),
        PolicySetup.defaultFor("hpa", settings), PolicySetup.defaultFor("slo", settings));

    List<SimulationResult> first = Simulator.compare(trace, setups, settings);
    List<SimulationResult> second = Simulator.compare(trace, setups, settings);
    for (int i = 0; i < setups.size(); i++) {
      assertSame(first.get(i), second.get(i));
      assertEquals(first.get(0).arrivals(), first.get(i).arrivals(), "every policy sees the same arrivals");
    }
    assertEquals(Report.table("t", trace, settings, setups, first), Report.table("t", trace, settings, setups, second));

    SimulationResult otherSeed = Simulator.run(trace, setups.get(0), settings.withSeed(12));
    assertNotEquals(first.get(0).arrivals(), otherSeed.arrivals(), "the seed drives the arrivals");
    assertNotEquals(TraceGenerator.generate(TraceGenerator.Shape.BURSTY, 8, 900, 50, 500).ratePerSecond()[100],
        trace.ratePerSecond()[100]);
  }

  private static void assertSame(SimulationResult a, SimulationResult b) {
    assertEquals(a.policy(), b.policy());
    assertEquals(a.arrivals(), b.arrivals());
    assertEquals(a.late(), b.late());
    assertEquals(a.dropped(), b.dropped());
    assertEquals(a.sloViolatingSeconds(), b.sloViolatingSeconds());
    assertEquals(a.replicaSeconds(), b.replicaSeconds());
    assertEquals(a.scaleUps(), b.scaleUps());
    assertEquals(a.scaleDowns(), b.scaleDowns());
    assertEquals(a.maxReplicas(), b.maxReplicas());
    assertEquals(a.p99LatencySeconds(), b.p99LatencySeconds());
    assertArrayEquals(a.replicas(), b.replicas());
    assertArrayEquals(a.readyReplicas(), b.readyReplicas());
    assertArrayEquals(a.p99PerSecond(), b.p99PerSecond());
  }
}
