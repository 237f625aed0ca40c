package dev.neutrino.batching;

import java.util.concurrent.TimeUnit;

/**
 * Learns, online, what a batch of each size costs on one model instance type: the input of the
 * latency-target mode. Thread-safe: instances report from their threads, the batcher reads
 * {@link #curve()} (an immutable snapshot) from any thread without locking.
 *
 * <p>Per batch size it keeps a running mean of observed costs and the weight of the evidence behind
 * it, an effective sample count that grows by one per observation up to {@value #FULL_WEIGHT_SAMPLES}
 * and decays exponentially with the time since the size was last observed (time constant
 * {@link #TIME_CONSTANT_NANOS}). A new observation moves the mean by {@code 1 / (weight + 1)}: a
 * size measured steadily follows drift with the weight of the last few samples, and a size not
 * measured for a while is replaced by what the machine does now, so costs learned during a
 * contention spike (or a cold first run) are forgotten once the machine is fast again. Once a size
 * has the weight of a few recent samples, an observation over {@value #OUTLIER_FACTOR} times its mean
 * is clipped, so one GC pause does not poison it.
 *
 * <p>The curve over all sizes rests on the <em>current</em> sizes: those whose decayed weight is at
 * least {@value #CURRENT_WEIGHT} (a size last measured seconds ago says little about the machine
 * now), and never fewer than the two most recently measured. It interpolates linearly between them
 * and extrapolates beyond them along a slope fitted by least squares weighted by the decayed weights
 * (never negative); below the smallest one it never predicts less than proportional scaling would.
 * The curve is made non-decreasing: a batch never costs less than a smaller one. With one measured
 * size it is extrapolated proportionally (the pessimistic assumption that batching does not pay) and
 * marked not established. Time comes in as an argument.
 *
 * <p>{@link #observe} only records the sample; the curve is fitted again later, by {@link #refit()}
 * (an instance calls it once its batch's requests are answered, off their path) or by the first
 * {@link #curve()} that finds it stale, whichever comes first. Either way the fit is made as of the
 * latest observation's time, so every read sees the curve of all the observations made before it,
 * exactly as if each observation had fitted it at once.
 */
final class CostModel {
  static final int FULL_WEIGHT_SAMPLES = 8;
  static final double OUTLIER_FACTOR = 4;
  /** How fast the evidence behind a size fades when the size is not measured. */
  static final long TIME_CONSTANT_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** The decayed weight below which a size no longer shapes the curve (see the class comment). */
  static final double CURRENT_WEIGHT = 0.25;
  private static final int SAMPLES_BEFORE_CLIPPING = 4;
  /** Keeps a stale size that must stay in the fit from dropping out of the least squares. */
  private static final double MIN_FIT_WEIGHT = 1e-3;

  private final int maxBatchSize;
  private final double[] mean;
  /** Effective sample count as of {@code lastNanos}; 0 for a size never measured. */
  private final double[] weight;
  private final long[] lastNanos;
  private volatile CostCurve curve = CostCurve.EMPTY;
  /** Set by an observation not yet in {@link #curve}; cleared by the fit that takes it in. */
  private volatile boolean stale;
  /** The time of the latest observation: the time the next fit is made as of. Guarded by this. */
  private long fitNanos;

  CostModel(int maxBatchSize) {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("max batch size must be >= 1, got " + maxBatchSize);
    }
    this.maxBatchSize = maxBatchSize;
    this.mean = new double[maxBatchSize + 1];
    this.weight = new double[maxBatchSize + 1];
    this.lastNanos = new long[maxBatchSize + 1];
  }

  /** Records that a batch of {@code rows} took {@code nanos} of an instance's time, ending at {@code nowNanos}. */
  synchronized void observe(int rows, long nanos, long nowNanos) {
    if (rows < 1 || rows > maxBatchSize || nanos <= 0) {
      return;
    }
    double x = nanos;
    double evidence = decayedWeight(rows, nowNanos);
    if (evidence >= SAMPLES_BEFORE_CLIPPING && x > OUTLIER_FACTOR * mean[rows]) {
      x = OUTLIER_FACTOR * mean[rows];
    }
    double n = Math.min(evidence + 1, FULL_WEIGHT_SAMPLES);
    mean[rows] += (x - mean[rows]) / n;
    weight[rows] = n;
    lastNanos[rows] = Math.max(lastNanos[rows], nowNanos);
    fitNanos = nowNanos;
    stale = true;
  }

  /** Fits the curve to the observations not yet in it, if any. */
  void refit() {
    if (stale) {
      refitStale();
    }
  }

  private synchronized void refitStale() {
    if (stale) {
      curve = fit(fitNanos);
      stale = false;
    }
  }

  /** The curve of every observation so far; {@link CostCurve#EMPTY} until the first one. */
  CostCurve curve() {
    refit();
    return curve;
  }

  private double decayedWeight(int rows, long nowNanos) {
    if (weight[rows] == 0) {
      return 0;
    }
    long age = Math.max(0, nowNanos - lastNanos[rows]);
    return weight[rows] * Math.exp(-(double) age / TIME_CONSTANT_NANOS);
  }

  /** The weight each size has in the fit at {@code nowNanos}: 0 for sizes left out. */
  private double[] fitWeights(long nowNanos) {
    double[] w = new double[maxBatchSize + 1];
    int current = 0;
    int measured = 0;
    for (int b = 1; b <= maxBatchSize; b++) {
      if (weight[b] > 0) {
        measured++;
        double decayed = decayedWeight(b, nowNanos);
        if (decayed >= CURRENT_WEIGHT) {
          w[b] = decayed;
          current++;
        }
      }
    }
    for (int needed = Math.min(2, measured) - current; needed > 0; needed--) {
      int latest = 0;
      for (int b = 1; b <= maxBatchSize; b++) {
        if (weight[b] > 0 && w[b] == 0 && (latest == 0 || lastNanos[b] > lastNanos[latest])) {
          latest = b;
        }
      }
      w[latest] = Math.max(MIN_FIT_WEIGHT, decayedWeight(latest, nowNanos));
    }
    return w;
  }

  private CostCurve fit(long nowNanos) {
    double[] w = fitWeights(nowNanos);
    int measured = 0;
    double total = 0;
    double sumB = 0;
    double sumC = 0;
    for (int b = 1; b <= maxBatchSize; b++) {
      if (w[b] > 0) {
        measured++;
        total += w[b];
        sumB += w[b] * (double) b;
        sumC += w[b] * mean[b];
      }
    }
    if (measured == 0) {
      return CostCurve.EMPTY;
    }
    double slope;
    if (measured == 1) {
      int only = (int) Math.round(sumB / total);
      slope = mean[only] / only;
    } else {
      double meanB = sumB / total;
      double meanC = sumC / total;
      double covariance = 0;
      double variance = 0;
      for (int b = 1; b <= maxBatchSize; b++) {
        if (w[b] > 0) {
          covariance += w[b] * (b - meanB) * (mean[b] - meanC);
          variance += w[b] * (b - meanB) * (b - meanB);
        }
      }
      slope = Math.max(0, covariance / variance);
    }
    double[] nanos = new double[maxBatchSize + 1];
    int previous = 0;
    for (int b = 1; b <= maxBatchSize; b++) {
      if (w[b] == 0) {
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
