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

  /** One model step fed {@code promptTokens} prompt tokens and produced {@code completionTokens}. */
  default void step(int promptTokens, int completionTokens) {}
}
