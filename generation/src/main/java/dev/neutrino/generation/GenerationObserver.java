package dev.neutrino.generation;

/**
 * Receives what an engine measures, for metrics. Called on the engine's thread; implementations
 * must be thread-safe and quick (counters and histograms).
 */
public interface GenerationObserver {
  /** Observes nothing. */
  GenerationObserver NONE = new GenerationObserver() {};

  /** A sequence produced its first token {@code nanos} after it was submitted. */
  default void firstToken(long nanos) {}

  /** A sequence produced a token {@code nanos} after its previous one. */
  default void betweenTokens(long nanos) {}

  /** One run of the model read {@code promptTokens} prompt tokens and produced {@code completionTokens}. */
  default void tokens(int promptTokens, int completionTokens) {}

  /** One step ran: every sequence in the running batch that had tokens to feed fed them. */
  default void step() {}
}
