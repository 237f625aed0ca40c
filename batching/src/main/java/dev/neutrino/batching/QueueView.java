package dev.neutrino.batching;

/**
 * What a {@link BatchPolicy} may see: the waiting requests in the order they would be dispatched
 * (priority level 1 first; within a level, arrival order, then requests delayed by a DELAY timeout),
 * and what the batcher has learned about its traffic and its model. Read-only; valid only for the
 * duration of one {@link BatchPolicy#decide} call.
 */
interface QueueView {

  /** Requests waiting. */
  int size();

  /** The request at {@code index} in dispatch order, 0 being the next to go. */
  Item get(int index);

  /** Whether the batcher is draining: no request will arrive any more, so waiting gains nothing. */
  boolean draining();

  /** Recent arrival rate in rows per second (decaying average); 0 when nothing arrived lately. */
  double arrivalRowsPerSecond();

  /** The learned cost of a batch of each size; {@link CostCurve#EMPTY} before anything was learned. */
  CostCurve costs();

  /**
   * Whether this decision may form a larger batch than the cost curve advises, so that the batcher
   * keeps learning what such batches cost (asked for now and then by the latency-target mode).
   */
  boolean exploring();

  /**
   * Instances free to take a batch now, the one this decision is for included (at least 1 when the
   * batcher asks): the latency-target mode spreads rows over them where one batch would cost more.
   */
  int idleInstances();

  /** One waiting request, as the policy sees it. */
  interface Item {
    /** Rows the request brings along the batch dimension (1 for models that do not batch). */
    int rows();

    /**
     * The request's non-batch dimensions. Requests whose keys differ ({@link Object#equals}) are not
     * put in one batch.
     */
    Object shapeKey();

    /** When it was queued, on the batcher's clock. */
    long enqueuedNanos();

    /**
     * When it should be finished: the earliest of its own deadline, its REJECT timeout and (in the
     * latency-target mode) its arrival plus the target; {@link InferenceRequest#NO_DEADLINE} if none.
     */
    long deadlineNanos();
  }
}
