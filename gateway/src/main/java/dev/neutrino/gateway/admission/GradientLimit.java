package dev.neutrino.gateway.admission;

import java.util.concurrent.TimeUnit;

/**
 * An adaptive concurrency limit driven by measured latency: a pure decision of the samples and the
 * times passed in, with no clock of its own. Not thread-safe: {@link Admission} guards it.
 *
 * <h2>Design note</h2>
 *
 * <p>The published designs this follows are Netflix's concurrency-limits (Gradient2) and Envoy's
 * adaptive concurrency filter; the arithmetic here is our own.
 *
 * <p><b>Windows.</b> Latencies of successful requests are averaged over a window that closes once it
 * holds at least {@link #WINDOW_SAMPLES} samples and {@link #WINDOW_NANOS} have passed since its
 * first; the limit moves only when a window closes, so one slow request moves nothing.
 *
 * <p><b>Baseline.</b> What latency the model gives when the gateway is not queueing: the average of a
 * probe window during which the limit is pinned at its floor (the first window of all, then one every
 * {@link #PROBE_INTERVAL_NANOS}), lowered by any window that is faster. Re-measuring it at the floor,
 * as Envoy re-measures its minimum RTT, keeps a baseline learned under load from drifting upwards
 * with the queue it was meant to detect, and lets it follow a model that really became slower. After a
 * probe the limit goes back to where it was.
 *
 * <p><b>Gradient.</b> Each other window, {@code gradient = tolerance * baseline / latency}, clamped to
 * {@code [0.5, 1]}, and {@code next = limit * gradient + sqrt(limit)}: the square root is the queue
 * headroom that lets the limit probe upwards while latency stays within tolerance. A lower
 * {@code next} is taken at once (overload is answered within a window); a higher one only a fifth of
 * the way ({@link #GROWTH_SMOOTHING}), and only when the window used at least half the limit (a limit
 * nobody reaches proves nothing). The limit stays within {@code [limitMin, limitMax]}.
 */
final class GradientLimit {
  /** The shortest window: long enough to average a few batches of a fast model. */
  static final long WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /** The fewest samples a window averages. */
  static final int WINDOW_SAMPLES = 16;
  /** How often the baseline is measured again at the floor. */
  static final long PROBE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);
  /** The share of an increase taken per window. */
  static final double GROWTH_SMOOTHING = 0.2;
  /** The most one window can cut the limit by, before the headroom is added back. */
  static final double MIN_GRADIENT = 0.5;

  private final int limitMin;
  private final int limitMax;
  private final double tolerance;
  private double limit;
  /** The mean latency at the floor, in nanoseconds; 0 until the first probe window closed. */
  private double baselineNanos;
  /** Whether the current window measures the baseline, with the limit pinned at the floor. */
  private boolean probing = true;
  /** The limit to go back to once the probe window has closed. */
  private double resumeLimit;
  private long nextProbeNanos;
  private long windowStartNanos;
  private int windowSamples;
  private long windowLatencyNanos;
  private int windowMaxInFlight;

  GradientLimit(int limitMin, int limitMax, double tolerance) {
    this.limitMin = limitMin;
    this.limitMax = limitMax;
    this.tolerance = tolerance;
    this.limit = limitMin;
    this.resumeLimit = limitMin;
  }

  GradientLimit(AdmissionSettings settings) {
    this(settings.limitMin(), settings.limitMax(), settings.latencyTolerance());
  }

  /** Requests that may be in flight now. */
  int limit() {
    return (int) limit;
  }

  /** The baseline latency in nanoseconds; 0 before it was first measured. */
  long baselineNanos() {
    return (long) baselineNanos;
  }

  /** Whether the limit is pinned at its floor while the baseline is measured. */
  boolean probing() {
    return probing;
  }

  /**
   * Takes one successful request's latency into the current window, and moves the limit when that
   * window closes.
   *
   * @param nowNanos when the request was answered
   * @param latencyNanos how long it took
   * @param inFlight requests in flight when it was admitted, itself included
   * @return the limit from now on
   */
  int sample(long nowNanos, long latencyNanos, int inFlight) {
    if (windowSamples == 0) {
      windowStartNanos = nowNanos;
    }
    windowSamples++;
    windowLatencyNanos += Math.max(0, latencyNanos);
    windowMaxInFlight = Math.max(windowMaxInFlight, inFlight);
    if (windowSamples >= WINDOW_SAMPLES && nowNanos - windowStartNanos >= WINDOW_NANOS) {
      close(nowNanos);
    }
    return limit();
  }

  private void close(long nowNanos) {
    double latency = Math.max(1.0, (double) windowLatencyNanos / windowSamples);
    int used = windowMaxInFlight;
    windowSamples = 0;
    windowLatencyNanos = 0;
    windowMaxInFlight = 0;
    if (probing) {
      baselineNanos = latency;
      probing = false;
      limit = resumeLimit;
      nextProbeNanos = nowNanos + PROBE_INTERVAL_NANOS;
      return;
    }
    baselineNanos = Math.min(baselineNanos, latency);
    double gradient = Math.max(MIN_GRADIENT, Math.min(1.0, tolerance * baselineNanos / latency));
    double next = limit * gradient + Math.sqrt(limit);
    if (next < limit) {
      limit = next;
    } else if (2 * used >= limit) {
      limit += (next - limit) * GROWTH_SMOOTHING;
    }
    limit = Math.max(limitMin, Math.min(limitMax, limit));
    if (nowNanos - nextProbeNanos >= 0) {
      probing = true;
      resumeLimit = limit;
      limit = limitMin;
    }
  }
}
