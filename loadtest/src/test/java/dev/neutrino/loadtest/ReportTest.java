package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The JSON report carries every field BENCHMARKS.md lists; the HTML page parses and charts every target. */
class ReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static LevelResult closed(int concurrency, double rps, ServerStats stats, Map<String, Long> errors) {
    long ok = Math.round(rps * 2);
    return new LevelResult(LoadSpec.closed(concurrency, Duration.ofSeconds(1), Duration.ofSeconds(2)), 2.0, 2.0,
        ok + errors.values().stream().mapToLong(Long::longValue).sum(), ok, errors,
        new LatencySummary(ok, 100 * concurrency, 150 * concurrency, 300 * concurrency, 500 * concurrency,
            900 * concurrency, 120.0 * concurrency),
        errors.isEmpty() ? LatencySummary.EMPTY : new LatencySummary(3, 20, 30, 40, 40, 40, 25),
        LatencySummary.EMPTY, stats, 0.4);
  }

  private static Report sample() {
    Report report = new Report("neutrino bench throughput-mlp: recommender_mlp", "throughput-mlp",
        "recommender_mlp", MachineInfo.collect("cpu"));
    report.setting("duration_s", 2.0);
    report.note("a note with <markup> & \"quotes\"");
    for (int c : new int[] {1, 4, 16}) {
      report.add(new Report.Run(Report.GATEWAY_HTTP_BINARY,
          closed(c, 1000.0 * c, new ServerStats(c / 2.0, 50.0, 400.0), c == 16 ? Map.of("429", 3L) : Map.of())));
      report.add(new Report.Run(Report.GATEWAY_GRPC, closed(c, 900.0 * c, ServerStats.NONE, Map.of())));
      report.add(new Report.Run(Report.NAIVE_HTTP, closed(c, 500.0 * c, ServerStats.NONE, Map.of())));
    }
    for (int b : new int[] {1, 8, 64}) {
      report.add(new Report.Run(Report.IN_PROCESS, closed(1, 3000.0 * b, new ServerStats((double) b, 0.0, 80.0 * b),
          Map.of()), b, null));
    }
    LevelResult open = new LevelResult(
        LoadSpec.open(5000, LoadSpec.Distribution.POISSON, Duration.ZERO, Duration.ofSeconds(2)), 2.1, 2.0, 10000,
        9000,
        Map.of("429", 1000L), new LatencySummary(9000, 1, 2, 3, 4, 5, 2), new LatencySummary(1000, 1, 1, 1, 1, 1, 1),
        new LatencySummary(10000, 5, 9, 30, 80, 200, 7), ServerStats.NONE, 0.7);
    report.add(new Report.Run(Report.GATEWAY_HTTP_JSON, open, null, "before"));
    report.ratio("gateway_vs_limit", 0.08);
    report.ratio("gateway_vs_naive", 2.0);
    report.ratio("overhead_p50_us", 120);
    return report;
  }

  @Test
  void refusalsAreTheServersOverloadAnswersOnly() {
    LevelResult level = closed(4, 100, ServerStats.NONE,
        Map.of("429", 3L, "503", 2L, "RESOURCE_EXHAUSTED", 1L, "500", 7L, "timeout", 5L));
    assertEquals(6, level.refused(), "429, 503 and RESOURCE_EXHAUSTED; not a failure or a client-side error");
    assertEquals(0, closed(4, 100, ServerStats.NONE, Map.of()).refused());
  }

  @Test
  void jsonReportHasEveryFieldOfBenchmarksMd() throws Exception {
    JsonNode json = JSON.valueToTree(sample().toJson());

    for (String field : List.of("scenario", "model", "machine", "runs", "ratios")) {
      assertTrue(json.has(field), "top-level field " + field);
    }
    for (String field : List.of("cores", "memory_bytes", "jvm", "onnxruntime", "execution_provider")) {
      assertTrue(json.path("machine").has(field), "machine field " + field);
    }
    for (String field : List.of("gateway_vs_limit", "gateway_vs_naive", "overhead_p50_us")) {
      assertTrue(json.path("ratios").has(field), "ratio " + field);
    }
    assertEquals(13, json.path("runs").size());
    Set<String> targets = new TreeSet<>();
    for (JsonNode run : json.path("runs")) {
      targets.add(run.path("target").asText());
      for (String field : List.of("target", "mode", "duration_s", "requests", "ok", "errors", "throughput_rps",
          "latency_us", "avg_batch_size", "queue_us_avg", "compute_us_avg", "valid", "generator_cpu_cores")) {
        assertTrue(run.has(field), "run field " + field + " in " + run);
      }
      String mode = run.path("mode").asText();
      assertTrue(mode.equals("closed") ? run.has("concurrency") : run.has("rate"), "level of " + run);
      if (mode.equals("open")) {
        for (String field : List.of("offered_rps", "send_lag_us", "warmup_backlog", "window_s")) {
          assertTrue(run.has(field), "open-loop field " + field + " in " + run);
        }
      }
      assertTrue(run.path("valid").asBoolean(), "the sample's levels are valid: " + run);
      assertTrue(!run.has("invalid_reason"), "a reason only when invalid: " + run);
      for (String p : List.of("p50", "p90", "p99", "p999", "max")) {
        assertTrue(run.path("latency_us").path(p).isIntegralNumber(), "latency_us." + p + " in " + run);
      }
      assertTrue(run.path("errors").isObject());
    }
    assertEquals(Set.of("gateway-grpc", "gateway-http-binary", "gateway-http-json", "in-process", "naive-http"),
        targets);
    JsonNode withErrors = json.path("runs").get(6);
    assertEquals(3, withErrors.path("errors").path("429").asInt());
    assertTrue(json.path("runs").get(1).path("avg_batch_size").isNull(), "absent statistics are null");
    assertEquals(8.0, json.path("runs").get(10).path("avg_batch_size").asDouble());
  }

  @Test
  void htmlPageParsesAndHasOneChartPerTarget(@TempDir Path dir) throws Exception {
    Report report = sample();
    Path page = dir.resolve("report.html");
    HtmlReport.write(report, page);

    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    Document doc = factory.newDocumentBuilder().parse(page.toFile());
    NodeList svgs = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "svg");
    List<String> charted = new ArrayList<>();
    for (int i = 0; i < svgs.getLength(); i++) {
      Element svg = (Element) svgs.item(i);
      if (svg.getAttribute("class").equals("chart")) {
        charted.add(svg.getAttribute("data-target"));
      }
    }
    assertEquals(report.targets(), charted, "one chart per target, in order");
    assertEquals(0, doc.getElementsByTagNameNS("*", "script").getLength(), "no scripts");
    assertEquals(0, doc.getElementsByTagNameNS("*", "link").getLength(), "no external stylesheets or fonts");
    String text = java.nio.file.Files.readString(page);
    java.util.regex.Matcher external = java.util.regex.Pattern.compile("https?://|src=|url\\(")
        .matcher(text.replace("http://www.w3.org/", ""));
    assertTrue(!external.find(), () -> "nothing outside the page but the XML namespaces: "
        + text.replace("http://www.w3.org/", "").substring(Math.max(0, external.start() - 40), external.end() + 40));
    assertTrue(text.contains("&lt;markup&gt; &amp; &quot;quotes&quot;"), "notes are escaped");
  }

  @Test
  void tableRowsShowNaWhenTheServerHasNoStatistics() {
    Report.Run run = new Report.Run(Report.NAIVE_HTTP, closed(4, 100, ServerStats.NONE, Map.of("503", 2L)));
    String row = new TablePrinter(false, false, false).row(run);

    assertTrue(row.contains("n/a"), row);
    assertTrue(row.endsWith("503:2"), row);
  }
}
