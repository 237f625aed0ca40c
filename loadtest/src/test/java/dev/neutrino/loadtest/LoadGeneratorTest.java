package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The generator against {@link ScriptedServer}, whose answers and stalls the tests control. Counts
 * and the effect of a stall are asserted, never the machine's speed.
 */
@Timeout(60)
class LoadGeneratorTest {
  private static final Duration NONE = Duration.ZERO;
  private static final Duration CAP = Duration.ofSeconds(30);

  private static InferenceClient connect(ScriptedServer server, Protocol protocol, int connections)
      throws Exception {
    return InferenceClients.connect(server.endpoint(), ClientSettings.of("m", protocol, connections), new CpuMeter());
  }

  @Test
  void closedLoopSendsExactlyTheRequestCount() throws Exception {
    try (ScriptedServer server = ScriptedServer.ok();
        InferenceClient client = connect(server, Protocol.HTTP_JSON, 4)) {
      LevelResult result = new LoadGenerator(client, new CpuMeter())
          .run(LoadSpec.closed(4, NONE, CAP).withMaxRequests(200));

      assertEquals(200, result.requests());
      assertEquals(200, result.ok());
      assertEquals(Map.of(), result.errors());
      assertEquals(200, result.latency().count());
      assertEquals(201, server.inferCalls(), "200 measured calls after the one checking request");
    }
  }

  @Test
  void closedLoopRunsForItsDurationAndDrains() throws Exception {
    try (ScriptedServer server = ScriptedServer.ok();
        InferenceClient client = connect(server, Protocol.HTTP_BINARY, 2)) {
      LevelResult result = new LoadGenerator(client, new CpuMeter())
          .run(LoadSpec.closed(2, Duration.ofMillis(200), Duration.ofMillis(500)));

      assertTrue(result.requests() > 0);
      assertEquals(result.requests(), result.ok(), "every measured request was answered before the run ended");
      assertEquals(0.5, result.windowSeconds(), 1e-9);
      assertTrue(result.durationSeconds() >= 0.5, "the interval runs until the last answer");
    }
  }

  @Test
  void openLoopSendsRateTimesDurationRequests() throws Exception {
    try (ScriptedServer server = ScriptedServer.ok();
        InferenceClient client = connect(server, Protocol.HTTP_JSON, 8)) {
      LevelResult result = new LoadGenerator(client, new CpuMeter())
          .run(LoadSpec.open(200, LoadSpec.Distribution.CONSTANT, NONE, Duration.ofSeconds(1)));

      assertEquals(200, result.requests());
      assertEquals(200, result.ok());
      assertEquals(201, server.inferCalls());
    }
  }

  /**
   * At a rate whose gaps are shorter than {@link LoadGenerator.MIN_PARK_NANOS}, the scheduler sleeps
   * that long at least and sends what came due meanwhile in one burst: its waits, recorded by the
   * clock, are never shorter, and every request is still sent and answered.
   */
  @Test
  void openLoopSchedulerSleepsAtLeastTheMinimumAndSendsWhatCameDueMeanwhile() throws Exception {
    List<Long> schedulerParks = Collections.synchronizedList(new ArrayList<>());
    LoadGenerator.Ticker recording = new LoadGenerator.Ticker() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public void parkNanos(long nanos) {
        if (Thread.currentThread().getName().startsWith("neutrino-loadtest-scheduler")) {
          schedulerParks.add(nanos);
        }
        long until = System.nanoTime() + nanos;
        long now;
        while ((now = System.nanoTime()) < until) {
          LockSupport.parkNanos(until - now);
        }
      }
    };
    try (ScriptedServer server = ScriptedServer.ok();
        InferenceClient client = connect(server, Protocol.HTTP_JSON, 8)) {
      // 20,000/s: a send every 50 us, a quarter of the minimum sleep.
      LevelResult result = new LoadGenerator(client, new CpuMeter(), recording)
          .run(LoadSpec.open(20_000, LoadSpec.Distribution.CONSTANT, Duration.ZERO, Duration.ofSeconds(30))
              .withMaxRequests(400));

      assertEquals(400, result.ok(), "every request was sent and answered: " + result.errors());
      assertFalse(schedulerParks.isEmpty(), "the scheduler slept");
      long gapNanos = 50_000;
      assertTrue(LoadGenerator.MIN_PARK_NANOS > 2 * gapNanos);
      assertTrue(schedulerParks.stream().allMatch(nanos -> nanos >= LoadGenerator.MIN_PARK_NANOS),
          "never a sleep of one gap: " + schedulerParks);
      assertTrue(schedulerParks.size() < 400 / 2,
          "it slept once per burst, not once per request: " + schedulerParks.size());
    }
  }

  @Test
  void poissonArrivalsAreReproducibleFromTheSeed() throws Exception {
    try (ScriptedServer server = ScriptedServer.ok();
        InferenceClient client = connect(server, Protocol.HTTP_JSON, 8)) {
      LoadSpec spec = LoadSpec.open(300, LoadSpec.Distribution.POISSON, NONE, Duration.ofMillis(500)).withSeed(42);
      LoadGenerator generator = new LoadGenerator(client, new CpuMeter());
      long first = generator.run(spec).requests();
      long second = generator.run(spec).requests();

      assertEquals(first, second);
      assertTrue(first > 0);
    }
  }

  /**
   * A server that stalls for a second: in open loop every request scheduled during the stall waits
   * for its end, and latency counted from the schedule puts the stall in the p99; the closed loop's
   * one client waits out the stall with a single request, which only its maximum shows.
   */
  @Test
  void stallShowsInOpenLoopP99AndNotInClosedLoopP99() throws Exception {
    long stallMicros = 1_000_000;
    LevelResult open;
    try (ScriptedServer server = ScriptedServer.ok().stallAt(50, stallMicros / 1000);
        InferenceClient client = connect(server, Protocol.HTTP_JSON, 8)) {
      open = new LoadGenerator(client, new CpuMeter())
          .run(LoadSpec.open(100, LoadSpec.Distribution.CONSTANT, NONE, Duration.ofSeconds(3)));
    }
    LevelResult closed;
    try (ScriptedServer server = ScriptedServer.ok().stallAt(50, stallMicros / 1000);
        InferenceClient client = connect(server, Protocol.HTTP_JSON, 1)) {
      closed = new LoadGenerator(client, new CpuMeter()).run(LoadSpec.closed(1, NONE, CAP).withMaxRequests(300));
    }

    // Open loop: about a third of the requests were scheduled during the stall, a sixth in its first half.
    assertEquals(300, open.requests());
    assertTrue(open.latency().p99() >= stallMicros / 2, "open-loop p99 " + open.latency().p99() + " us");
    // Closed loop: one request of 300 waited out the stall.
    assertEquals(300, closed.ok());
    assertTrue(closed.latency().max() >= stallMicros * 9 / 10, "closed-loop max " + closed.latency().max() + " us");
    assertTrue(closed.latency().p99() < stallMicros / 2, "closed-loop p99 " + closed.latency().p99() + " us");
  }

  @Test
  void errorsAreCountedByStatus() throws Exception {
    // Call 0 is the generator's checking request; calls 1..100 are measured.
    try (ScriptedServer server = new ScriptedServer(
            call -> call > 0 && call % 4 == 0 ? 429 : call % 10 == 5 ? 503 : 200, false);
        InferenceClient client = connect(server, Protocol.HTTP_BINARY, 4)) {
      LevelResult result = new LoadGenerator(client, new CpuMeter())
          .run(LoadSpec.closed(4, NONE, CAP).withMaxRequests(100));

      assertEquals(100, result.requests());
      assertEquals(Map.of("429", 25L, "503", 10L), result.errors());
      assertEquals(65, result.ok());
      assertEquals(35, result.errorLatency().count());
    }
  }

  @Test
  void refusedConnectionsAreCountedAsErrors() throws Exception {
    ScriptedServer server = ScriptedServer.ok();
    // The HTTP/1.1 client opens its connection up front. The JDK's server, stopped while it accepts
    // that connection, can leave it open and unread; the request sent on it then fails as a timeout
    // (short here, so the run's cap is not reached first), and every later one as refused.
    InferenceClient client = InferenceClients.connect(server.endpoint(),
        ClientSettings.of("m", Protocol.HTTP_JSON, 1).withTimeout(Duration.ofSeconds(2)), new CpuMeter());
    server.close();
    try (client) {
      LevelResult result = new LoadGenerator(client, new CpuMeter())
          .run(LoadSpec.closed(1, NONE, CAP).withMaxRequests(5));

      assertEquals(5, result.requests());
      assertEquals(0, result.ok());
      assertEquals(5, result.errorCount(), "errors: " + result.errors());
    }
  }

  @Test
  void usesTheServersStatisticsWhenItHasThem() throws Exception {
    try (ScriptedServer server = new ScriptedServer(call -> 200, true);
        InferenceClient client = connect(server, Protocol.HTTP_JSON, 2)) {
      LevelResult result = new LoadGenerator(client, new CpuMeter())
          .run(LoadSpec.closed(2, NONE, CAP).withMaxRequests(200));

      ServerStats stats = result.server();
      assertNotNull(stats.avgBatchSize());
      assertEquals(2.0, stats.avgBatchSize(), 0.1);
      assertEquals(1.0, stats.queueUsAvg(), 1e-9);
      assertEquals(2.0, stats.computeUsAvg(), 1e-9);
    }
  }

  @Test
  void reportsNoStatisticsWhenTheServerHasNone() throws Exception {
    try (ScriptedServer server = ScriptedServer.ok();
        InferenceClient client = connect(server, Protocol.HTTP_JSON, 1)) {
      LevelResult result = new LoadGenerator(client, new CpuMeter()).run(LoadSpec.closed(1, NONE, CAP).withMaxRequests(10));

      assertTrue(result.server().isEmpty());
      assertNull(result.server().avgBatchSize());
      assertEquals("n/a", Report.orNa(result.server().queueUsAvg()));
    }
  }

  /**
   * The phases switch after the 60th and the 120th request is sent (from the sending thread, between
   * two sends), so each of the three phases holds exactly 60 of the run's 180, however fast the
   * machine is.
   */
  @Test
  void phasesSplitOneRun() throws Exception {
    try (ScriptedServer server = ScriptedServer.ok();
        InferenceClient client = connect(server, Protocol.HTTP_JSON, 4)) {
      LoadGenerator.Phases phases = new LoadGenerator.Phases(3);
      InferenceClient switching = new AdvancingAfter(client, phases, 60);
      var results = new LoadGenerator(switching, new CpuMeter())
          .run(LoadSpec.open(200, LoadSpec.Distribution.CONSTANT, NONE, Duration.ofMillis(900)), phases);

      assertEquals(3, results.size());
      assertEquals(180, results.stream().mapToLong(LevelResult::requests).sum());
      results.forEach(r -> assertTrue(r.requests() > 0, "every phase saw requests"));
      assertEquals(List.of(60L, 60L, 60L), results.stream().map(LevelResult::requests).toList());
      assertEquals(0.9, results.stream().mapToDouble(LevelResult::windowSeconds).sum(), 1e-6);
    }
  }

  /** Sends through {@code client}, and advances {@code phases} after every {@code every} requests sent. */
  private record AdvancingAfter(InferenceClient client, LoadGenerator.Phases phases, int every, AtomicInteger sent)
      implements InferenceClient {
    AdvancingAfter(InferenceClient client, LoadGenerator.Phases phases, int every) {
      this(client, phases, every, new AtomicInteger());
    }

    @Override
    public int payloads() {
      return client.payloads();
    }

    @Override
    public void infer(int payload, Outcome outcome) {
      client.infer(payload, outcome);
      if (sent.incrementAndGet() % every == 0) {
        phases.advance();
      }
    }

    @Override
    public ServerStats.Snapshot stats() {
      return client.stats();
    }

    @Override
    public void close() {
      client.close();
    }
  }

  @Test
  void aPhaseThatNeverBeginsIsEmpty() throws Exception {
    try (ScriptedServer server = ScriptedServer.ok();
        InferenceClient client = connect(server, Protocol.HTTP_JSON, 4)) {
      LoadGenerator.Phases phases = new LoadGenerator.Phases(3);
      Thread switcher = new Thread(() -> {
        try {
          Thread.sleep(300);
          phases.advance();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      switcher.start();
      var results = new LoadGenerator(client, new CpuMeter())
          .run(LoadSpec.open(200, LoadSpec.Distribution.CONSTANT, NONE, Duration.ofMillis(600)), phases);
      switcher.join();

      assertEquals(120, results.stream().mapToLong(LevelResult::requests).sum());
      assertEquals(0, results.get(2).requests());
      assertEquals(0.0, results.get(2).durationSeconds());
      assertEquals(0.6, results.get(0).windowSeconds() + results.get(1).windowSeconds(), 1e-6);
    }
  }

  @Test
  void firstOpenLoopIsPrimedByAClosedLoopOnEveryConnectionAndTheNextIsNot() throws Exception {
    try (ScriptedServer server = ScriptedServer.ok();
        InferenceClient client = connect(server, Protocol.HTTP_BINARY, 4)) {
      // 10/s with a 1 s warm-up: 10 warm-up sends (at 0, 100, ... 900 ms), then 3 measured ones.
      LoadSpec level = LoadSpec.open(10, LoadSpec.Distribution.CONSTANT, Duration.ofSeconds(1), CAP)
          .withMaxRequests(3);
      LoadGenerator generator = new LoadGenerator(client, new CpuMeter());

      LevelResult first = generator.run(level);
      long afterFirst = server.inferCalls();
      LevelResult second = generator.run(level);

      assertEquals(3, first.ok());
      assertEquals(3, second.ok());
      assertTrue(afterFirst >= 1 + 4 + 10 + 3,
          "the check, at least one call from each of the 4 connections' closed loop, then the level: " + afterFirst);
      assertEquals(10 + 3, server.inferCalls() - afterFirst, "a later level is not primed again");
    }
  }
}
