package dev.neutrino.generation;

/** Why a sequence ended, with OpenAI's names where OpenAI has one. */
public enum FinishReason {
  /** The model produced its end-of-sequence token, or the text reached a stop string. */
  STOP("stop"),
  /** {@code max_tokens} were generated, or the model's context is full. */
  LENGTH("length"),
  /** The client cancelled or went away. */
  CANCELLED("cancelled");

  private final String wireName;

  FinishReason(String wireName) {
    this.wireName = wireName;
  }

  /** The name OpenAI's {@code finish_reason} uses. */
  public String wireName() {
    return wireName;
  }
}
