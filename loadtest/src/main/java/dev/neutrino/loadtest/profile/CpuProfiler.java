package dev.neutrino.loadtest.profile;

import dev.neutrino.loadtest.CpuMeter;
import dev.neutrino.loadtest.InferenceClient;
import dev.neutrino.loadtest.LevelResult;
import dev.neutrino.loadtest.LoadGenerator;
import dev.neutrino.loadtest.LoadSpec;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Measures a {@link CpuBudget}: closed-loop load through a client against a server in this JVM, while
 * JFR samples every thread and the CPU clocks are read at the window's two ends.
 *
 * <p>The generator's threads are known by the {@link CpuMeter} its client registered them with, and are
 * left out of the server's figures: every other thread of this JVM counts as the server's, so the
 * servers not under load must be idle. Several combinations are warmed together first ({@link #warmUp}),
 * then recorded one by one ({@link #record}), so that every recording finds the JIT's work done and the
 * columns of the stage table compare like with like.
 */
public final class CpuProfiler {
  public static final Duration DEFAULT_PERIOD = Duration.ofMillis(2);
  public static final int DEFAULT_CONCURRENCY = 16;

  /**
   * @param concurrency the closed loop's clients
   * @param warmup load before the recording starts, discarded
   * @param duration the recorded window
   * @param maxRequests stop the window after this many requests; 0 for no limit
   * @param period the sampling period
   */
  public record Settings(int concurrency, Duration warmup, Duration duration, long maxRequests, Duration period) {
    public Settings {
      Objects.requireNonNull(warmup, "warmup");
      Objects.requireNonNull(duration, "duration");
      Objects.requireNonNull(period, "period");
      if (concurrency < 1) {
        throw new IllegalArgumentException("the profile's concurrency must be at least 1, got " + concurrency);
      }
      if (period.compareTo(Duration.ofMillis(1)) < 0) {
        throw new IllegalArgumentException("the sampling period must be at least 1 ms, got " + period.toMillis()
            + " ms");
      }
    }
  }

  /**
   * The JIT compilers' CPU over a warm-up round's wall time below which compilation counts as done:
   * 2 % of one core.
   */
  public static final double JIT_SETTLED_SHARE = 0.02;
  /** The most warm-up rounds over every target before the recording starts, settled or not. */
  public static final int MAX_WARMUP_ROUNDS = 3;
  /** How long the JIT compilers must stay (nearly) idle before a window is recorded. */
  static final Duration QUIET_INTERVAL = Duration.ofMillis(500);
  /** The longest wait for that before recording anyway. */
  static final Duration MAX_QUIET_WAIT = Duration.ofSeconds(5);

  /**
   * A combination to profile: its model and protocol, the server the client loads, and a connected
   * client.
   */
  public record Target(String model, String protocol, CpuBudget.Server server, InferenceClient client) {
    public Target {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(protocol, "protocol");
      Objects.requireNonNull(server, "server");
      Objects.requireNonNull(client, "client");
    }

    /** {@code model/protocol}, after {@code "floor "} for the transport floor. */
    public String key() {
      return (server == CpuBudget.Server.FLOOR ? "floor " : "") + model + "/" + protocol;
    }
  }

  /** Told as each target's warm-up round starts. */
  @FunctionalInterface
  public interface WarmupListener {
    void warming(int round, Target target);
  }

  private final StageTable table;

  public CpuProfiler(StageTable table) {
    this.table = Objects.requireNonNull(table, "table");
  }

  /**
   * Warms every target before any is recorded, so that no recording pays for the JIT compiling a path
   * another target shares: round after round, each target in turn under a closed loop of
   * {@code settings.concurrency()} clients ({@code settings.warmup()} long in the first round,
   * {@code laterRounds} in the others), until a round in which the JIT compilers used less than
   * {@link #JIT_SETTLED_SHARE} of its wall time, or {@link #MAX_WARMUP_ROUNDS} rounds. Each round runs
   * under a recording that is then read and dropped, as the recorded windows will: starting the
   * recorder changes the JVM's instrumentation state, which invalidates compiled code, and reading its
   * file is Java code the JIT compiles too; neither may land in the first window. Nothing is warmed
   * when {@code settings.warmup()} is zero.
   */
  public JitSettling.Result warmUp(List<Target> targets, CpuMeter meter, Settings settings, Duration laterRounds,
      WarmupListener listener) throws IOException {
    if (settings.warmup().isZero() || targets.isEmpty()) {
      return new JitSettling.Result(List.of());
    }
    return JitSettling.warm(round -> {
      Duration length = round == 1 || laterRounds.isZero() ? settings.warmup() : laterRounds;
      try (JfrRecording recording = JfrRecording.start(settings.period())) {
        for (Target target : targets) {
          listener.warming(round, target);
          new LoadGenerator(target.client(), meter)
              .run(LoadSpec.closed(settings.concurrency(), Duration.ZERO, length));
        }
        recording.stop();
      }
    }, CpuProfiler::jitCpuNanos, System::nanoTime, MAX_WARMUP_ROUNDS - 1, JitSettling.WhenUnreadable.EVERY_ROUND);
  }

  /**
   * The CPU nanoseconds this JVM's JIT compiler threads have used so far; -1 where the OS does not say
   * (see {@link VmThreads}).
   */
  public static long jitCpuNanos() {
    return VmThreads.read().getOrDefault(Stage.JIT, -1L);
  }

  /** As {@link #jitCpuNanos()}, for the JVM of process {@code pid}. */
  public static long jitCpuNanos(long pid) {
    return VmThreads.read(pid).getOrDefault(Stage.JIT, -1L);
  }

  /**
   * Waits, at most {@code max}, until the JIT compilers are idle over {@link #QUIET_INTERVAL}: what
   * reading the previous window's recording gave them to compile is not charged to the next window.
   * Returns at once where their CPU cannot be read.
   */
  static void awaitQuietCompilers(Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    long last = jitCpuNanos();
    while (last >= 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(QUIET_INTERVAL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      long now = jitCpuNanos();
      if (now < 0 || now - last <= JIT_SETTLED_SHARE * QUIET_INTERVAL.toNanos()) {
        return;
      }
      last = now;
    }
  }

  /**
   * Records one window of load on {@code target}, which {@link #warmUp} has warmed: no warm-up of its
   * own.
   */
  public CpuBudget record(Target target, CpuMeter meter, Settings settings) throws IOException {
    awaitQuietCompilers(MAX_QUIET_WAIT);
    LoadGenerator generator = new LoadGenerator(target.client(), meter);
    LoadSpec window = LoadSpec.closed(settings.concurrency(), Duration.ZERO, settings.duration())
        .withMaxRequests(settings.maxRequests());
    LevelResult result;
    List<Sample> samples;
    CpuSnapshot before;
    CpuSnapshot after;
    try (JfrRecording recording = JfrRecording.start(settings.period())) {
      before = CpuSnapshot.take();
      result = generator.run(window);
      after = CpuSnapshot.take();
      samples = recording.stop();
    }
    Map<Long, Long> threads = after.threadsSince(before);
    StageAttribution attribution = StageAttribution.of(samples, threads, after.kernelSince(before),
        after.vmSince(before), after.processNanos() - before.processNanos(),
        settings.period().toNanos(), meter::registered, table);
    return new CpuBudget(target.model(), target.protocol(), target.server(), result, attribution,
        after.kernelSince(before, meter::registered));
  }
}
