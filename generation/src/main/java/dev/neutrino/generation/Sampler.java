package dev.neutrino.generation;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks one sequence's next token from its logits: the most likely one when greedy, otherwise a draw
 * from the temperature-scaled distribution restricted to the top-p nucleus. Each sequence has its own
 * random source from its seed, so what it draws does not depend on who else is in the batch.
 * Confined to the engine's thread.
 */
final class Sampler {
  private final SamplingParams params;
  private final SplittableRandom random;
  private Integer[] order;
  private double[] probabilities;

  Sampler(SamplingParams params, long seed) {
    this.params = params;
    this.random = new SplittableRandom(seed);
  }

  /** The next token, from {@code vocabulary} logits at {@code offset} of {@code logits}. */
  int next(float[] logits, int offset, int vocabulary) {
    if (params.greedy()) {
      return argmax(logits, offset, vocabulary);
    }
    if (probabilities == null) {
      probabilities = new double[vocabulary];
      order = new Integer[vocabulary];
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < vocabulary; i++) {
      max = Math.max(max, logits[offset + i] / params.temperature());
    }
    double sum = 0;
    for (int i = 0; i < vocabulary; i++) {
      probabilities[i] = Math.exp(logits[offset + i] / params.temperature() - max);
      sum += probabilities[i];
      order[i] = i;
    }
    int candidates = vocabulary;
    if (params.topP() < 1) {
      double[] p = probabilities;
      Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
      double kept = 0;
      candidates = 0;
      while (candidates < vocabulary && kept < params.topP() * sum) {
        kept += p[order[candidates++]];
      }
      sum = kept;
    }
    double draw = random.nextDouble() * sum;
    for (int i = 0; i < candidates; i++) {
      draw -= probabilities[order[i]];
      if (draw < 0) {
        return order[i];
      }
    }
    return order[candidates - 1];
  }

  static int argmax(float[] values, int offset, int count) {
    int best = 0;
    for (int i = 1; i < count; i++) {
      if (values[offset + i] > values[offset + best]) {
        best = i;
      }
    }
    return best;
  }
}
