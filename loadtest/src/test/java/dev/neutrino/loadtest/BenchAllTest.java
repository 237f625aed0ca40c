package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * {@code bench --scenario all} end to end with tiny durations: every scenario runs (the overload
 * servers as child processes where taskset and two cores exist), one JSON document carries the
 * machine, the headline and every scenario's runs with BENCHMARKS.md's fields, one page has a section
 * per scenario, and no child process outlives the run. Figures are not asserted.
 */
@Timeout(900)
class BenchAllTest {
  @Test
  void everyScenarioRunsOnceIntoOneDocumentAndOnePage(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("report.json");
    Path html = dir.resolve("report.html");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int status = BenchCommand.run(new String[] {"--scenario", "all", "--concurrency", "1", "--warmup", "0s",
        "--duration", "0.2s", "--limit-duration", "0.05s", "--target-latency", "50ms", "--json", json.toString(),
        "--html", html.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    String console = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8) + "\n" + console);
    assertFalse(ProcessHandle.current().children().anyMatch(ProcessHandle::isAlive), "no child process left");
    JsonNode report = new ObjectMapper().readTree(json.toFile());
    assertEquals("all", report.path("scenario").asText());
    for (String field : List.of("cores", "memory_bytes", "jvm", "onnxruntime", "execution_provider",
        "load_average_1m_at_start", "load_average_1m_at_end")) {
      assertTrue(report.path("machine").has(field), "machine field " + field);
    }
    assertTrue(report.path("headline").size() > 0);
    List<String> ran = new ArrayList<>();
    for (JsonNode scenario : report.path("scenarios")) {
      ran.add(scenario.path("scenario").asText());
      for (JsonNode run : scenario.path("runs")) {
        for (String field : List.of("target", "mode", "duration_s", "requests", "ok", "errors", "throughput_rps",
            "latency_us", "avg_batch_size", "queue_us_avg", "compute_us_avg", "valid")) {
          assertTrue(run.has(field), "run field " + field + " in " + scenario.path("scenario") + ": " + run);
        }
      }
    }
    List<String> expected = new ArrayList<>(Bench.SCENARIOS);
    report.path("unavailable").fieldNames().forEachRemaining(expected::remove);
    assertEquals(expected, ran, "every scenario in order, but those that could not run: " + report.path("unavailable"));
    assertTrue(ran.containsAll(List.of("overhead", "throughput-mlp", "overload", "http-floor")), ran.toString());

    JsonNode floor = scenario(report, "http-floor");
    assertTrue(floor.path("ratios").has("gateway_vs_floor"), floor.path("ratios").toString());
    for (String ratio : List.of("bare_floor_rps", "bare_floor_grpc_rps", "floor_vs_bare", "gateway_vs_bare", "goal_rps",
        "goal_vs_bare_floor", "transport_and_compute_bound_rps", "gateway_vs_transport_and_compute_bound",
        "goal_vs_transport_and_compute_bound")) {
      assertTrue(floor.path("ratios").path(ratio).isNumber(), "http-floor ratio " + ratio + ": " + floor.path("ratios"));
    }
    assertTrue(floor.path("ratios").has("wrk_rps"), floor.path("ratios").toString());
    assertTrue(targets(floor).containsAll(List.of(Report.BARE_HTTP_BINARY, Report.BARE_GRPC)), targets(floor).toString());
    JsonNode paired = scenario(report, "throughput-mlp").path("ratios")
        .path("gateway_http_binary_vs_naive_paired_by_concurrency");
    assertTrue(paired.path("1").asDouble() > 0, "both servers measured in turn at concurrency 1: " + paired);
    assertTrue(scenario(report, "throughput-mlp").path("ratios").path("gateway_http_binary_vs_limit_paired").asDouble() > 0,
        "the gateway and the limit measured in turn");
    JsonNode overhead = scenario(report, "overhead");
    for (String protocol : List.of("http_json", "http_binary", "grpc")) {
      for (String ratio : List.of("transport_floor_p50_us_", "transport_floor_p99_us_",
          "gateway_overhead_above_floor_us_", "hand_off_floor_p50_us_", "gateway_overhead_above_hand_off_floor_us_")) {
        assertTrue(overhead.path("ratios").path(ratio + protocol).isNumber(),
            "overhead ratio " + ratio + protocol + ": " + overhead.path("ratios"));
      }
    }
    assertTrue(targets(overhead).containsAll(List.of(Report.BARE_HTTP_JSON, Report.BARE_HTTP_BINARY, Report.BARE_GRPC,
        Report.HAND_OFF_HTTP_JSON, Report.HAND_OFF_HTTP_BINARY, Report.HAND_OFF_GRPC)), targets(overhead).toString());
    List<String> headline = new ArrayList<>();
    report.path("headline").fieldNames().forEachRemaining(headline::add);
    for (String row : List.of("overhead p50, grpc: gateway / bare transport floor / gateway above the floor",
        BenchAll.handOffRow("http_binary"),
        "recommender_mlp's req/s goal against the bare transport floor", BenchAll.BOUND_ROW,
        "recommender_mlp against the naive server, by concurrency, measured in turn",
        "recommender_mlp, HTTP binary, 1 clients, against the in-process limit, measured in turn",
        "overload, gateway: capacity (spread over its windows; warm-up; open-loop rate sustained in bounds)",
        "CPU per request, identity 1x16, grpc: gateway / bare transport floor / gateway above the floor (profile, "
            + "closed loop)")) {
      assertTrue(headline.contains(row), "headline row " + row + ": " + headline);
      assertFalse(report.path("headline").path(row).path("value").asText().contains("n/a"),
          report.path("headline").path(row).toString());
    }
    JsonNode overload = scenario(report, "overload");
    for (String ratio : List.of("gateway_goodput_vs_capacity", "gateway_p99_ok_us", "gateway_p99_ok_vs_target",
        "gateway_rejected_share", "gateway_rejection_p99_us", "gateway_valid", "naive_goodput_vs_capacity")) {
      assertTrue(overload.path("ratios").has(ratio), "overload ratio " + ratio + ": " + overload.path("ratios"));
    }
    for (String prefix : List.of("gateway", "gateway_latency_target", "naive")) {
      JsonNode ratios = overload.path("ratios");
      assertEquals(CapacityProbe.DEFAULT_SAMPLES, ratios.path(prefix + "_capacity_samples").size(), ratios.toString());
      for (String ratio : List.of("_capacity_rps", "_capacity_spread", "_warmup_seconds")) {
        assertTrue(ratios.path(prefix + ratio).isNumber(), "overload ratio " + prefix + ratio + ": " + ratios);
      }
      assertTrue(ratios.path(prefix + "_capacity_method").asText().startsWith("closed-loop median of the last 3"),
          ratios.toString());
      assertTrue(ratios.has(prefix + "_sustained_rps") && ratios.path(prefix + "_sustained_steps").isArray(),
          ratios.toString());
      for (String ratio : List.of("_server_cores_busy", "_served_cpu_us", "_refusal_cpu_us", "_goodput_bound")) {
        assertTrue(ratios.has(prefix + ratio), "overload ratio " + prefix + ratio + ": " + ratios);
      }
    }
    assertEquals(3L * CapacityProbe.DEFAULT_SAMPLES, overload.path("runs").findValuesAsText("phase").stream()
        .filter(p -> p.startsWith("sample ")).count(), "each of the three servers' capacity samples is a run");
    String layout = overload.path("settings").path("overload_layout").asText();
    boolean split = Cpus.taskset().isPresent() && Runtime.getRuntime().availableProcessors() >= 2;
    assertEquals(split, layout.contains("child processes pinned with taskset"), layout);
    if (split) {
      // a child process's CPU time is read, so what its served requests cost is known
      assertTrue(overload.path("ratios").path("gateway_served_cpu_us").isNumber(), overload.path("ratios").toString());
      assertTrue(overload.path("ratios").path("gateway_server_cores_busy").asDouble() > 0, overload.path("ratios").toString());
    }

    // A new gateway process per row: the request-path warm-up off, then on (one second in a tiny run).
    JsonNode coldstart = scenario(report, "coldstart");
    assertEquals(1, coldstart.path("settings").path("after_ready_warmup_secs").asInt(), coldstart.path("settings").toString());
    for (String row : List.of("after_ready_off_round1", "after_ready_on_round1")) {
      String figures = coldstart.path("settings").path(row).asText();
      assertTrue(figures.startsWith("ready after ") && figures.contains("req/s by window "), row + ": " + figures);
    }
    assertTrue(coldstart.path("ratios").path("after_ready_first_window_warmup_vs_off").asDouble() > 0,
        coldstart.path("ratios").toString());

    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    Document page = factory.newDocumentBuilder().parse(html.toFile());
    NodeList sections = page.getElementsByTagNameNS("*", "section");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < sections.getLength(); i++) {
      ids.add(((Element) sections.item(i)).getAttribute("id"));
    }
    assertEquals(ran.stream().map(s -> "scenario-" + s).toList(), ids, "one section per scenario");
    assertTrue(hasTableOfClass(page, "headline") && hasTableOfClass(page, "machine"), "headline and machine tables");
  }

  private static List<String> targets(JsonNode scenario) {
    List<String> targets = new ArrayList<>();
    scenario.path("runs").forEach(run -> targets.add(run.path("target").asText()));
    return targets;
  }

  private static JsonNode scenario(JsonNode report, String name) {
    for (JsonNode scenario : report.path("scenarios")) {
      if (scenario.path("scenario").asText().equals(name)) {
        return scenario;
      }
    }
    throw new AssertionError("no scenario " + name);
  }

  private static boolean hasTableOfClass(Document page, String cssClass) {
    NodeList tables = page.getElementsByTagNameNS("*", "table");
    for (int i = 0; i < tables.getLength(); i++) {
      if (((Element) tables.item(i)).getAttribute("class").equals(cssClass)) {
        return true;
      }
    }
    return false;
  }
}
