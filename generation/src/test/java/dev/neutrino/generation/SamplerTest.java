package dev.neutrino.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest {
  private static final float[] LOGITS = {0.5f, 3f, 2.9f, -1f, 0f, 2.95f};

  @Test
  void greedyPicksTheLargestLogitWhateverTheSeed() {
    for (long seed = 0; seed < 5; seed++) {
      assertEquals(1, new Sampler(SamplingParams.greedy(4), seed).next(LOGITS, 0, LOGITS.length));
    }
  }

  @Test
  void theSameSeedDrawsTheSameTokens() {
    SamplingParams params = new SamplingParams(4, 1.5, 1.0, 7L, List.of());
    Sampler a = new Sampler(params, 7);
    Sampler b = new Sampler(params, 7);
    Set<Integer> drawn = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int token = a.next(LOGITS, 0, LOGITS.length);
      assertEquals(token, b.next(LOGITS, 0, LOGITS.length));
      drawn.add(token);
    }
    assertTrue(drawn.size() >= 4, "a temperature of 1.5 draws widely: " + drawn);
  }

  @Test
  void topPKeepsOnlyTheNucleus() {
    // Softmax of LOGITS: tokens 1 and 5 hold 65%, with 2 they hold 95%; top_p 0.8 keeps those three.
    Sampler sampler = new Sampler(new SamplingParams(4, 1.0, 0.8, 1L, List.of()), 1);
    Set<Integer> drawn = new HashSet<>();
    for (int i = 0; i < 300; i++) {
      drawn.add(sampler.next(LOGITS, 0, LOGITS.length));
    }
    assertEquals(Set.of(1, 2, 5), drawn);
  }

  @Test
  void differentSeedsDrawDifferently() {
    SamplingParams params = new SamplingParams(4, 1.0, 1.0, null, List.of());
    StringBuilder a = new StringBuilder();
    StringBuilder b = new StringBuilder();
    Sampler first = new Sampler(params, 1);
    Sampler second = new Sampler(params, 2);
    for (int i = 0; i < 50; i++) {
      a.append(first.next(LOGITS, 0, LOGITS.length));
      b.append(second.next(LOGITS, 0, LOGITS.length));
    }
    assertNotEquals(a.toString(), b.toString());
  }
}
