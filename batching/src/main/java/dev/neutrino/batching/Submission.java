package dev.neutrino.batching;

import dev.neutrino.runtime.InferenceException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A request handed to a {@link Scheduler}: its result, and the one way to withdraw it.
 *
 * <p>{@link #cancel()} completes the scheduler's own stage with {@link InferenceException.Cancelled};
 * a request still queued is then dropped and never reaches the runtime, one already running has its
 * answer dropped. Whatever a caller builds on top ({@link #map}, as the response cache does) keeps the
 * handle on that stage, so a cancel reaches the queue through every wrapper. Cancelling the stage of
 * {@link #result()} instead reaches nothing but that stage; don't.
 *
 * <p>Thread-safe; {@code cancel()} may be called from any thread, any number of times.
 */
public final class Submission {
  /** The scheduler's own stage: completing it withdraws the request. */
  private final CompletableFuture<InferenceResult> queued;
  private final CompletionStage<InferenceResult> result;

  private Submission(CompletableFuture<InferenceResult> queued, CompletionStage<InferenceResult> result) {
    this.queued = queued;
    this.result = result;
  }

  /**
   * The handle of a request a scheduler has taken: {@code queued} is the stage the scheduler
   * completes, and watches, as {@link DynamicBatcher} does, to drop requests completed by their caller.
   */
  public static Submission of(CompletableFuture<InferenceResult> queued) {
    Objects.requireNonNull(queued, "queued");
    return new Submission(queued, queued);
  }

  /** A request answered without a scheduler, for example from a cache. */
  public static Submission completed(InferenceResult result) {
    return of(CompletableFuture.completedFuture(result));
  }

  /** A request refused before it reached a scheduler. */
  public static Submission failed(InferenceException failure) {
    return of(CompletableFuture.failedFuture(failure));
  }

  /**
   * The result: completes on a scheduler thread (see {@link Scheduler}), or at once when refused.
   * Failures are {@link InferenceException}s, possibly wrapped in a
   * {@link java.util.concurrent.CompletionException} ({@link InferenceException#unwrap}).
   */
  public CompletionStage<InferenceResult> result() {
    return result;
  }

  /**
   * Withdraws the request: if it has not completed yet, its result fails with
   * {@link InferenceException.Cancelled}, and a request still waiting never reaches the runtime.
   *
   * @return whether this call cancelled it (false when it had completed already)
   */
  public boolean cancel() {
    return queued.completeExceptionally(new InferenceException.Cancelled("the request was cancelled"));
  }

  /**
   * The same request with {@code step} applied to its successful result (on the thread that
   * completes it); cancelling the returned handle cancels this one.
   */
  public Submission map(Function<InferenceResult, InferenceResult> step) {
    return new Submission(queued, result.thenApply(step));
  }

  /**
   * The same request with {@code observer} run on its outcome (on the thread that completes it)
   * before anyone waiting on the returned handle's result hears of it, so that what the observer
   * counts is counted by the time a caller sees the answer; cancelling the returned handle cancels
   * this one.
   */
  public Submission observedBy(BiConsumer<? super InferenceResult, ? super Throwable> observer) {
    return new Submission(queued, result.whenComplete(observer));
  }
}
