package dev.neutrino.autoscaler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Knative's published autoscaling scenarios, on a simulated clock. */
class KpaPolicyTest {

  private static final ReplicaBounds BOUNDS = new ReplicaBounds(1, 100);
  private static final Duration TICK = Duration.ofSeconds(2);
  /** Target 10 per replica, used as is (Knative's examples state the target after utilisation). */
  private static final KpaSpec TARGET_10 = KpaSpec.defaults().withTarget(10, 1.0);

  private static PolicyDriver<KpaPolicy.State> kpa(KpaSpec spec, Replicas start) {
    return PolicyDriver.of(new KpaPolicy(spec), BOUNDS, TICK, start);
  }

  @Test
  void targetTenAndDemandFortyGiveFourReplicas() {
    PolicyDriver<KpaPolicy.State> fromOne = kpa(TARGET_10, Replicas.allReady(1));
    List<ScaleDecision> first = fromOne.run(Duration.ofSeconds(2), 40);
    assertEquals(4, first.get(0).desired(), first.get(0).reason());

    List<ScaleDecision> later = fromOne.run(Duration.ofMinutes(3), 40);
    later.forEach(d -> assertEquals(4, d.desired(), d.reason()));
    assertFalse(PolicyDriver.last(later).panicking(), "a steady demand leaves panic after the stable window");
    assertEquals(40, PolicyDriver.last(later).stableDemand(), 1e-9);

    PolicyDriver<KpaPolicy.State> atFour = kpa(TARGET_10, Replicas.allReady(4));
    List<ScaleDecision> steady = atFour.run(Duration.ofMinutes(2), 40);
    steady.forEach(d -> assertEquals(4, d.desired(), d.reason()));
    steady.forEach(d -> assertFalse(d.panicking(), d.reason()));
  }

  @Test
  void fiveMinuteScaleDownDelayHoldsFourReplicasUntilItPasses() {
    KpaSpec delayed = TARGET_10.withScaleDownDelay(Duration.ofMinutes(5));
    PolicyDriver<KpaPolicy.State> kpa = kpa(delayed, Replicas.allReady(1));
    kpa.run(Duration.ofMinutes(7), 40);
    assertEquals(4, kpa.replicas().current());

    Instant drop = kpa.now();
    List<ScaleDecision> after = kpa.run(Duration.ofMinutes(8), 5);
    ScaleDecision firstDown = after.stream().filter(d -> d.desired() < 4).findFirst().orElseThrow();
    for (ScaleDecision d : after) {
      if (d.time().isBefore(drop.plus(Duration.ofMinutes(5)))) {
        assertEquals(4, d.desired(), "inside the delay: " + d.reason());
      }
    }
    assertTrue(firstDown.time().isBefore(drop.plus(Duration.ofMinutes(5)).plus(Duration.ofSeconds(60))),
        "the delay, not more, holds the replicas; first scale-down at " + firstDown.time());
    // The maximum scale-down rate (2) halves per decision; the half recommended meanwhile waits its own delay.
    assertEquals(2, PolicyDriver.last(after).desired());
    assertEquals(1, PolicyDriver.last(kpa.run(Duration.ofMinutes(6), 5)).desired());

    PolicyDriver<KpaPolicy.State> undelayed = kpa(TARGET_10, Replicas.allReady(1));
    undelayed.run(Duration.ofMinutes(7), 40);
    Instant drop2 = undelayed.now();
    ScaleDecision down = undelayed.run(Duration.ofMinutes(2), 5).stream()
        .filter(d -> d.desired() < 4).findFirst().orElseThrow();
    assertTrue(down.time().isBefore(drop2.plus(Duration.ofSeconds(60))), "without a delay it goes within the window");
  }

  @Test
  void panicIsEnteredAtTwiceCapacityExtendedAndLeftAfterTheStableWindow() {
    PolicyDriver<KpaPolicy.State> kpa =
        kpa(TARGET_10, Replicas.allReady(1)).pin(Replicas.allReady(1));
    kpa.run(Duration.ofMinutes(1), 10).forEach(d -> assertFalse(d.panicking(), d.reason()));

    List<ScaleDecision> justUnder = kpa.run(Duration.ofSeconds(20), 19);
    justUnder.forEach(d -> assertFalse(d.panicking(), "1.9x capacity is not panic: " + d.reason()));

    List<ScaleDecision> atTwice = kpa.run(Duration.ofSeconds(10), 20);
    ScaleDecision entered = atTwice.stream().filter(ScaleDecision::panicking).findFirst().orElseThrow();
    assertEquals(2, entered.desired(), entered.reason());
    Instant started = kpa.state().panicStarted();
    assertNotNull(started);

    // Two replicas arrive; demand keeps at twice their capacity for longer than a stable window.
    kpa.pin(Replicas.allReady(2));
    List<ScaleDecision> extended = kpa.run(Duration.ofSeconds(70), 40);
    extended.forEach(d -> assertTrue(d.panicking(), d.reason()));
    assertEquals(started, kpa.state().panicStarted(), "extending a panic does not restart it");
    assertTrue(kpa.now().isAfter(started.plus(KpaSpec.DEFAULT_STABLE_WINDOW)), "panicking past one stable window");
    assertEquals(4, PolicyDriver.last(extended).desired());
    Instant lastOver = kpa.state().lastOverThreshold();

    // Capacity is in; demand falls. No scale-down while panicking, then panic ends after the stable window.
    kpa.pin(Replicas.allReady(4));
    List<ScaleDecision> calm = kpa.run(Duration.ofSeconds(90), 10);
    for (ScaleDecision d : calm) {
      boolean inWindow = !d.time().isAfter(lastOver.plus(KpaSpec.DEFAULT_STABLE_WINDOW));
      assertEquals(inWindow, d.panicking(), d.time() + ": " + d.reason());
      if (inWindow) {
        assertEquals(4, d.desired(), "no scale-down while panicking: " + d.reason());
      }
    }
    ScaleDecision out = PolicyDriver.last(calm);
    assertFalse(out.panicking());
    assertEquals(2, out.desired(), "out of panic the stable window rules: " + out.reason());
  }

  @ParameterizedTest(name = "rate {0}, {1} ready, demand {2}: {3} replicas")
  @CsvSource({
    "1.1,  3, 1000, 4",
    "1.01, 1, 1000, 2",
    "1.01, 10, 1000, 11",
    "2,    5, 1000, 10",
    "1000, 1, 1000, 100",
  })
  void maximumScaleUpRateStillAddsAtLeastOneReplica(double rate, int ready, double demand, int expected) {
    PolicyDriver<KpaPolicy.State> kpa = kpa(TARGET_10.withMaxScaleUpRate(rate), Replicas.allReady(ready)).pin(Replicas.allReady(ready));
    ScaleDecision d = kpa.run(Duration.ofSeconds(2), demand).get(0);
    assertEquals(expected, d.desired(), d.reason());
  }
}
