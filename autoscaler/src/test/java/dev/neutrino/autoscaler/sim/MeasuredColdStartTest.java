package dev.neutrino.autoscaler.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.autoscaler.internal.Flags;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulator takes a model's cold start from the JSON of {@code ./neutrino bench --scenario coldstart}. */
class MeasuredColdStartTest {

  /** As the coldstart bench writes it: four figures per pass (created, warm-up, first answer, total; ms). */
  private static final String BENCH = """
      {
        "scenario" : "coldstart",
        "model" : "examples",
        "machine" : { "cores" : 2 },
        "settings" : {
          "coldstart_identity_fp32" : "12 3 4 19 10 2 3 15 6 2 3 11",
          "coldstart_text_encoder" : "180 95 9 290 170 90 8 275 60 80 7 151",
          "coldstart_tiny_lm" : "400 200 - 610 380 190 - 575 - - - -",
          "after_ready_off_round1" : "ready after 2.9 s; req/s by window 478 647 600; p50 of the first 122 ms",
          "after_ready_on_round1" : "ready after 22.8 s; req/s by window 864 990 1092; p50 of the first 65.2 ms",
          "after_ready_off_round2" : "ready after 2.2 s; req/s by window 671 818 823; p50 of the first 87.0 ms",
          "after_ready_on_round2" : "ready after 22.6 s; req/s by window 708 833 903; p50 of the first 83.8 ms",
          "after_ready_warmup_secs" : 60
        },
        "notes" : [ "coldstart columns per pass: instances created (ms), warm-up (ms), first answer after the load (ms), load request to first answer (ms)" ],
        "runs" : [ ],
        "ratios" : { }
      }
      """;

  @Test
  void takesTheTotalOfTheLastPassWithOne() {
    MeasuredColdStart encoder = MeasuredColdStart.parse(BENCH, "text_encoder", "bench.json");
    assertEquals(Duration.ofMillis(151), encoder.coldStart());
    assertEquals(3, encoder.pass(), "the cached pass");
    MeasuredColdStart lm = MeasuredColdStart.parse(BENCH, "tiny_lm", "bench.json");
    assertEquals(Duration.ofMillis(575), lm.coldStart(), "a pass without a total is skipped");
    assertEquals(2, lm.pass());
    String all = "{\"scenario\":\"all\",\"scenarios\":[{\"scenario\":\"overhead\",\"settings\":{}},"
        + BENCH + "]}";
    assertEquals(Duration.ofMillis(151), MeasuredColdStart.parse(all, "text_encoder", "all.json").coldStart(),
        "the coldstart report among those of --scenario all");
  }

  @Test
  void takesANewGatewaysStartWithTheWarmupOnForAReplica() {
    MeasuredColdStart.ReplicaStart replica = MeasuredColdStart.parseReplicaStart(BENCH, "bench.json");
    assertEquals(Duration.ofMillis(22_700), replica.readyAfter(), "the mean of the rounds with the warm-up on");
    assertEquals(2, replica.rounds());
    assertEquals(60, replica.warmupSecs());
    String all = "{\"scenario\":\"all\",\"scenarios\":[" + BENCH + "]}";
    assertEquals(Duration.ofMillis(22_700), MeasuredColdStart.parseReplicaStart(all, "all.json").readyAfter());

    String older = assertThrows(IllegalArgumentException.class, () -> MeasuredColdStart.parseReplicaStart(
        "{\"settings\":{\"coldstart_simple\":\"1 2 3 4\"}}", "old.json")).getMessage();
    assertTrue(older.contains("old.json") && older.contains("after_ready_on_round1"), older);
    String garbled = assertThrows(IllegalArgumentException.class, () -> MeasuredColdStart.parseReplicaStart(
        "{\"settings\":{\"after_ready_on_round1\":\"ready soon\"}}", "g.json")).getMessage();
    assertTrue(garbled.contains("after_ready_on_round1") && garbled.contains("ready soon"), garbled);
  }

  @Test
  void readsTheLastLoadFromTheGatewaysMetrics() {
    String metrics = """
        # HELP neutrino_model_load_seconds How long the last load of each serving model version took, by phase.
        # TYPE neutrino_model_load_seconds gauge
        neutrino_model_load_seconds{model="text_encoder",version="1",phase="create"} 0.42
        neutrino_model_load_seconds{model="text_encoder",version="1",phase="warmup"} 0.08
        neutrino_model_load_seconds{model="simple",version="1",phase="create"} 0.01
        neutrino_model_load_seconds{model="simple",version="1",phase="warmup"} 0.002
        neutrino_inflight_requests{model="text_encoder"} 3
        """;
    assertEquals(Duration.ofMillis(500),
        MeasuredColdStart.fromGatewayMetrics(metrics, "text_encoder", "gateway").coldStart());
    assertEquals(Duration.ofMillis(12), MeasuredColdStart.fromGatewayMetrics(metrics, "simple", "gateway").coldStart());
    String none = assertThrows(IllegalArgumentException.class,
        () -> MeasuredColdStart.fromGatewayMetrics(metrics, "tiny_lm", "http://g/metrics")).getMessage();
    assertTrue(none.contains("http://g/metrics") && none.contains("tiny_lm"), none);
  }

  @Test
  void badInputNamesTheProblem() {
    String missing = assertThrows(IllegalArgumentException.class,
        () -> MeasuredColdStart.parse(BENCH, "recommender_mlp", "bench.json")).getMessage();
    assertTrue(missing.contains("recommender_mlp") && missing.contains("text_encoder")
        && missing.contains("identity_fp32"), missing);
    String notJson = assertThrows(IllegalArgumentException.class,
        () -> MeasuredColdStart.parse("model,ms\n", "text_encoder", "b.csv")).getMessage();
    assertTrue(notJson.contains("b.csv is not JSON"), notJson);
    String otherBench = assertThrows(IllegalArgumentException.class, () -> MeasuredColdStart.parse(
        "{\"scenario\":\"overhead\",\"settings\":{\"rate\":5}}", "text_encoder", "o.json")).getMessage();
    assertTrue(otherBench.contains("--scenario coldstart"), otherBench);
    String ragged = assertThrows(IllegalArgumentException.class, () -> MeasuredColdStart.parse(
        "{\"settings\":{\"coldstart_simple\":\"1 2 3\"}}", "simple", "r.json")).getMessage();
    assertTrue(ragged.contains("4 figures per pass"), ragged);
    String noTotal = assertThrows(IllegalArgumentException.class, () -> MeasuredColdStart.parse(
        "{\"settings\":{\"coldstart_simple\":\"1 2 - -\"}}", "simple", "n.json")).getMessage();
    assertTrue(noTotal.contains("no pass with a total"), noTotal);
  }

  @Test
  void simulateTakesTheMeasuredColdStart(@TempDir Path dir) throws IOException {
    Path bench = dir.resolve("coldstart.json");
    Files.writeString(bench, BENCH);
    Path trace = dir.resolve("t.csv");
    new Trace(new double[] {50, 50, 80, 120, 90, 60, 50, 40, 40, 40}).write(trace);

    String measured = simulate(dir, "--trace", trace.toString(), "--policy", "kpa", "--bench-json", bench.toString());
    assertTrue(measured.contains("151ms cold start"), "measured by default when a bench JSON is given:\n" + measured);
    assertTrue(measured.contains("measured for text_encoder in " + bench), measured);
    String named = simulate(dir, "--trace", trace.toString(), "--policy", "kpa", "--cold-start", "measured",
        "--bench-json", bench.toString(), "--model", "identity_fp32");
    assertTrue(named.contains("11ms cold start"), named);
    String replica = simulate(dir, "--trace", trace.toString(), "--policy", "kpa", "--cold-start",
        "measured-replica", "--bench-json", bench.toString());
    assertTrue(replica.contains("22.7s cold start"), replica);
    assertTrue(replica.contains("a new gateway process until ready with the request-path warm-up on (at most 60 s, "
        + "mean of 2 round(s))"), replica);
    String given = simulate(dir, "--trace", trace.toString(), "--policy", "kpa", "--cold-start", "5s",
        "--bench-json", bench.toString());
    assertTrue(given.contains("5s cold start"), "a duration wins over the bench JSON:\n" + given);

    String needsFile = assertThrows(IllegalArgumentException.class,
        () -> simulate(dir, "--trace", trace.toString(), "--cold-start", "measured")).getMessage();
    assertTrue(needsFile.contains("--bench-json"), needsFile);
    String replicaNeedsFile = assertThrows(IllegalArgumentException.class,
        () -> simulate(dir, "--trace", trace.toString(), "--cold-start", "measured-replica")).getMessage();
    assertTrue(replicaNeedsFile.contains("measured-replica needs --bench-json"), replicaNeedsFile);
    String badDuration = assertThrows(IllegalArgumentException.class,
        () -> simulate(dir, "--trace", trace.toString(), "--cold-start", "soon")).getMessage();
    assertTrue(badDuration.contains("--cold-start") && badDuration.contains("soon"), badDuration);
  }

  private static String simulate(Path dir, String... args) throws IOException {
    SimulateCommand command = new SimulateCommand();
    Flags.commandLine(command).parseArgs(args);
    command.out = dir.resolve("report.html");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, command.run(new PrintStream(out, true, StandardCharsets.UTF_8)));
    return out.toString(StandardCharsets.UTF_8);
  }
}
