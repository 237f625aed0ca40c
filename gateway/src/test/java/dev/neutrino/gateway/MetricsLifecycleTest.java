package dev.neutrino.gateway;

import static dev.neutrino.gateway.Scrapes.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.gateway.logging.AccessLog;
import dev.neutrino.gateway.logging.JsonLogFormatter;
import dev.neutrino.gateway.logging.LogFields;
import dev.neutrino.runtime.testing.TestBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Metrics per gateway, metrics off, and the access log. */
@Timeout(120)
class MetricsLifecycleTest {
  @TempDir Path dir;

  private Path repository() throws IOException {
    Path repo = dir.resolve("repo");
    Files.createDirectories(repo.resolve("echo").resolve("1"));
    Files.writeString(repo.resolve("echo").resolve("1").resolve("model.onnx"), "echo");
    return repo;
  }

  private Gateway start(GatewayConfig.TelemetrySettings telemetry) throws IOException {
    return TestGateways.start(GatewayConfig.defaults().withHttpPort(0).withModelRepository(repository())
        .withTelemetry(telemetry), new TestBackend());
  }

  private static final String BODY =
      "{\"id\":\"r-1\",\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}]}";

  @Test
  void twoGatewaysInOneJvmCountApart() throws IOException {
    Gateway a = start(new GatewayConfig.TelemetrySettings(0, false, "info", false));
    Gateway b = null;
    try {
      b = start(new GatewayConfig.TelemetrySettings(0, true, "info", false));
      assertNotEquals(a.metricsPort(), b.metricsPort());
      for (int i = 0; i < 3; i++) {
        assertEquals(200, TestGateways.client(a).post("/v2/models/echo/infer", BODY).status());
      }
      assertEquals(200, TestGateways.client(b).post("/v2/models/echo/infer", BODY).status());
      String series = key("neutrino_requests_total", "model", "echo", "version", "1", "protocol", "http", "code", "200");
      assertEquals(3, Scrapes.scrape(a).get(series));
      assertEquals(1, Scrapes.scrape(b).get(series));
      assertTrue(Scrapes.scrape(a).containsKey("jvm_threads_current"), "each registry has the JVM's metrics");
      assertFalse(Scrapes.names(Scrapes.scrape(a)).contains("nv_inference_request_success"), "Triton names are opt-in");
      assertTrue(Scrapes.names(Scrapes.scrape(b)).contains("nv_inference_request_success"));
    } finally {
      TestGateways.stop(b);
      TestGateways.stop(a);
    }
  }

  @Test
  void scrapesAreCollectedOnTheMetricsWorkerNotAnEventLoop() throws IOException {
    Gateway gateway = start(new GatewayConfig.TelemetrySettings(0, false, "info", false));
    try {
      List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
      new io.prometheus.client.Collector() {
        @Override
        public List<MetricFamilySamples> collect() {
          threads.add(Thread.currentThread().getName());
          return List.of();
        }
      }.register(gateway.metrics().registry());
      threads.clear(); // the registry collects once on registration, to check names, on this thread
      Scrapes.scrape(gateway);
      Scrapes.scrape(gateway);
      assertEquals(2, threads.size());
      for (String thread : threads) {
        assertTrue(thread.startsWith("neutrino-metrics"), thread);
      }
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void metricsOffServesNoEndpointAndNoStatistics() throws IOException {
    Gateway gateway = start(new GatewayConfig.TelemetrySettings(-1, false, "info", false));
    try {
      assertEquals(-1, gateway.metricsPort());
      TestClient client = TestGateways.client(gateway);
      assertEquals(200, client.post("/v2/models/echo/infer", BODY).status());
      assertEquals(503, client.get("/v2/models/echo/stats").status());
      List<String> extensions = new ArrayList<>();
      client.get("/v2").json().get("extensions").forEach(e -> extensions.add(e.asText()));
      assertFalse(extensions.contains("statistics"), String.valueOf(extensions));
    } finally {
      TestGateways.stop(gateway);
    }
    Gateway on = start(new GatewayConfig.TelemetrySettings(0, false, "info", false));
    try {
      List<String> extensions = new ArrayList<>();
      TestGateways.client(on).get("/v2").json().get("extensions").forEach(e -> extensions.add(e.asText()));
      assertTrue(extensions.contains("statistics"), String.valueOf(extensions));
    } finally {
      TestGateways.stop(on);
    }
  }

  @Test
  void accessLogWritesOneJsonLinePerRequest() throws Exception {
    List<LogRecord> records;
    List<LogFields.Access> lines;
    try (CapturedLog access = CapturedLog.of(AccessLog.LOGGER_NAME)) {
      Gateway gateway = start(new GatewayConfig.TelemetrySettings(0, false, "info", true));
      try {
        TestClient client = TestGateways.client(gateway);
        assertEquals(200, client.post("/v2/models/echo/infer", BODY).status());
        assertEquals(404, client.post("/v2/models/nope/infer", BODY).status());
        assertEquals(200, client.get("/v2/health/live").status());
      } finally {
        TestGateways.stop(gateway);
      }
      records = access.records();
      lines = access.accessLines();
    }
    assertEquals(3, lines.size(), String.valueOf(lines));
    LogFields.Access infer = lines.get(0);
    assertEquals("POST", infer.method());
    assertEquals("/v2/models/echo/infer", infer.path());
    assertEquals("200", infer.status());
    assertEquals("echo", infer.model());
    assertEquals("1", infer.version());
    assertEquals("r-1", infer.requestId());
    assertTrue(infer.durationMicros() >= 0);
    assertEquals("404", lines.get(1).status());
    assertEquals("/v2/health/live", lines.get(2).path());
    JsonNode json = new ObjectMapper().readTree(new JsonLogFormatter().format(records.get(0)));
    assertEquals(200, json.get("status").asInt());
    assertEquals("echo", json.get("model").asText());
  }
}
