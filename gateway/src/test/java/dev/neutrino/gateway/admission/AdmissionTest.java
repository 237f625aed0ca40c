package dev.neutrino.gateway.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.metrics.AdmissionReadings;
import dev.neutrino.gateway.metrics.Protocol;
import dev.neutrino.runtime.InferenceException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The front door's accounting, on a fake clock. */
class AdmissionTest {
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);

  /** A door that serves no model by name: every request shares one limit. */
  private Admission withoutModels(AdmissionSettings settings) {
    return Admission.create(settings, clock::get, name -> false);
  }

  @Test
  void aFixedLimitAdmitsThatManyAndRefusesTheNextUntilOneIsReleased() {
    Admission door = withoutModels(AdmissionSettings.fixed(2));
    Permit first = door.admit(Protocol.HTTP, null);
    Permit second = door.admit(Protocol.GRPC, null);
    assertNotNull(first);
    assertNotNull(second);
    assertNull(door.admit(Protocol.HTTP, null));
    assertNull(door.admit(Protocol.GRPC, null));
    assertNull(door.admit(Protocol.GRPC, null));
    assertEquals(1, door.refused(Protocol.HTTP));
    assertEquals(2, door.refused(Protocol.GRPC));
    assertEquals(2, door.inFlight());
    first.release();
    assertEquals(1, door.inFlight());
    assertNotNull(door.admit(Protocol.HTTP, null));
  }

  @Test
  void theDoorCheckTakesNoPlaceAndCountsWhatItRefuses() {
    Admission door = withoutModels(AdmissionSettings.fixed(1));
    assertTrue(door.admits(Protocol.HTTP, null));
    assertTrue(door.admits(Protocol.HTTP, null), "checking twice takes nothing");
    assertEquals(0, door.inFlight());
    Permit permit = door.admit(Protocol.HTTP, null);
    assertFalse(door.admits(Protocol.GRPC, null));
    assertEquals(1, door.refused(Protocol.GRPC));
    assertEquals(0, door.refused(Protocol.HTTP));
    permit.release();
    assertTrue(door.admits(Protocol.GRPC, null));
  }

  @Test
  void aPermitIsReleasedOnceHoweverOftenItIsGivenBack() {
    Admission door = withoutModels(AdmissionSettings.fixed(3));
    Permit permit = door.admit(Protocol.HTTP, null);
    Permit other = door.admit(Protocol.HTTP, null);
    assertTrue(permit.held());
    permit.release();
    permit.release();
    permit.succeeded(5);
    assertFalse(permit.held());
    assertEquals(1, door.inFlight(), "the other permit is still counted");
    other.succeeded(5);
    other.release();
    assertEquals(0, door.inFlight());
  }

  @Test
  void theRefusalNamesTheLimitAndIsAnOverloadWithRetryAfter() {
    Admission door = withoutModels(AdmissionSettings.fixed(7));
    InferenceException.Overloaded refusal = door.refusal(null);
    assertEquals(InferenceException.Kind.OVERLOADED, refusal.kind());
    assertTrue(refusal.getMessage().contains("concurrency limit of 7"), refusal.getMessage());
    assertEquals(Admission.CONCURRENCY_LIMIT, refusal.reason());
    assertEquals(Duration.ofSeconds(1), refusal.retryAfter());
  }

  @Test
  void theRefusalIsTheSameWhileTheLimitStaysAndNamesTheNewLimitWhenItMoves() {
    Admission door = withoutModels(new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 4, 50, 2.0));
    InferenceException.Overloaded atFloor = door.refusal(null);
    assertSame(atFloor, door.refusal(null), "one refusal while the limit stays at 4");
    long ms = TimeUnit.MILLISECONDS.toNanos(1);
    for (int window = 0; window < 100 && door.limit(null) == 4; window++) {
      List<Permit> held = new ArrayList<>();
      for (Permit p; (p = door.admit(Protocol.HTTP, null)) != null; ) {
        held.add(p);
      }
      clock.addAndGet(GradientLimit.WINDOW_NANOS);
      held.forEach(p -> p.succeeded(ms));
    }
    assertTrue(door.limit(null) > 4, "the limit moved");
    InferenceException.Overloaded moved = door.refusal(null);
    assertTrue(moved.getMessage().contains("concurrency limit of " + door.limit(null) + " "), moved.getMessage());
    assertFalse(atFloor.getMessage().equals(moved.getMessage()));
    assertSame(moved, door.refusal(null));
  }

  @Test
  void offAdmitsEverythingAndCountsNothing() {
    Admission door = withoutModels(AdmissionSettings.OFF);
    for (int i = 0; i < 10_000; i++) {
      assertSame(Permit.NONE, door.admit(Protocol.HTTP, null));
    }
    assertFalse(door.enabled());
    assertEquals(0, door.inFlight());
    assertEquals(0, door.refused(Protocol.HTTP));
    Permit.NONE.release();
    assertFalse(Permit.NONE.held());
  }

  @Test
  void theAdaptiveLimitStartsAtTheFloorAndMovesWithTheLatencyOfReleasedPermits() {
    Admission door = withoutModels(new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 4, 50, 2.0));
    assertEquals(4, door.limit(null));
    long ms = TimeUnit.MILLISECONDS.toNanos(1);
    // Windows of fast answers with the limit in use: the limit grows.
    for (int window = 0; window < 20; window++) {
      for (int i = 0; i < GradientLimit.WINDOW_SAMPLES; i++) {
        List<Permit> held = new ArrayList<>();
        for (Permit p; (p = door.admit(Protocol.HTTP, null)) != null; ) {
          held.add(p);
        }
        clock.addAndGet(GradientLimit.WINDOW_NANOS / GradientLimit.WINDOW_SAMPLES + 1);
        held.forEach(p -> p.succeeded(ms));
      }
    }
    int grown = door.limit(null);
    assertTrue(grown > 4, "grew to " + grown);
    // Slow answers: it shrinks, never below the floor.
    for (int window = 0; window < 30; window++) {
      for (int i = 0; i < GradientLimit.WINDOW_SAMPLES; i++) {
        Permit p = door.admit(Protocol.HTTP, null);
        clock.addAndGet(GradientLimit.WINDOW_NANOS / GradientLimit.WINDOW_SAMPLES + 1);
        p.succeeded(40 * ms);
      }
    }
    assertEquals(4, door.limit(null));
    assertEquals(0, door.inFlight());
  }

  @Test
  void failedRequestsDoNotMoveTheLimit() {
    Admission door = withoutModels(new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 4, 50, 2.0));
    for (int i = 0; i < 1_000; i++) {
      Permit p = door.admit(Protocol.GRPC, null);
      clock.addAndGet(GradientLimit.WINDOW_NANOS);
      p.release();
    }
    assertEquals(4, door.limit(null));
    assertEquals(0, door.inFlight());
  }

  @Test
  void manyThreadsAdmittingAndReleasingNeverPassAFixedLimitAndLeaveNothingInFlight() throws Exception {
    int limit = 5;
    Admission door = withoutModels(AdmissionSettings.fixed(limit));
    AtomicInteger holding = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread thread = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 20_000; i++) {
          Permit p = door.admit(i % 2 == 0 ? Protocol.HTTP : Protocol.GRPC, null);
          if (p != null) {
            most.accumulateAndGet(holding.incrementAndGet(), Math::max);
            holding.decrementAndGet();
            if (i % 3 == 0) {
              p.succeeded(1);
            } else {
              p.release();
            }
            p.release();
          }
        }
      });
      thread.start();
      threads.add(thread);
    }
    go.countDown();
    for (Thread thread : threads) {
      thread.join(TimeUnit.SECONDS.toMillis(60));
      assertFalse(thread.isAlive());
    }
    assertTrue(most.get() <= limit, "at most " + limit + " held at once, saw " + most.get());
    assertEquals(0, door.inFlight());
  }

  private static final AdmissionSettings ADAPTIVE_2_TO_10 =
      new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 2, 10, 2.0);

  private Map<String, AdmissionReadings.ModelReading> readings(Admission door) {
    return door.models().stream().collect(Collectors.toMap(AdmissionReadings.ModelReading::model, r -> r));
  }

  @Test
  void eachModelServedHasItsOwnLimitAndOneModelAtItsLimitLeavesTheOthersTheirPlaces() {
    Admission door = Admission.create(ADAPTIVE_2_TO_10, clock::get, Set.of("a", "b")::contains);
    assertNotNull(door.admit(Protocol.HTTP, "a"));
    assertNotNull(door.admit(Protocol.GRPC, "a"));
    assertFalse(door.admits(Protocol.HTTP, "a"));
    assertNull(door.admit(Protocol.GRPC, "a"));
    InferenceException.Overloaded refusal = door.refusal("a");
    assertTrue(refusal.getMessage().contains("model 'a' is over its concurrency limit of 2 requests in flight"),
        refusal.getMessage());
    assertEquals(Admission.CONCURRENCY_LIMIT, refusal.reason());
    assertTrue(Admission.isRefusal(refusal));

    assertTrue(door.admits(Protocol.HTTP, "b"), "b has its own places");
    Permit b = door.admit(Protocol.HTTP, "b");
    assertNotNull(b);
    Permit unattributed = door.admit(Protocol.HTTP, null);
    assertNotNull(unattributed, "requests whose model is not known share a limit of their own");

    assertEquals(4, door.inFlight());
    assertEquals(1, door.refused(Protocol.HTTP));
    assertEquals(1, door.refused(Protocol.GRPC));
    Map<String, AdmissionReadings.ModelReading> readings = readings(door);
    assertEquals(new AdmissionReadings.ModelReading("a", 2, 2, 2), readings.get("a"));
    assertEquals(new AdmissionReadings.ModelReading("b", 2, 1, 0), readings.get("b"));
    assertEquals(new AdmissionReadings.ModelReading(Admission.UNATTRIBUTED, 2, 1, 0), readings.get(""));
    b.release();
    unattributed.release();
    assertEquals(new AdmissionReadings.ModelReading("b", 2, 0, 0), readings(door).get("b"));
    assertEquals(2, door.inFlight());
  }

  @Test
  void theGatewaysCapHoldsOverAllModelsAndItsRefusalSaysSo() {
    Admission door = Admission.create(new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 3, 4, 2.0), clock::get,
        Set.of("a", "b")::contains);
    for (int i = 0; i < 3; i++) {
      assertNotNull(door.admit(Protocol.HTTP, "a"));
    }
    Permit b = door.admit(Protocol.HTTP, "b");
    assertNotNull(b);
    assertFalse(door.admits(Protocol.HTTP, "b"), "b is under its limit, the gateway at its cap of 4");
    assertNull(door.admit(Protocol.GRPC, "b"));
    assertFalse(door.admitsUnderCap(Protocol.GRPC));
    assertTrue(door.refusal("b").getMessage().contains("the gateway is over its concurrency limit of 4"),
        door.refusal("b").getMessage());
    assertSame(door.capRefusal(), door.refusal("b"));
    assertTrue(door.refusal("a").getMessage().contains("model 'a' is over its concurrency limit of 3"),
        "a's own limit is the one it met");
    assertEquals(new AdmissionReadings.ModelReading("b", 3, 1, 2), readings(door).get("b"),
        "the refusal at the cap left b's count as it was");
    b.release();
    assertTrue(door.admitsUnderCap(Protocol.GRPC));
    assertNotNull(door.admit(Protocol.GRPC, "b"));
    assertEquals(4, door.inFlight());
  }

  @Test
  void aSlowModelsLatencyMovesItsOwnLimitOnly() {
    Admission door = Admission.create(new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 4, 50, 2.0), clock::get,
        Set.of("fast", "slow")::contains);
    long ms = TimeUnit.MILLISECONDS.toNanos(1);
    // The baseline windows: each model answers at its own speed, with its limit in use.
    for (int window = 0; window < 20; window++) {
      for (int i = 0; i < GradientLimit.WINDOW_SAMPLES; i++) {
        List<Permit> fast = new ArrayList<>();
        List<Permit> slow = new ArrayList<>();
        for (Permit p; (p = door.admit(Protocol.HTTP, "fast")) != null; ) {
          fast.add(p);
        }
        for (Permit p; (p = door.admit(Protocol.HTTP, "slow")) != null; ) {
          slow.add(p);
        }
        clock.addAndGet(GradientLimit.WINDOW_NANOS / GradientLimit.WINDOW_SAMPLES + 1);
        fast.forEach(p -> p.succeeded(ms));
        // The slow model gets slower and slower: queueing, against its own baseline.
        long slowLatency = (window < 1 ? 20 : 20L * (window + 1)) * ms;
        slow.forEach(p -> p.succeeded(slowLatency));
      }
    }
    assertTrue(door.limit("fast") > 4, "the fast model's limit grew: " + door.limit("fast"));
    assertEquals(4, door.limit("slow"), "the slow model's limit stayed at the floor");
    assertEquals(0, door.inFlight());
  }

  @Test
  void namesNotServedShareOneLimitAndAddNothing() {
    Admission door = Admission.create(AdmissionSettings.fixed(5), clock::get, Set.of("a")::contains);
    List<Permit> held = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      held.add(door.admit(Protocol.HTTP, "made-up-" + i));
    }
    assertFalse(held.contains(null));
    assertNull(door.admit(Protocol.HTTP, "another"), "every name not served counts against the one shared limit");
    assertNull(door.admit(Protocol.HTTP, null));
    assertEquals(List.of(Admission.UNATTRIBUTED),
        door.models().stream().map(AdmissionReadings.ModelReading::model).toList(), "no limit was made per name");
    held.forEach(Permit::release);
    assertEquals(0, door.inFlight());
  }

  @Test
  void settingsAreCheckedNamingTheKey() {
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 0, 10, 2.0)).getMessage()
        .contains("admission_limit_min"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 20, 10, 2.0)).getMessage()
        .contains("admission_limit_max (10) must be >= admission_limit_min (20)"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 1, 10, 0.5)).getMessage()
        .contains("admission_latency_tolerance"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 1, 10, Double.NaN)).getMessage()
        .contains("admission_latency_tolerance"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> AdmissionSettings.Mode.parse("sometimes"))
        .getMessage().contains("adaptive, fixed or off"));
    assertEquals(AdmissionSettings.Mode.FIXED, AdmissionSettings.Mode.parse(" Fixed "));
  }
}
