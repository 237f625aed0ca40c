package dev.neutrino.autoscaler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The slo policy's lead time: capacity is sized for when it will be ready, not for now. */
class SloPolicyTest {

  private static final ReplicaBounds BOUNDS = new ReplicaBounds(1, 100);
  private static final Duration TICK = Duration.ofSeconds(2);
  private static final Duration TARGET = Duration.ofMillis(250);
  private static final Duration SERVICE = Duration.ofMillis(50);
  /** 4 concurrent requests of 50 ms: 80 requests/s per replica, 64/s at the default 80 % utilisation. */
  private static final int CONCURRENCY = 4;
  private static final double USABLE_PER_REPLICA = 80 * SloSpec.DEFAULT_MAX_UTILIZATION;

  /** Arrivals rising by 5 requests/s every second from 100/s at T0, all answered, nothing queued. */
  private static final Function<Instant, MetricSample> RAMP = t -> {
    double rate = rateAt(t);
    return new MetricSample(t, rate * 0.05, 0, 0, rate);
  };

  private static double rateAt(Instant t) {
    return 100 + 5 * Duration.between(PolicyDriver.T0, t).toSeconds();
  }

  private static PolicyDriver<SloPolicy.State> slo(Duration coldStart, Replicas pinned) {
    SloSpec spec = SloSpec.of(TARGET, SERVICE, CONCURRENCY, coldStart);
    return PolicyDriver.of(new SloPolicy(spec), BOUNDS, TICK, pinned).pin(pinned);
  }

  @Test
  void ordersCapacityForTheRateExpectedWhenItBecomesReady() {
    Duration coldStart = Duration.ofSeconds(30);
    PolicyDriver<SloPolicy.State> withLead = slo(coldStart, Replicas.allReady(2));
    ScaleDecision ahead = PolicyDriver.last(withLead.run(Duration.ofSeconds(40), RAMP));
    double rateWhenReady = rateAt(ahead.time().plus(coldStart));
    assertTrue(ahead.desired() >= Math.ceil(rateWhenReady / USABLE_PER_REPLICA),
        "sized for " + rateWhenReady + "/s at " + ahead.time().plus(coldStart) + ": " + ahead.reason());
    assertEquals(rateWhenReady - 10, ahead.panicDemand(), 1e-6, "the projected rate: 5-second mean plus trend x lead");

    PolicyDriver<SloPolicy.State> noLead = slo(Duration.ZERO, Replicas.allReady(2));
    ScaleDecision now = PolicyDriver.last(noLead.run(Duration.ofSeconds(40), RAMP));
    double rateNow = rateAt(now.time()) - 10;
    assertEquals(rateNow, now.stableDemand(), 1e-6);
    assertEquals((int) Math.ceil(rateNow / USABLE_PER_REPLICA), now.desired(), now.reason());
    assertTrue(ahead.desired() > now.desired(), "the lead time orders more, earlier");
  }

  @Test
  void leadTimeFollowsTheMeasuredColdStart() {
    PolicyDriver<SloPolicy.State> driver = slo(Duration.ofSeconds(30), new Replicas(8, 6));
    driver.run(Duration.ofSeconds(12), RAMP);
    driver.pin(Replicas.allReady(8));
    ScaleDecision d = PolicyDriver.last(driver.run(Duration.ofSeconds(30), RAMP));
    assertEquals(12, driver.state().coldStartSeconds(), 1e-9,
        "from the first decision that saw replicas starting (t=2s) to the first that saw them ready (t=14s)");
    assertEquals(1, driver.state().coldStartsMeasured());
    assertTrue(d.reason().contains("measured"), d.reason());
    assertEquals(rateAt(d.time().plusSeconds(12)) - 10, d.panicDemand(), 1e-6, "projected 12 s ahead now");
  }
}
