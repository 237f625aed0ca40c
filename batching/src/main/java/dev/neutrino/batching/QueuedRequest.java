package dev.neutrino.batching;

import java.util.concurrent.CompletableFuture;

/**
 * One accepted request on its way through the batcher: the request, its stage, and what the queue
 * needs to know about it. Fields other than {@link #state} are fixed at submission; {@link #state}
 * changes only under the batcher's lock and is volatile so that the stage's callbacks can read it.
 */
final class QueuedRequest implements QueueView.Item {
  /** Where the request is. */
  enum State {
    /** In its level's queue, in arrival order. */
    WAITING,
    /** Timed out under DELAY: at the back of its level, with no timeout any more. */
    DELAYED,
    /** Leaving the queue: its timeout or deadline passed (transient, under the lock). */
    EXPIRED,
    /** Moving to the back of its level under DELAY (transient, under the lock). */
    MOVING,
    /** Its stage was completed by someone else (the caller cancelled) while it waited. */
    WITHDRAWN,
    /** Handed to an instance in a batch. */
    DISPATCHED
  }

  final InferenceRequest request;
  final CompletableFuture<InferenceResult> future;
  final int rows;
  final Object shapeKey;
  /** Priority level, 1-based. */
  final int level;
  final long enqueuedNanos;
  /** When its queue timeout passes; {@link InferenceRequest#NO_DEADLINE} for none. */
  final long timeoutAtNanos;
  final boolean delayOnTimeout;
  /** Its own absolute deadline (for example a gRPC deadline); always rejects when it passes. */
  final long hardDeadlineNanos;
  /** When it should be finished, for the policy (see {@link QueueView.Item#deadlineNanos()}). */
  final long targetDeadlineNanos;
  volatile State state = State.WAITING;
  /** The time it sits in the timer heap under; fixed while it is there. */
  long timerNanos;

  QueuedRequest(InferenceRequest request, CompletableFuture<InferenceResult> future, int rows, Object shapeKey,
      int level, long enqueuedNanos, long timeoutAtNanos, boolean delayOnTimeout, long hardDeadlineNanos,
      long targetDeadlineNanos) {
    this.request = request;
    this.future = future;
    this.rows = rows;
    this.shapeKey = shapeKey;
    this.level = level;
    this.enqueuedNanos = enqueuedNanos;
    this.timeoutAtNanos = timeoutAtNanos;
    this.delayOnTimeout = delayOnTimeout;
    this.hardDeadlineNanos = hardDeadlineNanos;
    this.targetDeadlineNanos = targetDeadlineNanos;
  }

  /** The next time something happens to it while queued; NO_DEADLINE when nothing will. */
  long nextEventNanos() {
    return switch (state) {
      case WAITING -> Math.min(timeoutAtNanos, hardDeadlineNanos);
      case DELAYED -> hardDeadlineNanos;
      default -> InferenceRequest.NO_DEADLINE;
    };
  }

  boolean isQueued() {
    State s = state;
    return s == State.WAITING || s == State.DELAYED;
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public Object shapeKey() {
    return shapeKey;
  }

  @Override
  public long enqueuedNanos() {
    return enqueuedNanos;
  }

  @Override
  public long deadlineNanos() {
    return targetDeadlineNanos;
  }

  @Override
  public String toString() {
    return "request '" + request.id() + "' (" + rows + " rows, level " + level + ", " + state + ")";
  }
}
