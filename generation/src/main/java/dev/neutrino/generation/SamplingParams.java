package dev.neutrino.generation;

import java.util.List;

/**
 * How a sequence picks its tokens and when it stops, with OpenAI's meanings. Immutable; validated on
 * construction.
 *
 * @param maxTokens tokens to generate at most; at least 1
 * @param temperature 0 for greedy decoding (the most likely token, always); otherwise logits are
 *     divided by it before sampling; 0 to 2
 * @param topP nucleus sampling: only the most likely tokens whose probabilities add up to {@code
 *     topP} are candidates; in (0, 1]
 * @param seed the sampler's seed, for repeatable samples; null for a seed of the engine's choosing
 * @param stop strings that end the answer where they first appear (they are not part of it); at most
 *     {@value #MAX_STOP_STRINGS}, none empty
 */
public record SamplingParams(int maxTokens, double temperature, double topP, Long seed, List<String> stop) {
  public static final int DEFAULT_MAX_TOKENS = 16;
  public static final double DEFAULT_TEMPERATURE = 1.0;
  public static final double DEFAULT_TOP_P = 1.0;
  public static final int MAX_STOP_STRINGS = 4;
  public static final double MAX_TEMPERATURE = 2.0;

  public SamplingParams {
    if (maxTokens < 1) {
      throw new IllegalArgumentException("max_tokens must be at least 1, got " + maxTokens);
    }
    if (!(temperature >= 0 && temperature <= MAX_TEMPERATURE)) {
      throw new IllegalArgumentException("temperature must be between 0 and 2, got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top_p must be greater than 0 and at most 1, got " + topP);
    }
    stop = stop == null ? List.of() : List.copyOf(stop);
    if (stop.size() > MAX_STOP_STRINGS) {
      throw new IllegalArgumentException(
          "stop has " + stop.size() + " strings; at most " + MAX_STOP_STRINGS + " are allowed");
    }
    for (String s : stop) {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("stop strings must not be empty");
      }
    }
  }

  /** Greedy decoding of at most {@code maxTokens} tokens. */
  public static SamplingParams greedy(int maxTokens) {
    return new SamplingParams(maxTokens, 0, DEFAULT_TOP_P, null, List.of());
  }

  public boolean greedy() {
    return temperature == 0;
  }
}
