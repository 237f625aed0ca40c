package dev.neutrino.batching;

/**
 * The adaptive instance layout's one decision: whether a batch runs on its instance's wide session
 * (every core the model may use) or its narrow one (the instance's share). Wide only when the batch
 * will be alone: no other instance of the model is busy and nothing else is queued that another
 * instance would start at once. Then the cores the other instances would use are idle, and the lone
 * batch finishes sooner on all of them; under load each instance keeps to its share, so instances run
 * side by side instead of contending for the same cores. A batch already running wide is never
 * narrowed: a batch dispatched beside it runs narrow, and the two share the cores until it ends.
 *
 * <p>Pure: the batcher passes what it sees under its lock at dispatch.
 */
final class AdaptiveLayout {
  private AdaptiveLayout() {}

  /**
   * @param instances the model's instances
   * @param idleAfterDispatch instances still idle once this batch's instance is taken
   * @param queuedAfterDispatch requests still waiting once this batch is taken off the queue
   * @return whether the batch should run on the wide session
   */
  static boolean runsWide(int instances, int idleAfterDispatch, int queuedAfterDispatch) {
    if (instances < 1 || idleAfterDispatch < 0 || idleAfterDispatch >= instances || queuedAfterDispatch < 0) {
      throw new IllegalArgumentException("invalid dispatch: " + idleAfterDispatch + " of " + instances
          + " instances idle after it, " + queuedAfterDispatch + " requests queued");
    }
    return idleAfterDispatch == instances - 1 && queuedAfterDispatch == 0;
  }
}
