package dev.neutrino.generation;

import dev.neutrino.runtime.InferenceException;
import java.util.concurrent.CompletableFuture;

/** Collects a sequence's text and how it ended. */
final class RecordingListener implements GenerationListener {
  final StringBuffer text = new StringBuffer();
  final CompletableFuture<Completion> done = new CompletableFuture<>();
  volatile int pieces;

  @Override
  public void onText(String piece, int completionTokens) {
    if (piece.isEmpty()) {
      throw new AssertionError("empty text delivered");
    }
    text.append(piece);
    pieces++;
  }

  @Override
  public void onFinish(Completion completion) {
    if (!done.complete(completion)) {
      throw new AssertionError("finished twice");
    }
  }

  @Override
  public void onFailure(InferenceException failure) {
    if (!done.completeExceptionally(failure)) {
      throw new AssertionError("finished twice");
    }
  }
}
