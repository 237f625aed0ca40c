package dev.neutrino.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The adaptive layout's choice between an instance's wide and narrow sessions. */
class AdaptiveLayoutTest {

  @ParameterizedTest(name = "{0} instances, {1} idle after, {2} queued after: alone {3}")
  @CsvSource({
      "2, 1, 0, true",   // the other instance idle, nothing waiting: the cores are this batch's
      "2, 0, 0, false",  // the other instance busy
      "2, 1, 1, false",  // a request waits that the other instance takes at once
      "4, 3, 0, true",
      "4, 2, 0, false",  // one of three others busy
      "1, 0, 0, true",   // a single instance with nothing waiting
      "1, 0, 3, false",  // a single instance with a queue: the next batch follows at once
  })
  void aBatchIsAloneWhenNoOtherInstanceIsBusyAndNothingWaits(int instances, int idleAfter, int queuedAfter,
      boolean alone) {
    assertEquals(alone, AdaptiveLayout.alone(instances, idleAfter, queuedAfter));
  }

  @Test
  void refusesADispatchThatCannotHappen() {
    assertThrows(IllegalArgumentException.class, () -> AdaptiveLayout.alone(2, 2, 0));
    assertThrows(IllegalArgumentException.class, () -> AdaptiveLayout.alone(0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> AdaptiveLayout.alone(2, -1, 0));
  }

  /** The next {@code count} choices. */
  private static List<Boolean> choices(AdaptiveLayout layout, int count) {
    List<Boolean> wide = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      wide.add(layout.runsWide());
    }
    return wide;
  }

  @Test
  void runsWideUntilMeasuredOtherwiseExploringNarrowNowAndThen() {
    AdaptiveLayout layout = new AdaptiveLayout();
    List<Boolean> wide = choices(layout, AdaptiveLayout.EXPLORE_EVERY);
    assertEquals(AdaptiveLayout.EXPLORE_EVERY - 1, wide.subList(0, AdaptiveLayout.EXPLORE_EVERY - 1).stream()
        .filter(w -> w).count());
    assertFalse(wide.get(AdaptiveLayout.EXPLORE_EVERY - 1), "the last of each round explores the narrow session");
  }

  @Test
  void keepsRunningWideWhereItIsFaster() {
    AdaptiveLayout layout = new AdaptiveLayout();
    layout.observe(true, 1, 600_000);
    layout.observe(false, 1, 1_000_000);
    assertTrue(choices(layout, AdaptiveLayout.EXPLORE_EVERY - 1).stream().allMatch(w -> w));
  }

  @Test
  void runsNarrowWhereTheWideSessionIsMeasuredSlowerExploringWideNowAndThen() {
    AdaptiveLayout layout = new AdaptiveLayout();
    layout.observe(true, 1, 120_000);
    layout.observe(false, 2, 200_000); // 100 us a row: faster than the wide session's 120
    List<Boolean> wide = choices(layout, AdaptiveLayout.EXPLORE_EVERY);
    assertTrue(wide.subList(0, AdaptiveLayout.EXPLORE_EVERY - 1).stream().noneMatch(w -> w), wide.toString());
    assertTrue(wide.get(AdaptiveLayout.EXPLORE_EVERY - 1), "the last of each round explores the wide session");
  }

  @Test
  void followsTheMachineWhenTheWideSessionBecomesFaster() {
    AdaptiveLayout layout = new AdaptiveLayout();
    layout.observe(true, 1, 120_000);
    layout.observe(false, 1, 100_000);
    assertFalse(layout.runsWide());
    for (int i = 0; i < 20; i++) {
      layout.observe(true, 1, 50_000); // the other core became free
    }
    assertTrue(layout.runsWide());
  }
}
