package dev.neutrino.batching;

/**
 * Learns, online, what a batch of each size costs on one model instance type: the input of the
 * latency-target mode. Thread-safe: instances report from their threads, the batcher reads
 * {@link #curve()} (an immutable snapshot) from any thread without locking.
 *
 * <p>Per batch size it keeps a running mean of observed costs (a plain mean over the first
 * {@value #FULL_WEIGHT_SAMPLES} samples, then an exponential average with that weight, so it follows
 * drift; once a size has a few samples, an observation over {@value #OUTLIER_FACTOR} times its mean is
 * clipped, so one GC pause does not poison it). The curve over all sizes interpolates linearly
 * between measured sizes and extrapolates beyond them along a slope fitted by weighted least squares
 * over every measured size (never negative); below the smallest measured size it never predicts less
 * than proportional scaling would. The curve is made non-decreasing: a batch never costs less than a
 * smaller one. With one measured size it is extrapolated proportionally (the pessimistic assumption
 * that batching does not pay) and marked not established.
 */
final class CostModel {
  static final int FULL_WEIGHT_SAMPLES = 8;
  static final double OUTLIER_FACTOR = 4;
  private static final int SAMPLES_BEFORE_CLIPPING = 4;

  private final int maxBatchSize;
  private final double[] mean;
  private final int[] samples;
  private volatile CostCurve curve = CostCurve.EMPTY;

  CostModel(int maxBatchSize) {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("max batch size must be >= 1, got " + maxBatchSize);
    }
    this.maxBatchSize = maxBatchSize;
    this.mean = new double[maxBatchSize + 1];
    this.samples = new int[maxBatchSize + 1];
  }

  /** Records that a batch of {@code rows} took {@code nanos} of an instance's time. */
  synchronized void observe(int rows, long nanos) {
    if (rows < 1 || rows > maxBatchSize || nanos <= 0) {
      return;
    }
    double x = nanos;
    int n = samples[rows];
    if (n >= SAMPLES_BEFORE_CLIPPING && x > OUTLIER_FACTOR * mean[rows]) {
      x = OUTLIER_FACTOR * mean[rows];
    }
    n = Math.min(n + 1, FULL_WEIGHT_SAMPLES);
    samples[rows] = n;
    mean[rows] += (x - mean[rows]) / n;
    curve = fit();
  }

  /** The latest curve; {@link CostCurve#EMPTY} until the first observation. */
  CostCurve curve() {
    return curve;
  }

  private CostCurve fit() {
    int measured = 0;
    double weight = 0;
    double sumB = 0;
    double sumC = 0;
    for (int b = 1; b <= maxBatchSize; b++) {
      if (samples[b] > 0) {
        measured++;
        weight += samples[b];
        sumB += samples[b] * (double) b;
        sumC += samples[b] * mean[b];
      }
    }
    if (measured == 0) {
      return CostCurve.EMPTY;
    }
    double slope;
    if (measured == 1) {
      int only = (int) Math.round(sumB / weight);
      slope = mean[only] / only;
    } else {
      double meanB = sumB / weight;
      double meanC = sumC / weight;
      double covariance = 0;
      double variance = 0;
      for (int b = 1; b <= maxBatchSize; b++) {
        if (samples[b] > 0) {
          covariance += samples[b] * (b - meanB) * (mean[b] - meanC);
          variance += samples[b] * (b - meanB) * (b - meanB);
        }
      }
      slope = Math.max(0, covariance / variance);
    }
    double[] nanos = new double[maxBatchSize + 1];
    int previous = 0;
    for (int b = 1; b <= maxBatchSize; b++) {
      if (samples[b] == 0) {
        continue;
      }
      if (previous == 0) {
        for (int below = 1; below < b; below++) {
          nanos[below] = Math.max(mean[b] * below / b, mean[b] - slope * (b - below));
        }
      } else {
        for (int between = previous + 1; between < b; between++) {
          double t = (double) (between - previous) / (b - previous);
          nanos[between] = mean[previous] + t * (mean[b] - mean[previous]);
        }
      }
      nanos[b] = mean[b];
      previous = b;
    }
    for (int above = previous + 1; above <= maxBatchSize; above++) {
      nanos[above] = mean[previous] + slope * (above - previous);
    }
    for (int b = 2; b <= maxBatchSize; b++) {
      nanos[b] = Math.max(nanos[b], nanos[b - 1]);
    }
    return new CostCurve(nanos, measured >= 2);
  }
}
