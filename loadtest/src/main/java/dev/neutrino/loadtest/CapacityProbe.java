package dev.neutrino.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.function.LongSupplier;

/**
 * Overload's capacity probe: how many requests per second a server just started sustains, measured so
 * that two runs against the same server agree.
 *
 * <h2>Design note</h2>
 *
 * <p><b>Closed-loop windows until a plateau; the capacity is its median.</b> A server started for
 * the scenario is still compiling its request path, filling its connections and running ONNX
 * Runtime's first calls; after one fixed warm-up the first window found anything from a third to all
 * of its capacity, and a throughput that held for two windows could still rise by half when the JIT's
 * next tier arrived. So the probe runs the closed loop in windows of {@link Settings#window()} until
 * throughput stops rising ({@link #stoppedRising}): each of the last {@link Settings#samples()}
 * windows no more than {@link #RISE} above the best window before it, after at least
 * {@link #MIN_WARMUP_WINDOWS} windows before those. Those last windows are the samples: the capacity
 * is their median and (max - min) / median its spread; the windows before them are the warm-up. A
 * closed loop regulates itself (a slow moment costs that moment's requests, nothing queues behind
 * it), so a window moves with the machine's noise only, and the median leaves one noisy window out.
 * After {@link Settings#warmupLimit()} the probe takes the last windows as they are and says that
 * throughput was still rising.
 *
 * <p><b>What an open loop sustains.</b> Then, from the capacity, open-loop (Poisson) windows at other
 * rates: a rate is good ({@link #good}) when the goodput was at least {@link #GOOD_SHARE} of what was
 * offered and, with a latency target, the p99 of the admitted requests was within it. The search
 * ({@link #nextRate}) rises by {@link #STEP} while rates are good, falls by it while they are bad, and
 * bisects between the highest good and the lowest bad rate until they are within
 * {@link #RESOLUTION} of each other, for at most {@link Settings#maxSteps()} windows and
 * {@link Settings#stepLimit()}. The highest good rate is reported as the sustained rate, beside the
 * capacity and not in its place: each verdict rests on one window's p99, which one collector pause or
 * a neighbour's burst decides, and on a loaded 2-core machine two searches in three ended early on a
 * window in which the generator fell behind its schedule, while every closed-loop sample was valid.
 *
 * <p><b>Validity.</b> A closed-loop sample whose generator saturated ({@link LevelResult#valid()})
 * makes the capacity invalid (it measured the generator); an invalid open-loop window ends the search.
 *
 * <p>Time comes from an injected clock; the windows themselves are run by {@link Windows}, so that the
 * procedure is tested with fabricated results. Not thread-safe: one {@link #run} at a time.
 */
final class CapacityProbe {
  /** A window this much above the best before it is still rising. */
  static final double RISE = 0.03;
  /** Windows of warm-up at least, before the samples. */
  static final int MIN_WARMUP_WINDOWS = 3;
  /** An open-loop rate is good when at least this share of what was offered was answered with success. */
  static final double GOOD_SHARE = 0.97;
  /** The open-loop search's step up (while good) or down (while bad), as a share of the rate. */
  static final double STEP = 0.15;
  /** The search ends when the lowest bad rate is within this share above the highest good rate. */
  static final double RESOLUTION = 0.04;
  static final int DEFAULT_SAMPLES = 3;
  static final int DEFAULT_MAX_STEPS = 4;
  /**
   * The closed loop's limit, in warm-up times: on a loaded 2-core machine a gateway just started on one
   * core was still rising after ten windows of 1 s.
   */
  static final int WARMUP_LIMIT_FACTOR = 15;

  /** Runs the probe's windows against the server; each call blocks until its window is measured. */
  interface Windows {
    /**
     * A closed loop at the probe's concurrency for {@code window}.
     *
     * @param label which window ({@code "window 2"})
     */
    LevelResult closed(String label, Duration window);

    /** An open loop (Poisson) at {@code rate}, warmed up for {@code warmup} and measured for {@code window}. */
    LevelResult open(String label, double rate, Duration warmup, Duration window);
  }

  /**
   * @param window each closed-loop window
   * @param samples the last windows, those whose median is the capacity
   * @param warmupLimit the closed loop starts no window after this much time, once it has its samples;
   *     zero: no warm-up, the samples are the first windows
   * @param stepWarmup each open-loop window's own warm-up, discarded
   * @param stepWindow each open-loop window
   * @param maxSteps open-loop windows at most; 0 skips the search
   * @param stepLimit the search starts no window that would end after this much time
   * @param targetMicros the latency target of the admitted requests' p99; 0 for none
   */
  record Settings(Duration window, int samples, Duration warmupLimit, Duration stepWarmup, Duration stepWindow,
      int maxSteps, Duration stepLimit, long targetMicros) {
    Settings {
      for (Duration d : List.of(window, warmupLimit, stepWarmup, stepWindow, stepLimit)) {
        Objects.requireNonNull(d, "durations");
        if (d.isNegative()) {
          throw new IllegalArgumentException("the probe's durations must not be negative, got " + d);
        }
      }
      if (samples < 1) {
        throw new IllegalArgumentException("the probe needs at least 1 sample, got " + samples);
      }
      if (window.isZero()) {
        throw new IllegalArgumentException("the probe's closed-loop window must be above 0");
      }
      if (maxSteps < 0) {
        throw new IllegalArgumentException("the probe's steps must not be negative, got " + maxSteps);
      }
      if (maxSteps > 0 && stepWindow.isZero()) {
        throw new IllegalArgumentException("the probe's open-loop window must be above 0 when it takes steps");
      }
      if (targetMicros < 0) {
        throw new IllegalArgumentException("the latency target must not be negative, got " + targetMicros + " us");
      }
    }

    /**
     * The bench's probe for {@code --warmup} and {@code --duration}: closed-loop windows of a third of
     * the duration, {@link #DEFAULT_SAMPLES} samples, for at most {@link #WARMUP_LIMIT_FACTOR} times
     * the warm-up; up to {@link #DEFAULT_MAX_STEPS} open-loop windows of a third of the duration, each
     * after half the warm-up, the search bounded by 1.5 times their time (answers still coming in after
     * a window count too).
     */
    static Settings of(Duration warmup, Duration duration, long targetMicros) {
      Duration third = duration.dividedBy(3);
      Duration stepWarmup = warmup.dividedBy(2);
      return new Settings(third, DEFAULT_SAMPLES, warmup.multipliedBy(WARMUP_LIMIT_FACTOR), stepWarmup, third,
          DEFAULT_MAX_STEPS, stepWarmup.plus(third).multipliedBy(3L * DEFAULT_MAX_STEPS).dividedBy(2), targetMicros);
    }

    /** The same closed-loop windows without the open-loop search: capacity alone. */
    Settings closedOnly() {
      return new Settings(window, samples, warmupLimit, stepWarmup, stepWindow, 0, stepLimit, targetMicros);
    }

    /** The highest rate the search can offer, as a multiple of its first: how many connections it needs. */
    double highestRateFactor() {
      return Math.pow(1 + STEP, Math.max(0, maxSteps - 1));
    }
  }

  /** One open-loop window of the search: the rate offered, what it measured, and the verdict. */
  record Step(double rate, LevelResult result, boolean good) {
    Step {
      Objects.requireNonNull(result, "result");
    }
  }

  /**
   * What the probe found.
   *
   * @param samples the last closed-loop windows, in order
   * @param warmupRps each closed-loop window's throughput before the samples, in order
   * @param warmupSeconds the time until the first sample began, by the clock
   * @param warmupSettled whether the samples had stopped rising (true without a warm-up)
   * @param steps the open-loop search's windows, in order
   * @param invalidReason null when every sample measured the server; else why not
   */
  record Result(List<LevelResult> samples, List<Double> warmupRps, double warmupSeconds, boolean warmupSettled,
      List<Step> steps, String invalidReason) {
    Result {
      samples = List.copyOf(samples);
      warmupRps = List.copyOf(warmupRps);
      steps = List.copyOf(steps);
    }

    List<Double> samplesRps() {
      return samples.stream().map(LevelResult::throughputRps).toList();
    }

    /** The median of the samples' throughput. */
    double capacityRps() {
      return median(samplesRps());
    }

    /** (max - min) / median of the samples; 0 for one sample. */
    double spread() {
      return CapacityProbe.spread(samplesRps());
    }

    /** The highest good rate of the search; empty when it took no step or none was good. */
    OptionalDouble sustainedRps() {
      return CapacityProbe.sustained(steps);
    }

    boolean valid() {
      return invalidReason == null;
    }
  }

  private final Settings settings;
  private final LongSupplier clock;

  /** @param clock nanoseconds, monotonic ({@code System::nanoTime} outside tests) */
  CapacityProbe(Settings settings, LongSupplier clock) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Runs closed-loop windows until their throughput stops rising, then searches; blocks until done. */
  Result run(Windows windows) {
    long start = clock.getAsLong();
    boolean warmup = !settings.warmupLimit().isZero();
    long limit = start + settings.warmupLimit().toNanos();
    int k = settings.samples();
    List<LevelResult> taken = new ArrayList<>();
    List<Double> rps = new ArrayList<>();
    List<Long> startedAt = new ArrayList<>();
    boolean settled = !warmup;
    while (taken.size() < k || (!settled && clock.getAsLong() < limit)) {
      startedAt.add(clock.getAsLong());
      LevelResult r = windows.closed("window " + (taken.size() + 1), settings.window());
      taken.add(r);
      rps.add(r.throughputRps());
      settled = !warmup || stoppedRising(rps, k);
    }
    int first = taken.size() - k;
    List<LevelResult> samples = taken.subList(first, taken.size());
    double warmupSeconds = (startedAt.get(first) - start) / 1e9;
    String invalid = null;
    for (int i = 0; i < samples.size() && invalid == null; i++) {
      if (!samples.get(i).valid()) {
        invalid = "capacity sample " + (i + 1) + ": " + samples.get(i).invalidReason();
      }
    }
    double capacity = median(rps.subList(first, rps.size()));

    List<Step> steps = new ArrayList<>();
    if (capacity > 0) {
      long searchEnd = clock.getAsLong() + settings.stepLimit().toNanos();
      long stepNanos = settings.stepWarmup().plus(settings.stepWindow()).toNanos();
      OptionalDouble next = nextRate(capacity, steps, settings.maxSteps());
      while (next.isPresent() && clock.getAsLong() + stepNanos <= searchEnd) {
        double rate = next.getAsDouble();
        LevelResult r = windows.open("step " + (steps.size() + 1), rate, settings.stepWarmup(), settings.stepWindow());
        steps.add(new Step(rate, r, good(r, settings.targetMicros())));
        next = r.valid() ? nextRate(capacity, steps, settings.maxSteps()) : OptionalDouble.empty();
      }
    }
    return new Result(samples, rps.subList(0, first), warmupSeconds, settled, steps, invalid);
  }

  // ---------------------------------------------------------------------------------------------
  // The rules, as pure functions

  /**
   * Whether throughput has stopped rising: at least {@link #MIN_WARMUP_WINDOWS} windows before the
   * last {@code last}, and each of those no more than {@link #RISE} above the best window before it.
   */
  static boolean stoppedRising(List<Double> rps, int last) {
    if (rps.size() < MIN_WARMUP_WINDOWS + last) {
      return false;
    }
    for (int i = rps.size() - last; i < rps.size(); i++) {
      double best = Collections.max(rps.subList(0, i));
      if (rps.get(i) > best * (1 + RISE)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether an open-loop window sustained its rate: it measured the server, at least {@link #GOOD_SHARE}
   * of the requests it sent were answered with success per second of the window, and (with a target)
   * the p99 of those was within {@code targetMicros}.
   */
  static boolean good(LevelResult r, long targetMicros) {
    double offered = r.offeredRps();
    return r.valid() && offered > 0 && r.throughputRps() >= GOOD_SHARE * offered
        && (targetMicros <= 0 || r.latency().p99() <= targetMicros);
  }

  /**
   * The search's next rate after {@code steps}, or empty when it is done: {@code start} first; then
   * {@link #STEP} above the highest good rate while none was bad above it, {@link #STEP} below the
   * lowest bad rate while none was good, else halfway between the highest good rate and the lowest bad
   * rate above it, until those are within {@link #RESOLUTION} or {@code maxSteps} windows were taken.
   */
  static OptionalDouble nextRate(double start, List<Step> steps, int maxSteps) {
    if (steps.size() >= maxSteps) {
      return OptionalDouble.empty();
    }
    if (steps.isEmpty()) {
      return OptionalDouble.of(start);
    }
    OptionalDouble good = sustained(steps);
    double lowestBad = Double.NaN;
    for (Step s : steps) {
      if (!s.good() && (good.isEmpty() || s.rate() > good.getAsDouble())
          && (Double.isNaN(lowestBad) || s.rate() < lowestBad)) {
        lowestBad = s.rate();
      }
    }
    if (Double.isNaN(lowestBad)) {
      return OptionalDouble.of(good.getAsDouble() * (1 + STEP));
    }
    if (good.isEmpty()) {
      return OptionalDouble.of(lowestBad * (1 - STEP));
    }
    double g = good.getAsDouble();
    return lowestBad <= g * (1 + RESOLUTION) ? OptionalDouble.empty() : OptionalDouble.of((g + lowestBad) / 2);
  }

  /** The highest good rate among {@code steps}; empty when none was good. */
  static OptionalDouble sustained(List<Step> steps) {
    return steps.stream().filter(Step::good).mapToDouble(Step::rate).max();
  }

  /** The median (of an even count, the mean of the middle two); 0 for none. */
  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** (max - min) / median; 0 when the median is 0 or there are fewer than two values. */
  static double spread(List<Double> values) {
    double median = median(values);
    if (values.size() < 2 || median <= 0) {
      return 0;
    }
    return (Collections.max(values) - Collections.min(values)) / median;
  }
}
