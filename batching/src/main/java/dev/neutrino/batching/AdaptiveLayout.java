package dev.neutrino.batching;

/**
 * The adaptive instance layout's decisions: whether a batch runs on its instance's wide session
 * (every core the model may use) or its narrow one (the instance's share).
 *
 * <p><b>Alone or not</b> ({@link #alone}, pure). Only a batch that runs alone may run wide: no other
 * instance of the model is busy and nothing else is queued that another instance would start at once.
 * Then the cores the other instances would use are idle, and the lone batch may finish sooner on all of
 * them; under load each instance keeps to its share, so instances run side by side instead of
 * contending for the same cores. A batch already running wide is never narrowed: a batch dispatched
 * beside it runs narrow, and the two share the cores until it ends.
 *
 * <p><b>Whether wide pays</b> ({@link #runsWide}, learned). More threads do not always make a run
 * shorter: a small model's run can be too short to repay waking the other threads. So the run time per
 * row of lone batches is tracked on each session (exponentially weighted, {@value #WEIGHT} per run), and
 * a lone batch runs wide unless the narrow session is measured faster. Every {@value #EXPLORE_EVERY}th
 * lone batch runs on the other session, so that both stay measured as the machine's load changes.
 *
 * <p>Thread-safety: the batcher asks under its lock; instances report from their own threads. The
 * learned state is guarded by this object's monitor, which is never held while taking another lock.
 */
final class AdaptiveLayout {
  /** One lone batch in this many runs on the session the measurements do not prefer. */
  static final int EXPLORE_EVERY = 16;
  /** The weight of the newest run in each session's average. */
  static final double WEIGHT = 0.125;

  /** Guarded by this. NaN until measured. */
  private double wideNanosPerRow = Double.NaN;
  /** Guarded by this. NaN until measured. */
  private double narrowNanosPerRow = Double.NaN;
  /** Guarded by this. */
  private long loneBatches;

  /**
   * Whether a batch runs alone.
   *
   * @param instances the model's instances
   * @param idleAfterDispatch instances still idle once this batch's instance is taken
   * @param queuedAfterDispatch requests still waiting once this batch is taken off the queue
   */
  static boolean alone(int instances, int idleAfterDispatch, int queuedAfterDispatch) {
    if (instances < 1 || idleAfterDispatch < 0 || idleAfterDispatch >= instances || queuedAfterDispatch < 0) {
      throw new IllegalArgumentException("invalid dispatch: " + idleAfterDispatch + " of " + instances
          + " instances idle after it, " + queuedAfterDispatch + " requests queued");
    }
    return idleAfterDispatch == instances - 1 && queuedAfterDispatch == 0;
  }

  /** Which session the next lone batch runs on: true for the wide one. */
  synchronized boolean runsWide() {
    boolean preferWide = Double.isNaN(wideNanosPerRow) || Double.isNaN(narrowNanosPerRow)
        || wideNanosPerRow <= narrowNanosPerRow;
    boolean explore = ++loneBatches % EXPLORE_EVERY == 0;
    return explore != preferWide;
  }

  /** A lone batch of {@code rows} ran for {@code nanos} on the wide session, or on the narrow one. */
  synchronized void observe(boolean wide, int rows, long nanos) {
    if (rows < 1 || nanos <= 0) {
      return;
    }
    double perRow = (double) nanos / rows;
    if (wide) {
      wideNanosPerRow = Double.isNaN(wideNanosPerRow) ? perRow : wideNanosPerRow + WEIGHT * (perRow - wideNanosPerRow);
    } else {
      narrowNanosPerRow =
          Double.isNaN(narrowNanosPerRow) ? perRow : narrowNanosPerRow + WEIGHT * (perRow - narrowNanosPerRow);
    }
  }

  @Override
  public synchronized String toString() {
    return "AdaptiveLayout[wide " + Math.round(wideNanosPerRow) + " ns/row, narrow " + Math.round(narrowNanosPerRow)
        + " ns/row, " + loneBatches + " lone batches]";
  }
}
