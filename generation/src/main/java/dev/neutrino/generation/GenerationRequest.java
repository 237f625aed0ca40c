package dev.neutrino.generation;

/**
 * One sequence to generate: its prompt as token ids and how to sample.
 *
 * @param promptTokens the prompt, at least one token; the array is copied
 */
public record GenerationRequest(int[] promptTokens, SamplingParams sampling) {
  public GenerationRequest {
    if (promptTokens == null || promptTokens.length == 0) {
      throw new IllegalArgumentException("the prompt is empty");
    }
    if (sampling == null) {
      throw new IllegalArgumentException("sampling must be given");
    }
    promptTokens = promptTokens.clone();
  }

  @Override
  public int[] promptTokens() {
    return promptTokens.clone();
  }

  int promptLength() {
    return promptTokens.length;
  }

  int promptToken(int index) {
    return promptTokens[index];
  }
}
