package dev.neutrino.generation;

/** A submitted sequence. Thread-safe. */
public interface GenerationHandle {

  /**
   * Stops the sequence: it takes part in no step that begins after this call, its cache blocks are
   * freed, and its listener gets {@link FinishReason#CANCELLED} unless it had already finished.
   */
  void cancel();
}
