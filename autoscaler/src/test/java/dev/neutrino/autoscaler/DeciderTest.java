package dev.neutrino.autoscaler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The rules every policy shares: missing metrics hold, and a restart does not scale down on missing history. */
class DeciderTest {

  /** Scale to zero would be allowed: an outage still must not get there. */
  private static final ReplicaBounds DOWN_TO_ZERO = new ReplicaBounds(0, 100);

  static Stream<Arguments> policies() {
    return Stream.of(
        Arguments.of(KpaSpec.defaults().withTarget(10, 1.0), Duration.ofSeconds(2)),
        Arguments.of(HpaSpec.withTarget(10), Duration.ofSeconds(15)),
        Arguments.of(SloSpec.of(Duration.ofMillis(250), Duration.ofMillis(50), 4, Duration.ofSeconds(30)),
            Duration.ofSeconds(2)));
  }

  /** {@code demand} requests in the system, of which none queued, answered at the rate Little's law gives. */
  private static MetricSample sample(Instant t, double demand) {
    return new MetricSample(t, demand, 0, 0, demand / 0.05);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void metricsOutageHolds(PolicySpec spec, Duration interval) {
    PolicyDriver<Object> driver = PolicyDriver.of(spec, DOWN_TO_ZERO, interval, Replicas.allReady(1));
    driver.run(Duration.ofMinutes(6), t -> sample(t, 40));
    int before = driver.replicas().current();
    Instant outage = driver.now();

    List<ScaleDecision> during = driver.runWithoutMetrics(Duration.ofMinutes(10));
    for (ScaleDecision d : during) {
      assertEquals(before, d.desired(), d.reason());
      if (d.time().isAfter(outage.plus(Decider.DEFAULT_STALE_AFTER))) {
        assertTrue(d.reason().startsWith("no metrics for"), d.reason());
      }
    }

    List<ScaleDecision> back = driver.run(Duration.ofSeconds(30), t -> sample(t, 0));
    back.forEach(d -> assertTrue(d.desired() >= before,
        "after the outage the history is short again: no scale-down yet: " + d.reason()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void restartDoesNotScaleDownOnMissingHistory(PolicySpec spec, Duration interval) {
    Duration needed = spec.policy().historyNeeded();
    PolicyDriver<Object> restarted = PolicyDriver.of(spec, DOWN_TO_ZERO, interval, Replicas.allReady(8));
    List<ScaleDecision> decisions = restarted.run(needed.plus(Duration.ofMinutes(2)), t -> sample(t, 5));
    ScaleDecision firstDown = decisions.stream().filter(d -> d.desired() < 8).findFirst().orElseThrow();
    assertFalse(firstDown.time().isBefore(PolicyDriver.T0.plus(needed)),
        "first scale-down at " + firstDown.time() + " before the history reached back " + needed);
    ScaleDecision held = decisions.get(0);
    assertEquals(8, held.desired(), held.reason());
    assertTrue(held.reason().contains("not scaling down"), held.reason());

    PolicyDriver<Object> busy = PolicyDriver.of(spec, DOWN_TO_ZERO, interval, Replicas.allReady(8));
    ScaleDecision up = busy.run(interval, t -> sample(t, 400)).get(0);
    assertTrue(up.desired() > 8, "scaling up needs no history: " + up.reason());
  }
}
