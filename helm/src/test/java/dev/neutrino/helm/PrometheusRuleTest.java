package dev.neutrino.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart's PrometheusRule: promtool accepts its groups, every series its expressions read is one the
 * gateway exports, and an alert fires for real: a real Prometheus loaded with the rendered rules scrapes the
 * real gateway, started as the chart renders it, whose repository holds a model that fails to load.
 */
class PrometheusRuleTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration ALERT_WITHIN = Duration.ofSeconds(60);
  /** Prometheus's own series, not the gateway's: {@code up} tells whether a scrape worked. */
  private static final Set<String> PROMETHEUS_SERIES = Set.of("up");

  private static Path dir;
  private static LocalPod pod;
  private static Process gateway;

  /** One gateway for the class: the chart's defaults, its repository the example {@code simple} and a broken model. */
  @BeforeAll
  static void startGateway() throws Exception {
    dir = ChartOnRealGatewayTest.workDir();
    Path repository = dir.resolve("repository");
    copy(Gateways.exampleRepository().resolve("simple"), repository.resolve("simple"));
    Files.createDirectories(repository.resolve("broken").resolve("1"));
    Files.writeString(repository.resolve("broken").resolve("1").resolve("model.onnx"), "not an ONNX model");
    pod = LocalPod.of(Chart.render("defaults"), dir.resolve("pod"), repository);
    Path log = dir.resolve("gateway.log");
    gateway = pod.start(log);
    Gateways.awaitOk(gateway, pod.url("http", "/v2/models/simple/ready"), log);
  }

  @AfterAll
  static void stopGateway() throws Exception {
    Gateways.stop(gateway);
    Chart.deleteTree(dir);
  }

  @Test
  void promtoolAcceptsTheRules() throws Exception {
    Path rules = rulesFile(Chart.render("observability"));
    Process promtool = new ProcessBuilder(LocalPrometheus.require(LocalPrometheus.PROMTOOL).toString(),
        "check", "rules", rules.toString()).redirectErrorStream(true).start();
    String out = new String(promtool.getInputStream().readAllBytes());
    assertTrue(promtool.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, promtool.exitValue(), out);
    assertTrue(out.contains("SUCCESS: 7 rules found"), out);
  }

  @Test
  void rulesReadOnlySeriesTheGatewayExports() throws Exception {
    Set<String> exported = exportedNames();
    List<String> expressions = new ArrayList<>();
    for (JsonNode rule : groups(Chart.render("observability")).get(0).get("rules")) {
      expressions.add(rule.get("expr").asText());
    }
    assertEquals(7, expressions.size());
    Set<String> read = new TreeSet<>();
    for (String expr : expressions) {
      Set<String> names = metricNames(expr);
      assertFalse(names.isEmpty(), expr);
      read.addAll(names);
    }
    read.removeAll(PROMETHEUS_SERIES);
    for (String name : read) {
      assertTrue(exported.contains(name), () -> "the rules read " + name + ", which the gateway does not export");
    }
    assertTrue(read.containsAll(List.of("neutrino_requests_total", "neutrino_request_duration_seconds_bucket",
        "neutrino_queue_oldest_age_seconds", "neutrino_rejected_requests_total", "neutrino_model_state",
        "neutrino_model_load_failures_total")), read::toString);
  }

  @Test
  void readsMetricNamesOutOfPromQl() {
    assertEquals(Set.of("a_total", "b_bucket", "up"), metricNames("sum by (model) (rate(a_total{code=~\"5..|x\"}[5m])) "
        + "/ on (model) histogram_quantile(0.99, b_bucket{le=\"+Inf\"}) > 1e-3 unless absent(up{job=\"j\"})"));
  }

  @Test
  void aModelThatFailsToLoadFiresTheAlertInARealPrometheus() throws Exception {
    String manifests = Chart.template(ValueSets.ALL.get("observability"), """
        metrics:
          prometheusRule:
            alerts:
              modelNotServing: {enabled: true, for: 0s, severity: critical}
              scrapeDown: {enabled: true, for: 0s, severity: critical}
        """);
    Rendered r = new Rendered("alert", manifests, Chart.parse(manifests));
    Path promDir = Files.createDirectories(dir.resolve("prometheus"));
    Path rules = rulesFile(r);
    try (LocalPrometheus prometheus = LocalPrometheus.start(promDir, rules, Chart.FULLNAME, Chart.NAMESPACE,
        "127.0.0.1:" + pod.ports.get("metrics"))) {
      Instant deadline = Instant.now().plus(ALERT_WITHIN);
      JsonNode alerts = null;
      while (Instant.now().isBefore(deadline)) {
        alerts = alerts(prometheus);
        if (firing(alerts, "NeutrinoModelNotServing", "broken")) {
          break;
        }
        Thread.sleep(500);
      }
      if (!firing(alerts, "NeutrinoModelNotServing", "broken")) {
        fail("NeutrinoModelNotServing did not fire for model broken within " + ALERT_WITHIN + ": " + alerts
            + "\n" + prometheus.log());
      }
      // An evaluation before the first scrape fires NeutrinoScrapeDown (absent(up)), and the rules of one
      // evaluation run one after another: the read above can fall between this one's NeutrinoModelNotServing
      // and its NeutrinoScrapeDown. So the check below reads the alerts after a whole evaluation that began
      // once the series were there.
      alerts = alertsAfterAnEvaluationStartedAfter(prometheus, Instant.now());
      for (JsonNode alert : alerts) {
        assertFalse(alert.at("/labels/model").asText().equals("simple"), () -> "simple serves: " + alert);
        assertFalse(alert.at("/labels/alertname").asText().equals("NeutrinoScrapeDown"),
            () -> "the rules select the series as scraped (job, namespace): " + alert);
      }
    }
  }

  private static boolean firing(JsonNode alerts, String name, String model) {
    if (alerts == null) {
      return false;
    }
    for (JsonNode alert : alerts) {
      if (alert.at("/labels/alertname").asText().equals(name) && alert.at("/labels/model").asText().equals(model)
          && alert.get("state").asText().equals("firing")) {
        return true;
      }
    }
    return false;
  }

  /** The alerts once the rule group has finished an evaluation that started after {@code after}. */
  private static JsonNode alertsAfterAnEvaluationStartedAfter(LocalPrometheus prometheus, Instant after)
      throws Exception {
    Instant deadline = after.plus(ALERT_WITHIN);
    while (true) {
      HttpResponse<String> r = Gateways.get(prometheus.url.resolve("/api/v1/rules"));
      assertEquals(200, r.statusCode(), r::body);
      JsonNode group = JSON.readTree(r.body()).at("/data/groups/0");
      String last = group.path("lastEvaluation").asText();
      if (!last.isEmpty() && OffsetDateTime.parse(last).toInstant().isAfter(after)) {
        return alerts(prometheus);
      }
      if (Instant.now().isAfter(deadline)) {
        fail("the rules were not evaluated again within " + ALERT_WITHIN + ": " + group + "\n" + prometheus.log());
      }
      Thread.sleep(200);
    }
  }

  private static JsonNode alerts(LocalPrometheus prometheus) throws Exception {
    HttpResponse<String> r = Gateways.get(prometheus.url.resolve("/api/v1/alerts"));
    assertEquals(200, r.statusCode(), r::body);
    return JSON.readTree(r.body()).at("/data/alerts");
  }

  /** The metric names the gateway's /metrics declares (histograms with their series' suffixes). */
  private static Set<String> exportedNames() throws Exception {
    HttpResponse<String> metrics = Gateways.get(pod.url("metrics", "/metrics"));
    assertEquals(200, metrics.statusCode());
    Set<String> names = new TreeSet<>();
    for (String line : metrics.body().lines().toList()) {
      if (line.startsWith("# TYPE ")) {
        String[] parts = line.split(" ");
        names.add(parts[2]);
        if (parts[3].equals("histogram")) {
          names.addAll(List.of(parts[2] + "_bucket", parts[2] + "_sum", parts[2] + "_count"));
        }
      } else if (!line.startsWith("#") && !line.isBlank()) {
        names.add(line.split("[{ ]", 2)[0]);
      }
    }
    return names;
  }

  private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left",
      "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan");

  /** The series names a PromQL expression reads: identifiers not followed by "(" once strings, matchers, ranges and groupings are gone. */
  static Set<String> metricNames(String expr) {
    String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
        .replaceAll("\\{[^}]*}", " ")
        .replaceAll("\\[[^]]*]", " ")
        .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Set<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?").matcher(s);
    while (m.find()) {
      int start = m.start();
      if (start > 0 && (Character.isDigit(s.charAt(start - 1)) || s.charAt(start - 1) == '.')) {
        continue; // the exponent of a number such as 1e-3
      }
      if (m.group(2) == null && !PROMQL_WORDS.contains(m.group(1).toLowerCase())) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  private static JsonNode groups(Rendered r) {
    GenericKubernetesResource rule = r.generic("PrometheusRule").orElseThrow();
    return YAML.valueToTree(((Map<?, ?>) rule.getAdditionalProperties().get("spec")).get("groups"));
  }

  /** The rule groups as a Prometheus rules file. */
  private static Path rulesFile(Rendered r) throws Exception {
    Path file = Files.createTempFile(Files.createDirectories(Path.of("target")), "rules-", ".yaml").toAbsolutePath();
    YAML.writeValue(file.toFile(), Map.of("groups", groups(r)));
    return file;
  }

  private static void copy(Path from, Path to) throws Exception {
    try (var paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
