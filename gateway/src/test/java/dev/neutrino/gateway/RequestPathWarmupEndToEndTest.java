package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.neutrino.gateway.GatewayConfig.TlsSettings;
import dev.neutrino.gateway.call.WarmupMark;
import dev.neutrino.gateway.logging.AccessLog;
import dev.neutrino.gateway.logging.LogFields;
import dev.neutrino.gateway.security.AccessSettings;
import dev.neutrino.gateway.security.Restriction;
import dev.neutrino.gateway.warmup.RequestPathWarmup;
import dev.neutrino.repo.ModelControlMode;
import dev.neutrino.runtime.testing.TestBackend;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request-path warm-up ({@code --request-path-warmup-secs}), end to end: a real gateway on
 * 127.0.0.1 warms itself over its own sockets before its start completes (and so before it reports
 * ready), and what it sent is left out of what the gateway reports of its clients. Its stopping rule
 * is tested with scripted figures in RequestPathWarmupTest; here it runs to its limit of two seconds.
 */
class RequestPathWarmupEndToEndTest {
  private static final String INFER = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"FP32\","
      + "\"data\":[1,2]}]}";
  private static final Set<String> EVERY_FORM = Set.of("HTTP JSON", "HTTP binary", "gRPC");

  @TempDir Path dir;
  private Path repository;
  private Gateway gateway;

  @BeforeEach
  void writeRepository() throws Exception {
    repository = dir.resolve("repo");
    Files.createDirectories(repository.resolve("echo").resolve("1"));
    Files.writeString(repository.resolve("echo").resolve("1").resolve("model.onnx"), "echo");
    Files.writeString(repository.resolve("echo").resolve("config.yaml"), "max_batch_size: 8\n");
  }

  @AfterEach
  void stop() {
    TestGateways.stop(gateway);
  }

  private GatewayConfig config(int warmupSecs) {
    return GatewayConfig.defaults().withModelRepository(repository)
        .withRepository(new GatewayConfig.RepositorySettings(ModelControlMode.EXPLICIT, 15, List.of("echo"), 0, 0))
        .withRequestPathWarmupSecs(warmupSecs);
  }

  private static void assertWarmedEveryForm(RequestPathWarmup.Outcome outcome) {
    assertNotNull(outcome, "the warm-up ran before the start completed");
    assertEquals(EVERY_FORM, outcome.answered().keySet(), outcome.describe());
    outcome.answered().forEach((form, count) -> assertTrue(count > 0, form + ": " + outcome.describe()));
    assertEquals(0, outcome.failed(), outcome.describe());
  }

  private JsonNode stats(TestClient client) {
    TestClient.Reply reply = client.get("/v2/models/echo/versions/1/stats");
    assertEquals(200, reply.status());
    return reply.json().get("model_stats").get(0);
  }

  private String scrape() {
    TestClient.Reply reply = new TestClient(gateway.host(), gateway.metricsPort()).get("/metrics");
    assertEquals(200, reply.status());
    return new String(reply.body(), java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void warmsEveryFormBeforeStartingAndLeavesItsRequestsOutOfTheClientsFigures() {
    try (CapturedLog access = CapturedLog.of(AccessLog.LOGGER_NAME)) {
      gateway = TestGateways.start(config(2).withTelemetry(new GatewayConfig.TelemetrySettings(0, false, "info", true)),
          new TestBackend());
      assertWarmedEveryForm(gateway.warmup());
      assertEquals(List.of(), access.accessLines(), "the warm-up's requests are not in the access log");
      TestClient client = TestGateways.client(gateway);
      assertEquals(200, client.get("/v2/health/ready").status());

      JsonNode warmed = stats(client);
      assertEquals(0, warmed.at("/inference_stats/success/count").asLong(), "no client request yet");
      assertEquals(0, warmed.at("/inference_stats/fail/count").asLong());
      assertTrue(warmed.get("execution_count").asLong() > 0, "the warm-up's batches ran on the model: " + warmed);
      assertFalse(scrape().contains("neutrino_requests_total{model=\"echo\""), "no request series for the warm-up");

      assertEquals(200, client.post("/v2/models/echo/infer", INFER).status());
      assertEquals(1, stats(client).at("/inference_stats/success/count").asLong(), "a client's request counts");
      List<LogFields.Access> lines = access.accessLines();
      assertEquals(1, lines.stream().filter(line -> line.path().equals("/v2/models/echo/infer")).count(),
          String.valueOf(lines));
      assertTrue(scrape().contains(
          "neutrino_requests_total{model=\"echo\",version=\"1\",protocol=\"http\",code=\"200\",} 1.0"));
    }
  }

  @Test
  void withNoModelThatCanTakeARequestItSaysSoAndTheGatewayStarts() {
    gateway = TestGateways.start(config(2).withRepository(
        new GatewayConfig.RepositorySettings(ModelControlMode.EXPLICIT, 15, List.of(), 0, 0)), new TestBackend());
    RequestPathWarmup.Outcome outcome = gateway.warmup();
    assertEquals(0, outcome.requests());
    assertTrue(outcome.describe().startsWith("request path not warmed: no model served"), outcome.describe());
    assertEquals(200, TestGateways.client(gateway).get("/v2/health/ready").status());
  }

  @Test
  void aListenerOnTheWildcardAddressIsReachedOnLoopback() {
    assertEquals("127.0.0.1", Gateway.ownAddress("0.0.0.0"));
    assertEquals("::1", Gateway.ownAddress("::"));
    assertEquals("10.1.2.3", Gateway.ownAddress("10.1.2.3"));
  }

  @Test
  void aClientCannotHideItsRequestsBehindAMarkItDoesNotHave() {
    gateway = TestGateways.start(config(0), new TestBackend());
    assertNull(gateway.warmup(), "off by default");
    TestClient client = TestGateways.client(gateway);
    TestClient.Reply reply = client.send(HttpRequest.newBuilder(
        URI.create("http://" + gateway.host() + ":" + gateway.httpPort() + "/v2/models/echo/infer"))
        .header("Content-Type", "application/json").header(WarmupMark.HEADER, "0".repeat(32))
        .POST(HttpRequest.BodyPublishers.ofString(INFER)).build());
    assertEquals(200, reply.status());
    assertEquals(1, stats(client).at("/inference_stats/success/count").asLong());
  }

  @Test
  void restrictedInferenceIsWarmedWithTheConfiguredCredentials() {
    gateway = TestGateways.start(config(2).withAccess(new AccessSettings(
        List.of(Restriction.parse("inference:infer-key=s3cret", "--http-restricted-api")),
        List.of(Restriction.parse("inference:infer-key=0ther", "--grpc-restricted-protocol")), List.of(), null)),
        new TestBackend());
    assertWarmedEveryForm(gateway.warmup());
    assertEquals(401, TestGateways.client(gateway).post("/v2/models/echo/infer", INFER).status(),
        "inference is restricted all the same");
  }

  @Test
  void tlsListenersAreWarmedOverTls() throws Exception {
    TestCertificates.Issued ca = TestCertificates.authority("test-ca");
    Path cert = dir.resolve("server.pem");
    Path key = dir.resolve("server.key");
    TestCertificates.write(TestCertificates.server("server", ca), cert, key);
    gateway = TestGateways.start(config(2).withTls(new TlsSettings(cert, key, null, false, 60)), new TestBackend());
    assertWarmedEveryForm(gateway.warmup());
  }

  @Test
  void listenersThatAskForAClientCertificateAreNotWarmedAndSaySo() throws Exception {
    TestCertificates.Issued ca = TestCertificates.authority("test-ca");
    Path cert = dir.resolve("server.pem");
    Path key = dir.resolve("server.key");
    Path cas = dir.resolve("ca.pem");
    TestCertificates.write(TestCertificates.server("server", ca), cert, key);
    TestCertificates.writeCertificates(cas, ca.cert());
    gateway = TestGateways.start(config(2).withTls(new TlsSettings(cert, key, cas, false, 60)), new TestBackend());
    RequestPathWarmup.Outcome outcome = gateway.warmup();
    assertEquals(0, outcome.requests());
    assertTrue(outcome.describe().contains("mutual TLS"), outcome.describe());
  }
}
