package dev.neutrino.batching;

/**
 * The answer of a {@link BatchPolicy}: dispatch the first {@code count} requests of the queue now, or
 * wait up to {@code waitNanos} (the batcher asks again sooner whenever something changes: a request
 * arrives, one leaves, an instance becomes free).
 *
 * @param count requests to dispatch now; 0 to wait
 * @param waitNanos when {@code count} is 0, how long to wait at most; {@link Long#MAX_VALUE} for
 *     "until something changes"
 */
record BatchDecision(int count, long waitNanos) {
  /** Nothing to do until something changes. */
  static final BatchDecision IDLE = new BatchDecision(0, Long.MAX_VALUE);

  BatchDecision {
    if (count < 0 || (count == 0 && waitNanos <= 0)) {
      throw new IllegalArgumentException("invalid decision: count " + count + ", wait " + waitNanos + " ns");
    }
  }

  static BatchDecision dispatch(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("a dispatch takes at least one request, got " + count);
    }
    return new BatchDecision(count, 0);
  }

  /** Wait {@code nanos} (at least 1). */
  static BatchDecision waitFor(long nanos) {
    return new BatchDecision(0, Math.max(1, nanos));
  }

  boolean dispatches() {
    return count > 0;
  }
}
