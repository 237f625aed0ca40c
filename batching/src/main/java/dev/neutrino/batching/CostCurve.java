package dev.neutrino.batching;

import java.util.function.IntToDoubleFunction;

/**
 * What a batch of each size costs on one model and machine, in nanoseconds of an instance's time
 * (assembly, run and split), with the conclusions the latency-target mode draws from it. Immutable.
 *
 * <p>Per-row cost {@code u(b) = cost(b) / b}. Batching <em>pays</em> when the best per-row cost is at
 * least {@link #PAYS_MARGIN} below that of a single row. The {@linkplain #batchCap() batch cap} is
 * where to stop growing a batch: when batching pays, the largest size whose per-row cost is within
 * {@link #KNEE} of the best (bigger batches gain nothing and only delay their first rows); when it
 * does not, the smallest such size (usually 1, since joining requests only makes the first wait for
 * the others).
 */
final class CostCurve {
  /** How much cheaper per row the best batch must be than a single row for batching to pay. */
  static final double PAYS_MARGIN = 0.25;
  /** Per-row costs within this fraction of the best count as the best. */
  static final double KNEE = 0.05;

  /** Nothing learned yet. */
  static final CostCurve EMPTY = new CostCurve(new double[] {0}, false);

  private final double[] nanos;
  private final boolean established;
  private final boolean batchingPays;
  private final int batchCap;

  /**
   * @param nanos {@code nanos[b]} is the cost of a batch of {@code b} rows, for b from 1; index 0 unused
   * @param established whether the curve rests on measurements of at least two sizes
   */
  CostCurve(double[] nanos, boolean established) {
    this.nanos = nanos.clone();
    this.established = established;
    int max = nanos.length - 1;
    if (max < 1) {
      this.batchingPays = false;
      this.batchCap = 1;
      return;
    }
    double best = Double.MAX_VALUE;
    for (int b = 1; b <= max; b++) {
      best = Math.min(best, nanos[b] / b);
    }
    this.batchingPays = nanos[1] >= (1 + PAYS_MARGIN) * best;
    double threshold = (1 + KNEE) * best;
    int cap = batchingPays ? 1 : max;
    for (int b = 1; b <= max; b++) {
      if (nanos[b] / b <= threshold) {
        cap = batchingPays ? b : Math.min(cap, b);
      }
    }
    this.batchCap = cap;
  }

  /** A curve from a cost function, for sizes 1 to {@code maxBatchSize}: established. */
  static CostCurve of(int maxBatchSize, IntToDoubleFunction costNanos) {
    double[] nanos = new double[maxBatchSize + 1];
    for (int b = 1; b <= maxBatchSize; b++) {
      nanos[b] = costNanos.applyAsDouble(b);
    }
    return new CostCurve(nanos, true);
  }

  /** Whether anything was learned at all. */
  boolean isEmpty() {
    return nanos.length < 2;
  }

  /** Whether the curve rests on measurements of at least two batch sizes. */
  boolean established() {
    return established;
  }

  /** The largest batch size the curve covers. */
  int maxBatchSize() {
    return nanos.length - 1;
  }

  /** The predicted cost of a batch of {@code rows}; beyond the curve, extended along its last slope. */
  long predict(int rows) {
    if (rows <= 0 || isEmpty()) {
      return 0;
    }
    int max = nanos.length - 1;
    if (rows <= max) {
      return (long) nanos[rows];
    }
    double slope = max >= 2 ? nanos[max] - nanos[max - 1] : nanos[max];
    return (long) (nanos[max] + Math.max(0, slope) * (rows - max));
  }

  boolean batchingPays() {
    return batchingPays;
  }

  /** Where to stop growing a batch (see the class comment); 1 when nothing is known. */
  int batchCap() {
    return batchCap;
  }
}
