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
 * <p><b>Warm-up to a plateau.</b> A server started for the scenario is still compiling its request
 * path, filling its connections and running ONNX Runtime's first calls; after one fixed warm-up the
 * first window found anything from a third to all of its capacity. So the probe runs the closed loop in
 * windows of {@link Settings#warmupWindow()} until throughput stops rising ({@link #stoppedRising}: the
 * last {@link #SETTLED_WINDOWS} windows each no more than {@link #RISE} above the best window before
 * it, after at least {@link #MIN_WARMUP_WINDOWS}), or until {@link Settings#warmupLimit()} is spent, when
 * it goes on and says that the server had not settled.
 *
 * <p><b>Capacity: the median of closed-loop windows.</b> Then {@link Settings#samples()} windows of
 * the same closed loop; the capacity is their median, and (max - min) / median is its spread. A closed
 * loop regulates itself (a slow moment costs that moment's requests, nothing queues behind it), so one
 * window's figure moves with the machine's noise only, and the median leaves one noisy window out.
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
  /** A warm-up window this much above the best before it is still rising. */
  static final double RISE = 0.03;
  /** Warm-up windows before the plateau may be judged. */
  static final int MIN_WARMUP_WINDOWS = 3;
  /** Consecutive warm-up windows without a new high that make a plateau. */
  static final int SETTLED_WINDOWS = 2;
  /** An open-loop rate is good when at least this share of what was offered was answered with success. */
  static final double GOOD_SHARE = 0.97;
  /** The open-loop search's step up (while good) or down (while bad), as a share of the rate. */
  static final double STEP = 0.15;
  /** The search ends when the lowest bad rate is within this share above the highest good rate. */
  static final double RESOLUTION = 0.04;
  static final int DEFAULT_SAMPLES = 3;
  static final int DEFAULT_MAX_STEPS = 4;
  /**
   * The warm-up's limit, in warm-up windows: on a loaded 2-core machine a gateway just started on one
   * core was still rising after ten windows of 1 s.
   */
  static final int WARMUP_LIMIT_WINDOWS = 12;

  /** Runs the probe's windows against the server; each call blocks until its window is measured. */
  interface Windows {
    /**
     * A closed loop at the probe's concurrency for {@code window}.
     *
     * @param label what the window is for ({@code "warm-up 2"}, {@code "sample 1"})
     */
    LevelResult closed(String label, Duration window);

    /** An open loop (Poisson) at {@code rate}, warmed up for {@code warmup} and measured for {@code window}. */
    LevelResult open(String label, double rate, Duration warmup, Duration window);
  }

  /**
   * @param warmupWindow each warm-up window; zero skips the warm-up
   * @param warmupLimit the most the warm-up takes (it ends after the window that reaches it)
   * @param sampleWindow each closed-loop sample
   * @param samples closed-loop samples whose median is the capacity
   * @param stepWarmup each open-loop window's own warm-up, discarded
   * @param stepWindow each open-loop window
   * @param maxSteps open-loop windows at most; 0 skips the search
   * @param stepLimit the search starts no window that would end after this much time
   * @param targetMicros the latency target of the admitted requests' p99; 0 for none
   */
  record Settings(Duration warmupWindow, Duration warmupLimit, Duration sampleWindow, int samples,
      Duration stepWarmup, Duration stepWindow, int maxSteps, Duration stepLimit, long targetMicros) {
    Settings {
      for (Duration d : List.of(warmupWindow, warmupLimit, sampleWindow, stepWarmup, stepWindow, stepLimit)) {
        Objects.requireNonNull(d, "durations");
        if (d.isNegative()) {
          throw new IllegalArgumentException("the probe's durations must not be negative, got " + d);
        }
      }
      if (samples < 1) {
        throw new IllegalArgumentException("the probe needs at least 1 sample, got " + samples);
      }
      if (sampleWindow.isZero()) {
        throw new IllegalArgumentException("the probe's sample window must be above 0");
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
     * The bench's probe for {@code --warmup} and {@code --duration}: warm-up windows of the warm-up
     * time, up to {@link #WARMUP_LIMIT_WINDOWS} of them; {@link #DEFAULT_SAMPLES} samples of half the
     * duration; up to {@link #DEFAULT_MAX_STEPS} open-loop windows of a third of the duration, each
     * after half the warm-up, the search bounded by 1.5 times their time (answers still coming in after
     * a window count too).
     */
    static Settings of(Duration warmup, Duration duration, long targetMicros) {
      Duration stepWarmup = warmup.dividedBy(2);
      Duration stepWindow = duration.dividedBy(3);
      return new Settings(warmup, warmup.multipliedBy(WARMUP_LIMIT_WINDOWS), duration.dividedBy(2), DEFAULT_SAMPLES,
          stepWarmup, stepWindow, DEFAULT_MAX_STEPS,
          stepWarmup.plus(stepWindow).multipliedBy(3L * DEFAULT_MAX_STEPS).dividedBy(2), targetMicros);
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
   * @param capacityRps the median of the samples' throughput
   * @param samples the closed-loop samples, in order
   * @param warmupRps each warm-up window's throughput, in order
   * @param warmupSeconds the warm-up's time, by the clock
   * @param warmupSettled whether throughput had stopped rising when the warm-up ended (true when skipped)
   * @param steps the open-loop search's windows, in order
   * @param invalidReason null when every sample measured the server; else why not
   */
  record Result(double capacityRps, List<LevelResult> samples, List<Double> warmupRps, double warmupSeconds,
      boolean warmupSettled, List<Step> steps, String invalidReason) {
    Result {
      samples = List.copyOf(samples);
      warmupRps = List.copyOf(warmupRps);
      steps = List.copyOf(steps);
    }

    List<Double> samplesRps() {
      return samples.stream().map(LevelResult::throughputRps).toList();
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

  /** Warms up, samples, searches; blocks until done. */
  Result run(Windows windows) {
    List<Double> warmupRps = new ArrayList<>();
    boolean settled = true;
    long warmupStart = clock.getAsLong();
    if (!settings.warmupWindow().isZero()) {
      settled = false;
      long limit = warmupStart + settings.warmupLimit().toNanos();
      while (!settled && (warmupRps.isEmpty() || clock.getAsLong() < limit)) {
        warmupRps.add(windows.closed("warm-up " + (warmupRps.size() + 1), settings.warmupWindow()).throughputRps());
        settled = stoppedRising(warmupRps);
      }
    }
    double warmupSeconds = (clock.getAsLong() - warmupStart) / 1e9;

    List<LevelResult> samples = new ArrayList<>();
    String invalid = null;
    for (int i = 1; i <= settings.samples(); i++) {
      LevelResult sample = windows.closed("sample " + i, settings.sampleWindow());
      samples.add(sample);
      if (!sample.valid() && invalid == null) {
        invalid = "capacity sample " + i + ": " + sample.invalidReason();
      }
    }
    double capacity = median(samples.stream().map(LevelResult::throughputRps).toList());

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
    return new Result(capacity, samples, warmupRps, warmupSeconds, settled, steps, invalid);
  }

  // ---------------------------------------------------------------------------------------------
  // The rules, as pure functions

  /**
   * Whether warm-up throughput has stopped rising: at least {@link #MIN_WARMUP_WINDOWS} windows, and
   * each of the last {@link #SETTLED_WINDOWS} no more than {@link #RISE} above the best window before it.
   */
  static boolean stoppedRising(List<Double> rps) {
    if (rps.size() < Math.max(MIN_WARMUP_WINDOWS, SETTLED_WINDOWS + 1)) {
      return false;
    }
    for (int i = rps.size() - SETTLED_WINDOWS; i < rps.size(); i++) {
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
