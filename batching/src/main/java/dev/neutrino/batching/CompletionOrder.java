package dev.neutrino.batching;

import java.util.HashMap;
import java.util.Map;

/**
 * Runs batch completions in the order their batches were dispatched ({@code preserve_ordering}): a
 * batch that finishes early is parked until every earlier batch has completed. Whichever thread
 * completes the batch that was being waited for runs the parked ones after it, one thread at a time,
 * outside the lock, so completion callbacks never run under it and never run out of order.
 *
 * <p>Every dispatched sequence number must be completed exactly once, whatever became of its batch.
 */
final class CompletionOrder {
  private static final System.Logger LOG = System.getLogger(CompletionOrder.class.getName());
  private final Map<Long, Runnable> parked = new HashMap<>();
  private long next;
  private boolean releasing;

  void complete(long sequence, Runnable completion) {
    synchronized (this) {
      parked.put(sequence, completion);
      if (releasing) {
        return;
      }
      releasing = true;
    }
    while (true) {
      Runnable ready;
      synchronized (this) {
        ready = parked.remove(next);
        if (ready == null) {
          releasing = false;
          return;
        }
        next++;
      }
      try {
        ready.run();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "a batch completion failed", e);
      }
    }
  }
}
