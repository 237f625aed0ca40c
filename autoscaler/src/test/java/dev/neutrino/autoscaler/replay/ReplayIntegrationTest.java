package dev.neutrino.autoscaler.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.neutrino.autoscaler.internal.Flags;
import dev.neutrino.autoscaler.sim.Trace;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code autoscale replay} against the REAL gateway: the packaged gateway jar started by the replay itself
 * (ports 0) serving the example {@code text_encoder}, its metrics scraped directly or through a real
 * Prometheus the replay starts (Debian's package, as the other real-gateway test), a 60 s trace (quiet, then a rise to its peak)
 * replayed at speedup 5, the open-loop load following it, and the autoscaler's loop scaling the model's
 * instances from the gateway's scraped metrics. Asserts the instances changed the way the trace asks
 * (up, and applied by the gateway) and that the report holds the real run and its simulation side by
 * side with their differences. Bounded: 12 s of trace in wall time, and every wait inside the replay
 * has a limit; nothing here asserts a duration.
 */
class ReplayIntegrationTest {

  private static final String MODEL = "text_encoder";

  @ParameterizedTest(name = "metrics from {0}")
  @ValueSource(strings = {"scrape", "prometheus"})
  void replaysATraceAgainstTheRealGatewayAndReportsItBesideItsSimulation(String metrics) throws Exception {
    Path jar = buildFolderOf("dev.neutrino.gateway.Main").resolve("neutrino-gateway.jar");
    Path repository = buildFolderOf("dev.neutrino.repo.examples.ExampleModels").resolve("example-repository");
    if (!Files.isRegularFile(jar) || !Files.isDirectory(repository.resolve(MODEL))) {
      fail("this test runs the real gateway and needs " + jar + " and " + repository.resolve(MODEL)
          + "; run mvn verify (or ./neutrino test) from the project's root");
    }
    Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "replay-it-");
    // 15 quiet seconds, then 45 at the peak: the peak is above one instance's capacity, so demand asks for more.
    double[] rates = new double[60];
    Arrays.fill(rates, 0, 15, 5);
    Arrays.fill(rates, 15, 60, 100);
    Path trace = dir.resolve("rise.csv");
    new Trace(rates).write(trace);
    Path policy = dir.resolve("kpa.yaml");
    Files.writeString(policy, "kpa: {target: 0.5, stable_window: 12s, interval: 1s}\n");

    List<String> args = new ArrayList<>(List.of("--trace", trace.toString(), "--policy", "kpa",
        "--policy-config", policy.toString(), "--speedup", "5", "--min", "1", "--max", "2",
        "--gateway-jar", jar.toString(), "--model-repository", repository.toString(), "--model", MODEL));
    if (metrics.equals("prometheus")) {
      Path prometheus = Path.of("/usr/bin/prometheus");
      if (!Files.isExecutable(prometheus)) {
        fail("this test runs a real Prometheus (Debian's package, " + prometheus + "), which is missing: "
            + "./neutrino test installs it (apt-get install -y prometheus) before mvn verify");
      }
      args.addAll(List.of("--prometheus", prometheus.toString()));
    }
    ReplayCommand command = new ReplayCommand();
    Flags.commandLine(command).parseArgs(args.toArray(String[]::new));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status = command.run(new PrintStream(out, true, StandardCharsets.UTF_8), dir, dir);
    String report = out.toString(StandardCharsets.UTF_8);
    System.out.println(report);
    assertEquals(0, status, report);

    // The actuator acted: text_encoder went from 1 instance to 2 while the trace rose, and the gateway applied it
    // (its load answered 200; a refused one is reported "(failed)").
    Matcher change = Pattern.compile("instance changes during the trace: (.*)").matcher(report);
    assertTrue(change.find(), report);
    assertTrue(Pattern.compile("^t=\\d+s 1 -> 2 in \\d+\\.\\d+s(,|$)").matcher(change.group(1)).find(),
        "the first change is an applied scale-up: " + report);
    List<String> timeline = Files.readAllLines(dir.resolve("rise-replay.csv"));
    assertEquals("second,rate_per_s,real_arrivals,real_late_or_dropped,real_replicas,real_ready,real_p99_ms,"
        + "sim_replicas,sim_ready,sim_p99_ms", timeline.get(0));
    assertEquals(61, timeline.size(), "a header and one line per trace second");
    assertTrue(timeline.get(1).split(",")[5].equals("1"), "one instance ready at the start: " + timeline.get(1));
    // Asked for; when the reload completes in trace time depends on the machine, so readiness is not asserted.
    assertTrue(timeline.stream().skip(1).anyMatch(l -> l.split(",")[4].equals("2")),
        "two instances asked for at some trace second:\n" + String.join("\n", timeline));
    assertTrue(timeline.stream().skip(1).mapToLong(l -> Long.parseLong(l.split(",")[2])).sum() > 0,
        "the load sent requests");

    // Both columns, side by side, and their differences.
    assertTrue(Pattern.compile("(?m)^real +1s ").matcher(report).find(), "the real row: " + report);
    assertTrue(Pattern.compile("(?m)^sim +1s ").matcher(report).find(), "the simulated row: " + report);
    assertTrue(report.contains("real - sim: SLO-violating s "), report);
    assertTrue(report.contains("measured: service time "), report);
    assertTrue(Pattern.compile("neutrino_model_load_seconds of its last load: \\d").matcher(report).find(),
        "the gateway's own figure for the last load: " + report);
    assertTrue(report.contains(metrics.equals("prometheus") ? "metrics: prometheus http://127.0.0.1:" : "metrics: scrape ["),
        "the metrics came from " + metrics + ": " + report);
    String html = Files.readString(dir.resolve("rise-replay.html"));
    assertTrue(html.contains("<svg") && html.contains("> real</td>") && html.contains("> sim</td>"),
        "the HTML has both runs and the charts");
  }

  @Test
  void refusesAReplayLongerThanItsBound() {
    ReplayCommand command = new ReplayCommand();
    Path dir = Path.of("target");
    String message = assertThrows(IllegalArgumentException.class, () -> {
      Path trace = Files.createTempFile(Files.createDirectories(dir), "long-", ".csv");
      new Trace(new double[3600]).write(trace);
      Flags.commandLine(command).parseArgs("--trace", trace.toString(), "--speedup", "2", "--url",
          "http://127.0.0.1:9");
      command.run(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), dir, dir);
    }).getMessage();
    assertTrue(message.contains("raise --speedup") && message.contains("1800s"), message);
  }

  private static Path buildFolderOf(String className) throws Exception {
    Class<?> type = Class.forName(className, false, ReplayIntegrationTest.class.getClassLoader());
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
  }
}
