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
 * left out of the gateway's figures.
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

  private final StageTable table;

  public CpuProfiler(StageTable table) {
    this.table = Objects.requireNonNull(table, "table");
  }

  /**
   * Warms up, then records one window of load.
   *
   * @param client a connected client of the protocol measured, whose threads are registered with
   *     {@code meter}
   */
  public CpuBudget measure(String model, String protocol, InferenceClient client, CpuMeter meter, Settings settings)
      throws IOException {
    LoadGenerator generator = new LoadGenerator(client, meter);
    if (!settings.warmup().isZero()) {
      generator.run(LoadSpec.closed(settings.concurrency(), Duration.ZERO, settings.warmup()));
    }
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
    StageAttribution attribution = StageAttribution.of(samples, threads, after.vmSince(before),
        after.processNanos() - before.processNanos(),
        settings.period().toNanos(), meter::registered, table);
    return new CpuBudget(model, protocol, result, attribution);
  }
}
