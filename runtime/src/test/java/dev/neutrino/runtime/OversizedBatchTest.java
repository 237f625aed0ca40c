package dev.neutrino.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OversizedBatchTest {

  @Test
  void splitIsTheDefaultAndBothValuesAreRead() {
    assertEquals(OversizedBatch.SPLIT, OversizedBatch.fromParameters(Map.of()));
    assertEquals(OversizedBatch.SPLIT, OversizedBatch.fromParameters(Map.of("engine_oversized_batch", "split")));
    assertEquals(OversizedBatch.REFUSE, OversizedBatch.fromParameters(Map.of("engine_oversized_batch", " Refuse ")));
  }

  @Test
  void anotherValueIsRefusedNamingTheParameterAndTheChoices() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OversizedBatch.fromParameters(Map.of("engine_oversized_batch", "truncate")));
    assertTrue(e.getMessage().contains("engine_oversized_batch"), e.getMessage());
    assertTrue(e.getMessage().contains("split or refuse"), e.getMessage());
    assertTrue(e.getMessage().contains("truncate"), e.getMessage());
  }

  @Test
  void refuseLowersMaxBatchSizeToTheProfileMaximum() {
    assertEquals(8, OversizedBatch.REFUSE.effectiveMaxBatchSize(64, 8));
    assertEquals(4, OversizedBatch.REFUSE.effectiveMaxBatchSize(4, 8));
    assertEquals(64, OversizedBatch.REFUSE.effectiveMaxBatchSize(64, 0));
    assertEquals(0, OversizedBatch.REFUSE.effectiveMaxBatchSize(0, 8));
  }

  @Test
  void splitKeepsTheConfiguredMaxBatchSize() {
    assertEquals(64, OversizedBatch.SPLIT.effectiveMaxBatchSize(64, 8));
  }

  @Test
  void splitRunsAnOversizedBatchInSlicesOfTheMaximum() {
    assertArrayEquals(new long[] {8, 8, 4}, OversizedBatch.SPLIT.slices(20, 8));
    assertArrayEquals(new long[] {8, 8}, OversizedBatch.SPLIT.slices(16, 8));
    assertArrayEquals(new long[] {5}, OversizedBatch.SPLIT.slices(5, 8));
    assertArrayEquals(new long[] {100}, OversizedBatch.SPLIT.slices(100, 0));
  }

  @Test
  void refuseRunsABatchThatFitsAndRefusesALargerOneNamingTheLimit() {
    assertArrayEquals(new long[] {8}, OversizedBatch.REFUSE.slices(8, 8));
    InferenceException.InvalidInput e = assertThrows(InferenceException.InvalidInput.class,
        () -> OversizedBatch.REFUSE.slices(9, 8));
    assertTrue(e.getMessage().contains("9 rows"), e.getMessage());
    assertTrue(e.getMessage().contains("at most 8"), e.getMessage());
  }
}
