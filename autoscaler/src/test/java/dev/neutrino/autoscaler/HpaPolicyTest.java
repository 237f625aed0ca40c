package dev.neutrino.autoscaler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Kubernetes' HPA ratio rule: its tolerance and its scale-down stabilisation, on a simulated clock. */
class HpaPolicyTest {

  private static final ReplicaBounds BOUNDS = new ReplicaBounds(1, 100);
  /** The HPA controller's sync period. */
  private static final Duration SYNC = Duration.ofSeconds(15);

  private static PolicyDriver<HpaPolicy.State> hpa(HpaSpec spec, Replicas start) {
    return PolicyDriver.of(new HpaPolicy(spec), BOUNDS, SYNC, start);
  }

  @ParameterizedTest(name = "10 replicas, metric {0} against 10 each: {1}")
  @CsvSource({
    "100, 10",
    "109, 10",
    "110, 10",
    "91,  10",
    "90,  10",
    "111, 12",
    "120, 12",
    "89,  9",
    "50,  5",
  })
  void changesOnlyOutsideTheTenPercentTolerance(double metric, int expected) {
    HpaSpec noStabilisation = new HpaSpec(10, HpaSpec.DEFAULT_TOLERANCE, Duration.ZERO, Duration.ZERO,
        HpaSpec.DEFAULT_SCALE_UP_PERCENT, HpaSpec.DEFAULT_SCALE_UP_PODS, HpaSpec.DEFAULT_SCALE_UP_PERIOD,
        HpaSpec.DEFAULT_SCALE_DOWN_PERCENT, HpaSpec.DEFAULT_SCALE_DOWN_PERIOD);
    PolicyDriver<HpaPolicy.State> driver = hpa(noStabilisation, Replicas.allReady(10)).pin(Replicas.allReady(10));
    driver.run(Duration.ofMinutes(1), 100);
    ScaleDecision d = PolicyDriver.last(driver.run(SYNC, metric));
    assertEquals(expected, d.desired(), d.reason());
    if (expected == 10) {
      assertTrue(d.reason().contains("within tolerance"), d.reason());
    }
  }

  @Test
  void scalesDownOnlyToTheHighestRecommendationOfTheStabilisationWindow() {
    PolicyDriver<HpaPolicy.State> driver = hpa(HpaSpec.withTarget(10), Replicas.allReady(10));
    driver.run(Duration.ofMinutes(6), 100).forEach(d -> assertEquals(10, d.desired(), d.reason()));
    Instant lastTen = driver.now();

    List<ScaleDecision> quieter = driver.run(Duration.ofMinutes(7), 50);
    for (ScaleDecision d : quieter) {
      boolean stabilising = d.time().isBefore(lastTen.plus(HpaSpec.DEFAULT_SCALE_DOWN_STABILIZATION));
      assertEquals(stabilising ? 10 : 5, d.desired(), d.time() + ": " + d.reason());
    }
    assertTrue(quieter.get(0).reason().contains("stabilisation"), quieter.get(0).reason());

    ScaleDecision up = driver.run(SYNC, 200).get(0);
    assertEquals(10, up.desired(), "scale-up is immediate, limited to +100% or +4 per 15s: " + up.reason());
    ScaleDecision further = driver.run(SYNC, 200).get(0);
    assertEquals(20, further.desired(), further.reason());
  }
}
