package dev.neutrino.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class KvBlockPoolTest {

  @Test
  void aReleasedSequencesBlocksAreTheNextOnesHandedOut() {
    KvBlockPool pool = new KvBlockPool(8, 4, 1, 1, 2);
    int[] first = pool.allocate(3);
    pool.allocate(2);
    assertEquals(5, pool.used());
    pool.release(first);
    assertEquals(2, pool.used());
    int[] again = pool.allocate(3);
    assertArrayEquals(first, again);
  }

  @Test
  void refusesWithoutTakingAnythingWhenTooFewAreFree() {
    KvBlockPool pool = new KvBlockPool(4, 4, 1, 1, 2);
    pool.allocate(3);
    assertNull(pool.allocate(2));
    assertEquals(1, pool.free());
  }

  @Test
  void tokensWrittenAcrossBlocksComeBackInOrder() {
    int heads = 2;
    int width = 3;
    KvBlockPool pool = new KvBlockPool(6, 2, 2, heads, width);
    int[] blocks = {4, 1, 3};
    // present: one row, 2 heads, 5 slots, the first of which is padding; tokens 0..3 in slots 1..4.
    float[] present = new float[heads * 5 * width];
    for (int h = 0; h < heads; h++) {
      for (int slot = 1; slot < 5; slot++) {
        for (int i = 0; i < width; i++) {
          present[(h * 5 + slot) * width + i] = 100 * h + 10 * (slot - 1) + i;
        }
      }
    }
    pool.scatter(FloatBuffer.wrap(present), 0, 5, 1, 4, blocks, 0, 1, 1);
    FloatBuffer past = FloatBuffer.allocate(2 * heads * 6 * width);
    pool.gather(blocks, 4, 1, 1, past, 1, 6, 2);
    for (int h = 0; h < heads; h++) {
      for (int token = 0; token < 4; token++) {
        for (int i = 0; i < width; i++) {
          assertEquals(100 * h + 10 * token + i, past.get(((heads + h) * 6 + 2 + token) * width + i));
        }
      }
    }
  }
}
