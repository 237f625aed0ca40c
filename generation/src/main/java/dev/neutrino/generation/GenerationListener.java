package dev.neutrino.generation;

import dev.neutrino.runtime.InferenceException;

/**
 * Receives one sequence's output as it is generated. Called on the engine's thread, in order, never
 * concurrently: implementations must return quickly and never block (hand the text to an event loop).
 * Exactly one of {@link #onFinish} and {@link #onFailure} ends the calls.
 */
public interface GenerationListener {

  /**
   * More text. {@code text} is never empty; it holds only whole characters, and never text that may
   * turn out to begin a stop string.
   *
   * @param completionTokens tokens generated so far
   */
  void onText(String text, int completionTokens);

  /** The sequence ended; its text has all been delivered. */
  void onFinish(Completion completion);

  /** The sequence failed: the model failed on a step it took part in. */
  void onFailure(InferenceException failure);
}
