package dev.neutrino.gateway.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The adaptive limit as a pure function of the samples and the times passed in: no clock, no sleep. */
class GradientLimitTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final int MIN = 8;
  private static final int MAX = 200;

  private final GradientLimit limit = new GradientLimit(MIN, MAX, 2.0);
  /** The fake clock the windows are fed on. */
  private long now = 1_000 * MS;

  /** One full window of samples of {@code latencyNanos}, with the limit in use as given. */
  private int window(long latencyNanos, int inFlight) {
    long start = now;
    for (int i = 0; i < GradientLimit.WINDOW_SAMPLES - 1; i++) {
      limit.sample(start + i, latencyNanos, inFlight);
    }
    now = start + GradientLimit.WINDOW_NANOS;
    int result = limit.sample(now, latencyNanos, inFlight); // the sample that closes it
    now += 1;
    return result;
  }

  /**
   * {@code count} windows of {@code latencyNanos}, each using the whole limit. The limit moves by
   * fractions of a request per window at small limits, so a test compares a few windows apart.
   */
  private int windows(int count, long latencyNanos) {
    int result = limit.limit();
    for (int i = 0; i < count; i++) {
      result = window(latencyNanos, result);
    }
    return result;
  }

  /** Windows at {@code latencyNanos} with the limit fully used, long enough to reach the ceiling if it may. */
  private int growToTheTop(long latencyNanos) {
    return windows(400, latencyNanos);
  }

  @Test
  void startsAtTheFloorAndLearnsTheBaselineFromTheFirstWindow() {
    assertEquals(MIN, limit.limit());
    assertTrue(limit.probing());
    window(10 * MS, 1);
    assertFalse(limit.probing());
    assertEquals(10 * MS, limit.baselineNanos());
    assertEquals(MIN, limit.limit());
  }

  @Test
  void movesOnlyWhenAWindowHasEnoughSamplesAndTime() {
    window(10 * MS, 1);
    for (int i = 0; i < 10 * GradientLimit.WINDOW_SAMPLES; i++) {
      limit.sample(now, 10 * MS, MIN); // many samples, but the clock does not move: the window stays open
    }
    assertEquals(MIN, limit.limit());
    assertEquals(10 * MS, limit.baselineNanos());
    now += GradientLimit.WINDOW_NANOS;
    limit.sample(now, 5 * MS, MIN);
    assertTrue(limit.baselineNanos() < 10 * MS, "closes once its time has passed too, averaging every sample");
  }

  @Test
  void growsWhileLatencyStaysWithinToleranceButNeverAboveTheCeiling() {
    window(10 * MS, 1);
    int previous = limit.limit();
    for (int i = 0; i < 5; i++) {
      int next = windows(3, 15 * MS); // 1.5x the baseline, under the tolerance of 2
      assertTrue(next > previous, "grew from " + previous + " to " + next);
      previous = next;
    }
    assertEquals(MAX, growToTheTop(10 * MS));
    assertEquals(MAX, window(10 * MS, MAX));
  }

  @Test
  void doesNotGrowALimitNobodyReaches() {
    window(10 * MS, 1);
    for (int i = 0; i < 20; i++) {
      assertEquals(MIN, window(10 * MS, MIN / 2 - 1));
    }
  }

  @Test
  void shrinksWhenLatencyRisesButNeverBelowTheFloor() {
    window(10 * MS, 1);
    int top = growToTheTop(10 * MS);
    int previous = top;
    assertEquals(MAX, top);
    for (int i = 0; i < 3; i++) {
      int next = window(80 * MS, previous); // 8x the baseline: queueing
      assertTrue(next < previous, "shrank from " + previous + " to " + next + " in one window");
      previous = next;
    }
    for (int i = 0; i < 50; i++) {
      previous = window(80 * MS, previous);
      assertTrue(previous >= MIN);
    }
    assertEquals(MIN, previous);
  }

  @Test
  void growsBackWhenLatencyFalls() {
    window(10 * MS, 1);
    int top = growToTheTop(10 * MS);
    int low = top;
    for (int i = 0; i < 4; i++) {
      low = window(60 * MS, low);
    }
    assertTrue(low < top);
    int recovered = low;
    for (int i = 0; i < 5; i++) {
      int next = windows(3, 10 * MS);
      assertTrue(next > recovered, "grew from " + recovered + " to " + next);
      recovered = next;
    }
    assertEquals(MAX, growToTheTop(10 * MS));
  }

  @Test
  void aFasterWindowLowersTheBaseline() {
    window(10 * MS, 1);
    window(4 * MS, MIN);
    assertEquals(4 * MS, limit.baselineNanos());
  }

  @Test
  void measuresTheBaselineAgainAtTheFloorAndThenGoesBackToTheLimit() {
    window(10 * MS, 1);
    int top = growToTheTop(10 * MS);
    now += GradientLimit.PROBE_INTERVAL_NANOS;
    window(10 * MS, top); // the window that finds the probe due
    assertTrue(limit.probing());
    assertEquals(MIN, limit.limit(), "pinned at the floor while it measures");
    window(30 * MS, MIN); // the model really became slower
    assertFalse(limit.probing());
    assertEquals(30 * MS, limit.baselineNanos(), "the baseline follows it, rather than shrinking forever");
    assertEquals(top, limit.limit());
    assertEquals(top, window(50 * MS, top), "within tolerance of the new baseline: no cut");
  }

  @Test
  void aSettingsRecordBuildsTheSameLimit() {
    GradientLimit fromSettings = new GradientLimit(new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 3, 9, 1.5));
    assertEquals(3, fromSettings.limit());
  }
}
