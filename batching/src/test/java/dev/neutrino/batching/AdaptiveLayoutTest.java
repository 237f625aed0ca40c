package dev.neutrino.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The adaptive layout's choice between an instance's wide and narrow sessions. */
class AdaptiveLayoutTest {

  @ParameterizedTest(name = "{0} instances, {1} idle after, {2} queued after: wide {3}")
  @CsvSource({
      "2, 1, 0, true",   // the other instance idle, nothing waiting: all cores to this batch
      "2, 0, 0, false",  // the other instance busy
      "2, 1, 1, false",  // a request waits that the other instance takes at once
      "4, 3, 0, true",
      "4, 2, 0, false",  // one of three others busy
      "1, 0, 0, true",   // a single instance with nothing waiting
      "1, 0, 3, false",  // a single instance with a queue: the next batch follows at once
  })
  void runsWideOnlyWhenTheBatchIsAlone(int instances, int idleAfter, int queuedAfter, boolean wide) {
    assertEquals(wide, AdaptiveLayout.runsWide(instances, idleAfter, queuedAfter));
  }

  @Test
  void refusesADispatchThatCannotHappen() {
    assertThrows(IllegalArgumentException.class, () -> AdaptiveLayout.runsWide(2, 2, 0));
    assertThrows(IllegalArgumentException.class, () -> AdaptiveLayout.runsWide(0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> AdaptiveLayout.runsWide(2, -1, 0));
  }
}
