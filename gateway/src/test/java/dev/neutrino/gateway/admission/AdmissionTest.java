package dev.neutrino.gateway.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.metrics.Protocol;
import dev.neutrino.runtime.InferenceException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The front door's accounting, on a fake clock. */
class AdmissionTest {
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);

  @Test
  void aFixedLimitAdmitsThatManyAndRefusesTheNextUntilOneIsReleased() {
    Admission door = Admission.create(AdmissionSettings.fixed(2), clock::get);
    Permit first = door.admit(Protocol.HTTP);
    Permit second = door.admit(Protocol.GRPC);
    assertNotNull(first);
    assertNotNull(second);
    assertNull(door.admit(Protocol.HTTP));
    assertNull(door.admit(Protocol.GRPC));
    assertNull(door.admit(Protocol.GRPC));
    assertEquals(1, door.refused(Protocol.HTTP));
    assertEquals(2, door.refused(Protocol.GRPC));
    assertEquals(2, door.inFlight());
    first.release();
    assertEquals(1, door.inFlight());
    assertNotNull(door.admit(Protocol.HTTP));
  }

  @Test
  void theDoorCheckTakesNoPlaceAndCountsWhatItRefuses() {
    Admission door = Admission.create(AdmissionSettings.fixed(1), clock::get);
    assertTrue(door.admits(Protocol.HTTP));
    assertTrue(door.admits(Protocol.HTTP), "checking twice takes nothing");
    assertEquals(0, door.inFlight());
    Permit permit = door.admit(Protocol.HTTP);
    assertFalse(door.admits(Protocol.GRPC));
    assertEquals(1, door.refused(Protocol.GRPC));
    assertEquals(0, door.refused(Protocol.HTTP));
    permit.release();
    assertTrue(door.admits(Protocol.GRPC));
  }

  @Test
  void aPermitIsReleasedOnceHoweverOftenItIsGivenBack() {
    Admission door = Admission.create(AdmissionSettings.fixed(3), clock::get);
    Permit permit = door.admit(Protocol.HTTP);
    Permit other = door.admit(Protocol.HTTP);
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
    Admission door = Admission.create(AdmissionSettings.fixed(7), clock::get);
    InferenceException.Overloaded refusal = door.refusal();
    assertEquals(InferenceException.Kind.OVERLOADED, refusal.kind());
    assertTrue(refusal.getMessage().contains("concurrency limit of 7"), refusal.getMessage());
    assertEquals(Admission.CONCURRENCY_LIMIT, refusal.reason());
    assertEquals(Duration.ofSeconds(1), refusal.retryAfter());
  }

  @Test
  void theRefusalIsTheSameWhileTheLimitStaysAndNamesTheNewLimitWhenItMoves() {
    Admission door = Admission.create(new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 4, 50, 2.0), clock::get);
    InferenceException.Overloaded atFloor = door.refusal();
    assertSame(atFloor, door.refusal(), "one refusal while the limit stays at 4");
    long ms = TimeUnit.MILLISECONDS.toNanos(1);
    for (int window = 0; window < 100 && door.limit() == 4; window++) {
      List<Permit> held = new ArrayList<>();
      for (Permit p; (p = door.admit(Protocol.HTTP)) != null; ) {
        held.add(p);
      }
      clock.addAndGet(GradientLimit.WINDOW_NANOS);
      held.forEach(p -> p.succeeded(ms));
    }
    assertTrue(door.limit() > 4, "the limit moved");
    InferenceException.Overloaded moved = door.refusal();
    assertTrue(moved.getMessage().contains("concurrency limit of " + door.limit() + " "), moved.getMessage());
    assertFalse(atFloor.getMessage().equals(moved.getMessage()));
    assertSame(moved, door.refusal());
  }

  @Test
  void offAdmitsEverythingAndCountsNothing() {
    Admission door = Admission.create(AdmissionSettings.OFF, clock::get);
    for (int i = 0; i < 10_000; i++) {
      assertSame(Permit.NONE, door.admit(Protocol.HTTP));
    }
    assertFalse(door.enabled());
    assertEquals(0, door.inFlight());
    assertEquals(0, door.refused(Protocol.HTTP));
    Permit.NONE.release();
    assertFalse(Permit.NONE.held());
  }

  @Test
  void theAdaptiveLimitStartsAtTheFloorAndMovesWithTheLatencyOfReleasedPermits() {
    Admission door = Admission.create(new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 4, 50, 2.0), clock::get);
    assertEquals(4, door.limit());
    long ms = TimeUnit.MILLISECONDS.toNanos(1);
    // Windows of fast answers with the limit in use: the limit grows.
    for (int window = 0; window < 20; window++) {
      for (int i = 0; i < GradientLimit.WINDOW_SAMPLES; i++) {
        List<Permit> held = new ArrayList<>();
        for (Permit p; (p = door.admit(Protocol.HTTP)) != null; ) {
          held.add(p);
        }
        clock.addAndGet(GradientLimit.WINDOW_NANOS / GradientLimit.WINDOW_SAMPLES + 1);
        held.forEach(p -> p.succeeded(ms));
      }
    }
    int grown = door.limit();
    assertTrue(grown > 4, "grew to " + grown);
    // Slow answers: it shrinks, never below the floor.
    for (int window = 0; window < 30; window++) {
      for (int i = 0; i < GradientLimit.WINDOW_SAMPLES; i++) {
        Permit p = door.admit(Protocol.HTTP);
        clock.addAndGet(GradientLimit.WINDOW_NANOS / GradientLimit.WINDOW_SAMPLES + 1);
        p.succeeded(40 * ms);
      }
    }
    assertEquals(4, door.limit());
    assertEquals(0, door.inFlight());
  }

  @Test
  void failedRequestsDoNotMoveTheLimit() {
    Admission door = Admission.create(new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 4, 50, 2.0), clock::get);
    for (int i = 0; i < 1_000; i++) {
      Permit p = door.admit(Protocol.GRPC);
      clock.addAndGet(GradientLimit.WINDOW_NANOS);
      p.release();
    }
    assertEquals(4, door.limit());
    assertEquals(0, door.inFlight());
  }

  @Test
  void manyThreadsAdmittingAndReleasingNeverPassAFixedLimitAndLeaveNothingInFlight() throws Exception {
    int limit = 5;
    Admission door = Admission.create(AdmissionSettings.fixed(limit), clock::get);
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
          Permit p = door.admit(i % 2 == 0 ? Protocol.HTTP : Protocol.GRPC);
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
