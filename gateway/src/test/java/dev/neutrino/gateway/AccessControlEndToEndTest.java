package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.security.AccessSettings;
import dev.neutrino.gateway.security.Credential;
import dev.neutrino.gateway.security.Restriction;
import dev.neutrino.gateway.security.RepositoryAudit;
import dev.neutrino.repo.ModelControlMode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access control over HTTP, end to end: the real gateway on 127.0.0.1 and the JDK's HttpClient.
 * Non-loopback peers: NonLoopbackPeerTest (end to end, on this machine's own address) and AccessControlTest.
 */
class AccessControlEndToEndTest {
  private static final String INFER = "{\"inputs\":["
      + "{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]},"
      + "{\"name\":\"INPUT1\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}]}";

  @TempDir Path dir;

  private Gateway start(AccessSettings access) {
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    return TestGateways.start(GatewayConfig.defaults().withModelRepository(repo)
        .withRepository(new GatewayConfig.RepositorySettings(ModelControlMode.EXPLICIT, 15, List.of("simple"), 0, 0))
        .withAccess(access));
  }

  private static TestClient.Reply send(Gateway gateway, String method, String path, String body,
      Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(
        URI.create("http://" + gateway.host() + ":" + gateway.httpPort() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return TestGateways.client(gateway).send(request.build());
  }

  private static TestClient.Reply scrape(Gateway gateway, Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(
        URI.create("http://" + gateway.host() + ":" + gateway.metricsPort() + "/metrics")).GET();
    headers.forEach(request::header);
    return TestGateways.client(gateway).send(request.build());
  }

  @Test
  void restrictedGroupsAnswer401WithoutTheKey403WithAnotherAndServeWithIt() throws Exception {
    Path adminKey = dir.resolve("admin.key");
    Files.writeString(adminKey, "adm1n-from-file\n");
    Gateway gateway = start(new AccessSettings(
        List.of(Restriction.parse("inference,model-config:infer-key=s3cret", "--http-restricted-api"),
            Restriction.parse("model-repository:admin-key=@" + adminKey, "--http-restricted-api")),
        List.of(), List.of(), Credential.parse("scrape-key=m3trics", "--metrics-restricted-api")));
    try {
      Map<String, String> none = Map.of();
      assertEquals(200, send(gateway, "GET", "/v2/health/ready", null, none).status(), "health is not restricted");
      assertEquals(200, send(gateway, "GET", "/v2/models/simple", null, none).status(), "nor is metadata");

      TestClient.Reply missing = send(gateway, "POST", "/v2/models/simple/infer", INFER, none);
      assertEquals(401, missing.status());
      assertTrue(missing.error().contains("'infer-key'") && missing.error().contains("inference"), missing.error());
      TestClient.Reply wrong = send(gateway, "POST", "/v2/models/simple/infer", INFER, Map.of("Infer-Key", "s3cre"));
      assertEquals(403, wrong.status());
      for (TestClient.Reply refused : List.of(missing, wrong)) {
        assertFalse(new String(refused.body()).contains("s3cret"), new String(refused.body()));
      }
      TestClient.Reply served = send(gateway, "POST", "/v2/models/simple/infer", INFER, Map.of("infer-key", "s3cret"));
      assertEquals(200, served.status(), new String(served.body()));
      assertEquals(16, served.json().get("outputs").get(0).get("data").size());

      assertEquals(401, send(gateway, "GET", "/v2/models/simple/config", null, none).status());
      assertEquals(200, send(gateway, "GET", "/v2/models/simple/config", null, Map.of("infer-key", "s3cret")).status());

      TestClient.Reply otherKey = send(gateway, "POST", "/v2/repository/index", "", Map.of("infer-key", "s3cret"));
      assertEquals(401, otherKey.status());
      assertTrue(otherKey.error().contains("'admin-key'"), otherKey.error());
      assertEquals(403, send(gateway, "POST", "/v2/repository/index", "", Map.of("admin-key", "s3cret")).status());
      assertEquals(200, send(gateway, "POST", "/v2/repository/index", "",
          Map.of("admin-key", "adm1n-from-file")).status(), "the key read from its file, line ending dropped");

      assertEquals(401, scrape(gateway, none).status());
      assertEquals(403, scrape(gateway, Map.of("scrape-key", "nope")).status());
      TestClient.Reply metrics = scrape(gateway, Map.of("scrape-key", "m3trics"));
      assertEquals(200, metrics.status());
      Map<String, Double> series = Scrapes.parse(new String(metrics.body()));
      assertEquals(2.0, series.get("neutrino_access_refused_total{group=\"inference\",protocol=\"http\"}"), series.toString());
      assertEquals(1.0, series.get("neutrino_access_refused_total{group=\"model-config\",protocol=\"http\"}"));
      assertEquals(2.0, series.get("neutrino_access_refused_total{group=\"model-repository\",protocol=\"http\"}"));
      assertEquals(2.0, series.get("neutrino_access_refused_total{group=\"metrics\",protocol=\"metrics\"}"));
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void browserOriginsAreRefusedOnTheRepositoryUnlessAllowed() {
    Gateway gateway = start(new AccessSettings(List.of(), List.of(), List.of("https://console.example"), null));
    try {
      // What a web page's form post would send: a simple request that needs no CORS preflight.
      Map<String, String> evil = Map.of("Origin", "http://evil.example",
          "Content-Type", "application/x-www-form-urlencoded");
      TestClient.Reply refused = send(gateway, "POST", "/v2/repository/models/simple/unload", "", evil);
      assertEquals(403, refused.status());
      assertTrue(refused.error().contains("--repository-allowed-origins"), refused.error());
      assertEquals(200, send(gateway, "GET", "/v2/models/simple/ready", null, Map.of()).status(), "still loaded");
      assertEquals(200, send(gateway, "POST", "/v2/models/simple/infer", INFER, evil).status(),
          "only the repository API refuses origins");

      assertEquals(200, send(gateway, "POST", "/v2/repository/index", "",
          Map.of("Origin", "https://console.example")).status(), "an allowed origin");
      assertEquals(200, send(gateway, "POST", "/v2/repository/models/simple/unload", "", Map.of()).status(),
          "no origin, from loopback, no key configured: allowed by default");
      assertEquals(503, send(gateway, "GET", "/v2/models/simple/ready", null, Map.of()).status(), "unloaded");
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void everyRepositoryChangeIsLoggedWithPeerModelOutcomeAndDuration() {
    CapturedLog audit = CapturedLog.of(RepositoryAudit.LOGGER_NAME);
    Gateway gateway = start(AccessSettings.DEFAULTS);
    try {
      assertEquals(200, send(gateway, "POST", "/v2/repository/models/identity_fp32/load", "", Map.of()).status());
      assertEquals(200, send(gateway, "POST", "/v2/repository/models/identity_fp32/unload", "", Map.of()).status());
      int failed = send(gateway, "POST", "/v2/repository/models/no_such_model/load", "", Map.of()).status();
      assertTrue(failed == 400 || failed == 404, "a model that does not exist: " + failed);
      assertEquals(403, send(gateway, "POST", "/v2/repository/models/simple/unload", "",
          Map.of("Origin", "http://evil.example")).status());
      List<String> logged = audit.messages();
      assertEquals(3, logged.size(), "one line per change; the refused call changed nothing: " + logged);
      assertTrue(logged.get(0).matches("repository load of model 'identity_fp32' by 127\\.0\\.0\\.1:\\d+ over http: "
          + "ok in \\d+\\.\\d{3} ms"), logged.get(0));
      assertTrue(logged.get(1).startsWith("repository unload of model 'identity_fp32' by 127.0.0.1:"), logged.get(1));
      assertTrue(logged.get(2).startsWith("repository load of model 'no_such_model' by 127.0.0.1:")
          && logged.get(2).contains("over http: failed: "), logged.get(2));
    } finally {
      TestGateways.stop(gateway);
      audit.close();
    }
  }
}
