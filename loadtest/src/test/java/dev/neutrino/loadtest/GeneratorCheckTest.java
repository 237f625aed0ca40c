package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A level whose generator could not keep its plan is marked invalid with the reason, in the result,
 * the JSON and the console table; one that kept it is not. The late generator is made by its clock:
 * every wait it asks for lasts {@link #LATE} longer, so every send leaves at least that late.
 */
@Timeout(60)
class GeneratorCheckTest {
  private static final long LATE = TimeUnit.MILLISECONDS.toNanos(8);

  /** The system clock, whose waits overrun by {@link #LATE}: a generator that cannot keep its schedule. */
  private static final class LateTicker implements LoadGenerator.Ticker {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public void parkNanos(long nanos) {
      long until = System.nanoTime() + nanos + LATE;
      long now;
      while ((now = System.nanoTime()) < until) {
        LockSupport.parkNanos(until - now);
      }
    }
  }

  @Test
  void openLoopBehindItsScheduleIsMarkedInvalid() throws Exception {
    try (ScriptedServer server = ScriptedServer.ok();
        InferenceClient client = InferenceClients.connect(server.endpoint(),
            ClientSettings.of("m", Protocol.HTTP_BINARY, 4), new CpuMeter())) {
      // 100/s: a send every 10 ms, each woken 8 ms after its time, beyond the 5 ms the check allows at p99.
      LevelResult result = new LoadGenerator(client, new CpuMeter(), new LateTicker())
          .run(LoadSpec.open(100, LoadSpec.Distribution.CONSTANT, Duration.ZERO, Duration.ofSeconds(30))
              .withMaxRequests(30));

      assertEquals(30, result.ok(), "the server answered everything: " + result.errors());
      assertTrue(result.sendLag().p50() >= TimeUnit.NANOSECONDS.toMicros(LATE), "sends were late: " + result.sendLag());
      assertFalse(result.valid());
      assertTrue(result.invalidReason().contains("behind its schedule"), result.invalidReason());

      Map<String, Object> json = Report.runJson(new Report.Run(Report.GATEWAY_HTTP_BINARY, result));
      assertEquals(false, json.get("valid"));
      assertEquals(result.invalidReason(), json.get("invalid_reason"));
      String row = new TablePrinter(true, false, false).row(new Report.Run(Report.GATEWAY_HTTP_BINARY, result));
      assertTrue(row.contains("INVALID (generator saturated"), row);
    }
  }

  @Test
  void verdictNamesEachCause() {
    LoadSpec open = LoadSpec.open(1000, LoadSpec.Distribution.POISSON, Duration.ZERO, Duration.ofSeconds(1));
    LatencySummary onTime = new LatencySummary(1000, 5, 20, 80, 300, 900, 10);
    LatencySummary late = new LatencySummary(1000, 2_000, 6_000, 9_000, 12_000, 15_000, 3_000);

    assertNull(GeneratorCheck.verdict(open, 0.5, 1, onTime, 0));
    String cpu = GeneratorCheck.verdict(open, 0.95, 1, onTime, 0);
    assertTrue(cpu.contains("used 0.95 of its 1 core(s)"), cpu);
    String lag = GeneratorCheck.verdict(open, 0.2, 2, late, 0);
    assertTrue(lag.contains("9000 us late at p99"), lag);
    String both = GeneratorCheck.verdict(open, 1.9, 2, late, 0);
    assertTrue(both.contains("core(s)") && both.contains("late"), both);
    LoadSpec closed = LoadSpec.closed(8, Duration.ZERO, Duration.ofSeconds(1));
    assertNull(GeneratorCheck.verdict(closed, 0.5, 1, late, 0), "a closed loop has no schedule to fall behind");
    assertNull(GeneratorCheck.verdict(open, 0.5, 1, onTime, 0.01), "1 % of the time paused is allowed");
    String paused = GeneratorCheck.verdict(open, 0.5, 1, onTime, 0.025);
    assertTrue(paused.contains("paused for garbage collection 2.5% of the measured time (limit 1%)"), paused);
    assertNull(GeneratorCheck.verdict(closed, 0.5, 1, onTime, 0.5), "a closed loop sends nothing while paused");
  }

  @Test
  void openLoopWhoseGeneratorWasPausedForCollectionsIsMarkedInvalid() throws Exception {
    try (ScriptedServer server = ScriptedServer.ok();
        InferenceClient client = InferenceClients.connect(server.endpoint(),
            ClientSettings.of("m", Protocol.HTTP_BINARY, 4), new CpuMeter())) {
      // The JVM's pause total, read when the measurement begins and when it ends: 1 s more at the end,
      // over a window of about 0.3 s.
      AtomicLong reads = new AtomicLong();
      LongSupplier paused = () -> reads.getAndIncrement() * TimeUnit.SECONDS.toNanos(1);
      LevelResult result = new LoadGenerator(client, new CpuMeter(), LoadGenerator.Ticker.SYSTEM, paused)
          .run(LoadSpec.open(100, LoadSpec.Distribution.CONSTANT, Duration.ZERO, Duration.ofSeconds(30))
              .withMaxRequests(30));

      assertEquals(30, result.ok(), "the server answered everything: " + result.errors());
      assertEquals(2, reads.get(), "read once as the measurement begins and once as it ends");
      assertFalse(result.valid());
      assertTrue(result.invalidReason().contains("paused for garbage collection"), result.invalidReason());
    }
  }

  @Test
  void theJvmsCollectionsAreCountedAsPauses() throws InterruptedException {
    GcPauses pauses = GcPauses.jvm();
    long before = pauses.pauses();
    System.gc(); // a full collection: it stops every thread, and its notification says so
    for (int i = 0; i < 3000 && pauses.pauses() == before; i++) {
      Thread.sleep(10); // notifications come on the JVM's own thread, after the collection
    }
    assertTrue(pauses.pauses() > before, "a full collection was counted");
    assertTrue(pauses.pausedNanos() >= 0);
  }
}
