package dev.neutrino.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.HdrHistogram.Recorder;

/**
 * Drives one {@link InferenceClient} at one level of load and measures it.
 *
 * <h2>Design note</h2>
 *
 * <p><b>Closed loop.</b> {@code concurrency} virtual users, each with at most one request
 * outstanding: a user sends its next request from the callback of the last one. Latency runs from
 * the send. A user's sends are serialised by a work-in-progress counter, so a client that completes
 * a request inside {@code infer} (an immediate failure) cannot recurse without bound.
 *
 * <p><b>Open loop.</b> One scheduler thread computes each request's send time (evenly spaced, or
 * with exponential gaps for Poisson arrivals), parks until then and sends, whatever is outstanding.
 * It parks for {@link #MIN_PARK_NANOS} at least and then sends every request that has come due, so
 * that at high rates it wakes the client's event loop once per burst rather than once per request
 * (a shorter sleep overshoots by the kernel's timer slack anyway): a request leaves at most that
 * much after its time, which its latency includes. Measured on one core against the do-nothing
 * model at 16,000 req/s: the answers rose from 5.3k to 11.3k req/s and the p50 fell from 6.1 s to
 * 0.42 s, with parking to the nanosecond against 300 us at least.
 * Latency runs from the <em>scheduled</em> time, not from when the request actually left: a server
 * that stalls delays every request scheduled during the stall and all of them show in the
 * percentiles (no coordinated omission). How late the scheduler itself was is recorded apart
 * ({@link LevelResult#sendLag()}), so a reader can tell a slow generator from a slow server.
 *
 * <p><b>Measuring.</b> Load starts at once; requests sent (or scheduled) during the warm-up are
 * discarded. A request belongs to the measured interval when it was sent (scheduled) inside it, and
 * is recorded when it completes, however late, until the drain timeout. Histograms are HdrHistogram
 * {@link Recorder}s (wait-free recording from any thread), in microseconds, for successes and
 * failures apart. The coordinating thread (the caller's) only sleeps, reads the server's statistics
 * at the start and end of the interval, and reads the generator's CPU time.
 *
 * <p><b>Phases.</b> A run may be split into consecutive phases switched by another thread (the hot
 * swap scenario: before, during, after); each request is recorded in the phase current when it was
 * sent.
 *
 * <p><b>Warm-up.</b> The first open-loop level of a generator is preceded by a closed loop at the
 * client's connection count for the level's warm-up time: it opens every connection and compiles
 * both sides' request paths (and runs the model's first calls) without building a backlog, which a
 * cold server under an open loop does (its first seconds serve a fraction of the rate, the rest waits
 * in the client's pool or the sockets and is charged to the first measured requests). Warm-up
 * requests still unanswered when measurement begins are reported ({@link LevelResult#warmupBacklog()}).
 *
 * <p><b>Validity.</b> Each result is judged by {@link GeneratorCheck}: a level whose generator used
 * (nearly) all its cores, or whose open loop fell behind its schedule or was paused for garbage
 * collection ({@link GcPauses}) too long, is marked invalid with the reason.
 *
 * <p>Time comes from a {@link Ticker}, the system's by default; tests inject one.
 *
 * <p>Not reusable across threads: one {@link #run} at a time.
 */
public final class LoadGenerator {
  private static final long UNSET = Long.MIN_VALUE;
  /** The open-loop scheduler's shortest sleep (see the class comment). */
  static final long MIN_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

  private final InferenceClient client;
  private final CpuMeter meter;
  private final LongSupplier gcPausedNanos;
  private final Ticker ticker;
  /** Whether an open loop has been preceded by the closed-loop priming yet. */
  private boolean primed;

  /** Where a generator reads the time and waits; {@link #SYSTEM} is the JVM's monotonic clock. */
  interface Ticker {
    Ticker SYSTEM = new Ticker() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public void parkNanos(long nanos) {
        LockSupport.parkNanos(nanos);
      }
    };

    long nanoTime();

    /** Waits about {@code nanos} (less when woken early, as {@link LockSupport#parkNanos(long)}). */
    void parkNanos(long nanos);
  }

  public LoadGenerator(InferenceClient client, CpuMeter meter) {
    this(client, meter, Ticker.SYSTEM);
  }

  LoadGenerator(InferenceClient client, CpuMeter meter, Ticker ticker) {
    this(client, meter, ticker, GcPauses.jvm()::pausedNanos);
  }

  /**
   * @param gcPausedNanos the time this JVM has spent paused for garbage collection, rising
   *     ({@link GcPauses}); tests inject one
   */
  LoadGenerator(InferenceClient client, CpuMeter meter, Ticker ticker, LongSupplier gcPausedNanos) {
    this.client = Objects.requireNonNull(client, "client");
    this.meter = Objects.requireNonNull(meter, "meter");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.gcPausedNanos = Objects.requireNonNull(gcPausedNanos, "gcPausedNanos");
  }

  /** {@code nanos} over {@code wallNanos} (CPU time as cores, a pause as a share); 0 without wall time. */
  private static double perWallNanos(long nanos, long wallNanos) {
    return wallNanos > 0 ? nanos / (double) wallNanos : 0;
  }

  /** Runs one level: warm-up, measurement, drain. Blocks until done. */
  public LevelResult run(LoadSpec spec) {
    return run(spec, null).get(0);
  }

  /**
   * Runs one level split into phases; {@code phases} is advanced by another thread while this runs.
   *
   * @return one result per phase (the server's statistics only on a run without phases)
   */
  List<LevelResult> run(LoadSpec spec, Phases phases) {
    if (spec.mode() == LoadSpec.Mode.OPEN && !spec.warmup().isZero() && !primed) {
      primed = true;
      run(LoadSpec.closed(Math.max(1, client.connections()), Duration.ZERO, spec.warmup()), null);
    }
    Run run = new Run(spec, phases == null ? new Phases(1) : phases, ticker);
    run.phases.begin(run.measureStart);
    Thread scheduler = null;
    CountDownLatch usersDone = null;
    if (spec.mode() == LoadSpec.Mode.CLOSED) {
      usersDone = new CountDownLatch(spec.concurrency());
      for (int i = 0; i < spec.concurrency(); i++) {
        new User(run, i, usersDone).next();
      }
    } else {
      scheduler = meter.threadFactory("neutrino-loadtest-scheduler").newThread(() -> schedule(run));
      scheduler.start();
    }
    sleepUntil(run.measureStart);
    long warmupBacklog = Math.max(0, run.outstanding.get() - run.measuredOutstanding.get());
    ServerStats.Snapshot statsBefore = phases == null ? client.stats() : null;
    long cpuBefore = meter.cpuNanos();
    long pausedBefore = gcPausedNanos.getAsLong();
    long wallBefore = ticker.nanoTime();

    long drainDeadline = run.end + spec.drainTimeout().toNanos();
    boolean drained;
    if (usersDone != null) {
      drained = await(usersDone, drainDeadline);
    } else {
      joinUntil(scheduler, drainDeadline);
      drained = awaitOutstanding(run, drainDeadline);
    }
    run.stopped = true;
    long unfinished = drained ? 0 : run.measuredOutstanding.get();
    run.closed.set(true);
    long cpuAfter = meter.cpuNanos();
    long pausedAfter = gcPausedNanos.getAsLong();
    long wallAfter = ticker.nanoTime();
    ServerStats server = phases == null ? ServerStats.between(statsBefore, client.stats()) : ServerStats.NONE;
    double cores = perWallNanos(cpuAfter - cpuBefore, wallAfter - wallBefore);

    long windowEnd = measuredEnd(run, spec);
    long lastAnswer = run.lastCompletion.get();
    long measureEnd = Math.max(windowEnd, lastAnswer == UNSET ? windowEnd : lastAnswer);
    List<LevelResult> results = new ArrayList<>();
    for (int p = 0; p < run.recordings.length; p++) {
      long begun = run.phases.startOf(p);
      long next = p + 1 < run.recordings.length ? run.phases.startOf(p + 1) : UNSET;
      long to = next == UNSET ? measureEnd : Math.min(measureEnd, next);
      long from = begun == UNSET ? to : Math.min(to, Math.max(run.measureStart, begun)); // UNSET: never began
      Recording r = run.recordings[p];
      Map<String, Long> errors = new TreeMap<>();
      r.errors.forEach((code, count) -> errors.put(code, count.sum()));
      if (unfinished > 0 && p == run.recordings.length - 1) {
        errors.merge("no_response", unfinished, Long::sum);
      }
      long window = Math.max(0, Math.min(to, windowEnd) - from);
      results.add(new LevelResult(spec, Math.max(0, to - from) / 1e9, window / 1e9, r.sent.sum(), r.okCount.sum(),
          errors,
          LatencySummary.of(r.ok.getIntervalHistogram()), LatencySummary.of(r.err.getIntervalHistogram()),
          p == 0 ? LatencySummary.of(run.lag.getIntervalHistogram()) : LatencySummary.EMPTY,
          p == 0 ? server : ServerStats.NONE, cores, p == 0 ? warmupBacklog : 0, null));
    }
    int generatorCores = Runtime.getRuntime().availableProcessors();
    double pausedShare = perWallNanos(pausedAfter - pausedBefore, wallAfter - wallBefore);
    results.replaceAll(r -> GeneratorCheck.judge(r, generatorCores, pausedShare));
    return results;
  }

  /** The end of the sending window: its planned end, or earlier when a request count stopped it. */
  private static long measuredEnd(Run run, LoadSpec spec) {
    if (spec.maxRequests() > 0 && run.countReached.get()) {
      if (spec.mode() == LoadSpec.Mode.OPEN) {
        return Math.min(run.end, run.lastScheduled.get() + (long) (1e9 / spec.rate()));
      }
      long last = run.lastCompletion.get();
      return last == UNSET ? run.measureStart : Math.min(run.end, last);
    }
    return run.end;
  }

  // ---------------------------------------------------------------------------------------------
  // Closed loop

  /** One closed-loop client: sends, waits for the answer, sends again. */
  private final class User {
    private final Run run;
    private final CountDownLatch done;
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicBoolean finished = new AtomicBoolean();
    /** Touched only inside the drain loop, which {@link #wip} serialises. */
    private int payload;

    User(Run run, int index, CountDownLatch done) {
      this.run = run;
      this.done = done;
      this.payload = index % client.payloads();
    }

    void next() {
      if (wip.getAndIncrement() != 0) {
        return;
      }
      do {
        if (!issue() && finished.compareAndSet(false, true)) {
          done.countDown();
        }
      } while (wip.decrementAndGet() != 0);
    }

    private boolean issue() {
      if (finished.get()) {
        return false;
      }
      long now = ticker.nanoTime();
      if (run.stopped || now >= run.end) {
        return false;
      }
      boolean measured = now >= run.measureStart;
      if (measured && run.spec.maxRequests() > 0
          && run.measuredIssued.incrementAndGet() > run.spec.maxRequests()) {
        run.countReached.set(true);
        run.stopped = true;
        return false;
      }
      int phase = run.phases.current();
      int p = payload;
      payload = p + 1 == client.payloads() ? 0 : p + 1;
      run.sent(measured, phase);
      client.infer(p, code -> {
        run.complete(now, measured, phase, code);
        next();
      });
      return true;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Open loop

  private void schedule(Run run) {
    LoadSpec spec = run.spec;
    double periodNanos = 1e9 / spec.rate();
    SplittableRandom random = new SplittableRandom(spec.seed());
    boolean poisson = spec.distribution() == LoadSpec.Distribution.POISSON;
    double offset = 0;
    long measuredCount = 0;
    int payload = 0;
    for (long i = 0; !run.stopped; i++) {
      if (!poisson) {
        offset = i * periodNanos;
      }
      long scheduled = run.start + (long) offset;
      if (poisson) {
        offset += -Math.log(1 - random.nextDouble()) * periodNanos;
      }
      if (scheduled >= run.end) {
        break;
      }
      boolean measured = scheduled >= run.measureStart;
      if (measured && spec.maxRequests() > 0 && ++measuredCount > spec.maxRequests()) {
        run.countReached.set(true);
        break;
      }
      long now = ticker.nanoTime();
      if (now < scheduled) {
        ticker.parkNanos(Math.max(scheduled - now, MIN_PARK_NANOS));
        while ((now = ticker.nanoTime()) < scheduled) {
          ticker.parkNanos(scheduled - now);
        }
      }
      int phase = run.phases.current();
      if (measured) {
        run.lag.recordValue((now - scheduled) / 1000);
        run.lastScheduled.set(scheduled);
      }
      if (run.outstanding.get() >= spec.maxOutstanding()) {
        if (measured) {
          run.recordings[phase].sent.increment();
          run.recordings[phase].error("generator_backlog", -1);
        }
        continue;
      }
      run.sent(measured, phase);
      int p = payload;
      payload = p + 1 == client.payloads() ? 0 : p + 1;
      client.infer(p, code -> run.complete(scheduled, measured, phase, code));
    }
  }

  private boolean awaitOutstanding(Run run, long deadline) {
    while (run.measuredOutstanding.get() > 0 || run.outstanding.get() > 0) {
      if (ticker.nanoTime() >= deadline) {
        return run.measuredOutstanding.get() == 0;
      }
      ticker.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // State of one run

  /** Everything one run shares between the coordinator, the scheduler or users, and the callbacks. */
  private static final class Run {
    final LoadSpec spec;
    final Ticker ticker;
    final long start;
    final long measureStart;
    final long end;
    final Phases phases;
    final Recording[] recordings;
    final Recorder lag = new Recorder(3);
    final AtomicLong outstanding = new AtomicLong();
    final AtomicLong measuredOutstanding = new AtomicLong();
    final AtomicLong measuredIssued = new AtomicLong();
    final AtomicLong lastCompletion = new AtomicLong(UNSET);
    final AtomicLong lastScheduled = new AtomicLong(UNSET);
    final AtomicBoolean countReached = new AtomicBoolean();
    /** Set once results are read: answers arriving later are not recorded. */
    final AtomicBoolean closed = new AtomicBoolean();
    volatile boolean stopped;

    Run(LoadSpec spec, Phases phases, Ticker ticker) {
      this.spec = spec;
      this.ticker = ticker;
      this.start = ticker.nanoTime();
      this.measureStart = start + spec.warmup().toNanos();
      long duration = spec.duration().isZero() ? TimeUnit.DAYS.toNanos(1) : spec.duration().toNanos();
      this.end = measureStart + duration;
      this.phases = phases;
      this.recordings = new Recording[phases.count()];
      for (int i = 0; i < recordings.length; i++) {
        recordings[i] = new Recording();
      }
    }

    void sent(boolean measured, int phase) {
      outstanding.incrementAndGet();
      if (measured) {
        measuredOutstanding.incrementAndGet();
        recordings[phase].sent.increment();
      }
    }

    void complete(long startNanos, boolean measured, int phase, String errorCode) {
      long now = ticker.nanoTime();
      outstanding.decrementAndGet();
      if (!measured || closed.get()) {
        return;
      }
      lastCompletion.accumulateAndGet(now, Math::max);
      long micros = Math.max(0, (now - startNanos) / 1000);
      Recording r = recordings[phase];
      if (errorCode == null) {
        r.ok.recordValue(micros);
        r.okCount.increment();
      } else {
        r.error(errorCode, micros);
      }
      measuredOutstanding.decrementAndGet();
    }
  }

  /** The measurements of one phase. */
  private static final class Recording {
    final Recorder ok = new Recorder(3);
    final Recorder err = new Recorder(3);
    final LongAdder sent = new LongAdder();
    final LongAdder okCount = new LongAdder();
    final ConcurrentHashMap<String, LongAdder> errors = new ConcurrentHashMap<>();

    void error(String code, long micros) {
      if (micros >= 0) {
        err.recordValue(micros);
      }
      errors.computeIfAbsent(code, c -> new LongAdder()).increment();
    }
  }

  /**
   * Consecutive phases of one run, switched by another thread ({@link #advance}); a request belongs
   * to the phase current when it is sent. Thread-safe.
   */
  static final class Phases {
    private final AtomicInteger current = new AtomicInteger();
    private final long[] startedAt;

    Phases(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("at least one phase");
      }
      startedAt = new long[count];
      java.util.Arrays.fill(startedAt, UNSET);
    }

    int count() {
      return startedAt.length;
    }

    int current() {
      return current.get();
    }

    synchronized void begin(long nanos) {
      if (startedAt[0] == UNSET) {
        startedAt[0] = nanos;
      }
    }

    /** Moves to the next phase now; the last phase stays current. */
    synchronized void advance() {
      int next = current.get() + 1;
      if (next < startedAt.length) {
        startedAt[next] = System.nanoTime();
        current.set(next);
      }
    }

    synchronized long startOf(int phase) {
      return startedAt[phase];
    }
  }

  // ---------------------------------------------------------------------------------------------

  private void sleepUntil(long nanos) {
    long now;
    while ((now = ticker.nanoTime()) < nanos) {
      ticker.parkNanos(nanos - now);
    }
  }

  private boolean await(CountDownLatch latch, long deadline) {
    try {
      return latch.await(Math.max(0, deadline - ticker.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void joinUntil(Thread thread, long deadline) {
    try {
      long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - ticker.nanoTime()));
      thread.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
