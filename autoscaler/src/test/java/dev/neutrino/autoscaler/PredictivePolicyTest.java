package dev.neutrino.autoscaler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The predictive policy: spare capacity from observed burstiness, the forecast, the measured cold start. */
class PredictivePolicyTest {

  private static final ReplicaBounds BOUNDS = new ReplicaBounds(1, 100);
  private static final Duration TICK = Duration.ofSeconds(1);
  private static final Duration TARGET = Duration.ofMillis(250);
  private static final Duration SERVICE = Duration.ofMillis(50);
  /** 4 concurrent requests of 50 ms: 80 requests/s per replica. */
  private static final int CONCURRENCY = 4;

  private static PolicyDriver<PredictivePolicy.State> predictive(Duration coldStart) {
    return PolicyDriver.of(new PredictivePolicy(PredictiveSpec.of(TARGET, SERVICE, CONCURRENCY, coldStart)), BOUNDS,
        TICK, Replicas.allReady(2));
  }

  private static Function<Instant, MetricSample> arrivals(Function<Long, Double> rateAtSecond) {
    return t -> {
      double rate = rateAtSecond.apply(Duration.between(PolicyDriver.T0, t).toSeconds());
      return new MetricSample(t, rate * 0.05, 0, 0, rate);
    };
  }

  @Test
  void burstyHistoryKeepsSpareCapacityThatSmoothHistoryDoesNot() {
    PolicyDriver<PredictivePolicy.State> smooth = predictive(Duration.ofSeconds(30));
    ScaleDecision calm = PolicyDriver.last(smooth.run(Duration.ofMinutes(10), arrivals(s -> 100.0)));

    PolicyDriver<PredictivePolicy.State> bursty = predictive(Duration.ofSeconds(30));
    // Two bursts to 900/s lasting a minute each, then the same calm 100/s as above.
    bursty.run(Duration.ofMinutes(10), arrivals(s -> s % 300 >= 60 && s % 300 < 120 ? 900.0 : 100.0));
    ScaleDecision after = PolicyDriver.last(bursty.run(Duration.ofMinutes(2), arrivals(s -> 100.0)));

    int forTheRate = (int) Math.ceil(100 / (80 * PredictiveSpec.DEFAULT_MAX_UTILIZATION));
    assertEquals(forTheRate, calm.desired(), "no rise seen, no spare: " + calm.reason());
    assertTrue(after.desired() >= forTheRate + 2, "spare kept for the rises seen: " + after.reason());
    assertTrue(after.desired() <= Math.ceil(900 / 80.0), "never more than the peak seen needs: " + after.reason());
    assertTrue(after.reason().contains("peak 900/s"), after.reason());
  }

  @Test
  void rootMeanSquareRiseCountsOnlyRisesOverTheHorizon() {
    Instant t0 = PolicyDriver.T0;
    List<PredictivePolicy.RatePoint> rates = List.of(
        new PredictivePolicy.RatePoint(t0, 100), new PredictivePolicy.RatePoint(t0.plusSeconds(10), 400),
        new PredictivePolicy.RatePoint(t0.plusSeconds(20), 100), new PredictivePolicy.RatePoint(t0.plusSeconds(30), 100));
    // Pairs 10 s apart: +300, -300 (counts as 0), 0.
    assertEquals(Math.sqrt(300.0 * 300 / 3), PredictivePolicy.changeDeviation(rates, 10), 1e-9);
    assertEquals(0, PredictivePolicy.changeDeviation(rates, 60), "no pair that far apart");
  }

  @Test
  void risingRateIsForecastAColdStartAheadButNoiseIsNot() {
    // Pinned: replicas asked for never become ready, so the configured 30 s cold start stays the lead time.
    PolicyDriver<PredictivePolicy.State> ramp = predictive(Duration.ofSeconds(30)).pin(Replicas.allReady(2));
    // A minute at 900/s sets the peak remembered (the forecast never goes far past it), then calm, then a ramp.
    ScaleDecision rising = PolicyDriver.last(ramp.run(Duration.ofSeconds(140),
        arrivals(s -> s <= 60 ? 900.0 : s <= 120 ? 100.0 : 100.0 + 10 * (s - 120))));
    assertTrue(rising.panicking(), rising.reason());
    assertTrue(rising.panicDemand() > rising.stableDemand() + 200,
        "about 10/s/s x 30 s ahead: " + rising.reason());

    PolicyDriver<PredictivePolicy.State> noisy = predictive(Duration.ofSeconds(30));
    ScaleDecision flat = PolicyDriver.last(noisy.run(Duration.ofSeconds(20), arrivals(s -> s % 2 == 0 ? 90.0 : 110.0)));
    assertEquals(flat.stableDemand(), flat.panicDemand(), 1e-9, "alternating noise is no trend: " + flat.reason());
  }

  @Test
  void coldStartIsMeasuredFromTheOrderToTheReplicasBeingReady() {
    PolicyDriver<PredictivePolicy.State> driver = predictive(Duration.ofSeconds(30));
    driver.pin(Replicas.allReady(2));
    ScaleDecision order = PolicyDriver.last(driver.run(Duration.ofSeconds(3), arrivals(s -> 400.0)));
    int asked = order.desired();
    assertTrue(asked > 2, order.reason());
    driver.pin(new Replicas(asked, 2));
    driver.run(Duration.ofSeconds(7), arrivals(s -> 400.0));
    driver.pin(Replicas.allReady(asked));
    ScaleDecision d = PolicyDriver.last(driver.run(Duration.ofSeconds(1), arrivals(s -> 400.0)));
    assertEquals(8, driver.state().coldStartSeconds(), 1e-9, "asked for at t=3s, seen ready at t=11s");
    assertEquals(1, driver.state().coldStartsMeasured());
    ScaleDecision next = PolicyDriver.last(driver.run(Duration.ofSeconds(1), arrivals(s -> 400.0 + 20 * (s - 11))));
    assertTrue(next.reason().contains("measured over 1") || d.reason().contains("measured over 1")
        || !next.panicking(), next.reason());
  }

  @Test
  void scalesDownOnlyAfterTheStabilisationWindow() {
    PolicyDriver<PredictivePolicy.State> driver = predictive(Duration.ofSeconds(30));
    driver.run(Duration.ofSeconds(30), arrivals(s -> 700.0));
    int high = driver.replicas().current();
    List<ScaleDecision> falling = driver.run(PredictiveSpec.DEFAULT_SCALE_DOWN_STABILIZATION, arrivals(s -> 100.0));
    for (ScaleDecision d : falling.subList(0, falling.size() - 1)) {
      assertEquals(high, d.desired(), "held within the window: " + d.reason());
    }
    ScaleDecision down = PolicyDriver.last(driver.run(Duration.ofSeconds(2), arrivals(s -> 100.0)));
    assertTrue(down.desired() < high, down.reason());
  }
}
