package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.neutrino.repo.ModelControlMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The repository extension over HTTP: index, load, reload, unload, and what each mode allows. */
class RepositoryApiTest {
  @TempDir Path dir;

  private Gateway start(ModelControlMode mode, List<String> loadModels) {
    return start(new GatewayConfig.RepositorySettings(mode, 15, loadModels, 0, 0));
  }

  private Gateway start(GatewayConfig.RepositorySettings settings) {
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    return TestGateways.start(GatewayConfig.defaults().withHttpPort(0).withModelRepository(repo)
        .withRepository(settings));
  }

  private static JsonNode row(JsonNode index, String name) {
    for (JsonNode row : index) {
      if (row.get("name").asText().equals(name)) {
        return row;
      }
    }
    throw new AssertionError("no index row for " + name + " in " + index);
  }

  @Test
  void explicitModeLoadsOnlyWhatIsAskedAndReportsStates() {
    Gateway gateway = start(ModelControlMode.EXPLICIT, List.of("simple"));
    try {
      TestClient client = TestGateways.client(gateway);
      JsonNode index = client.post("/v2/repository/index", "").json();
      assertEquals("READY", row(index, "simple").get("state").asText());
      assertEquals("1", row(index, "simple").get("version").asText());
      assertEquals("UNAVAILABLE", row(index, "identity_fp32").get("state").asText());
      assertEquals(1, client.post("/v2/repository/index", "{\"ready\":true}").json().size());
      assertEquals(404, client.get("/v2/models/identity_fp32/ready").status(), "not loaded: unknown to serving");

      assertEquals(200, client.post("/v2/repository/models/identity_fp32/load", "").status());
      assertEquals(200, client.get("/v2/models/identity_fp32/ready").status());
      String body = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}]}";
      assertEquals(200, client.post("/v2/models/identity_fp32/infer", body).status());

      // Reload with a configuration override, as Triton's load request carries it.
      String override = "{\"parameters\":{\"config\":\"{\\\"max_batch_size\\\": 2}\"}}";
      assertEquals(200, client.post("/v2/repository/models/identity_fp32/load", override).status());
      assertEquals(2, client.get("/v2/models/identity_fp32/config").json().get("max_batch_size").asInt());

      assertEquals(200, client.post("/v2/repository/models/identity_fp32/unload", "").status());
      assertEquals(503, client.post("/v2/models/identity_fp32/infer", body).status());
      assertEquals(200, client.get("/v2/health/ready").status(), "an unloaded model is not required");
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void failedLoadIsReportedAndTheServingVersionStays() throws IOException {
    Gateway gateway = start(ModelControlMode.EXPLICIT, List.of("simple"));
    try {
      TestClient client = TestGateways.client(gateway);
      Path repo = dir.resolve("repo");
      Files.createDirectories(repo.resolve("simple/2"));
      Files.write(repo.resolve("simple/2/model.onnx"), new byte[] {1, 2, 3});
      TestClient.Reply failed = client.post("/v2/repository/models/simple/load", "");
      assertEquals(400, failed.status());
      assertTrue(failed.error().contains("simple"), failed.error());
      assertFalse(failed.error().contains(repo.toString()), "no path in errors: " + failed.error());
      assertEquals(200, client.post("/v2/models/simple/infer", HttpEndpointsTest.simpleRequest("")).status());
      JsonNode index = client.post("/v2/repository/index", "").json();
      boolean reported = false;
      for (JsonNode row : index) {
        if (row.get("name").asText().equals("simple") && row.path("version").asText().equals("2")) {
          assertEquals("UNAVAILABLE", row.get("state").asText());
          reported = !row.path("reason").asText().isEmpty();
        }
      }
      assertTrue(reported, "version 2's failure is in the index: " + index);
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void noneModeRefusesLoadAndUnload() {
    Gateway gateway = start(ModelControlMode.NONE, List.of());
    try {
      TestClient client = TestGateways.client(gateway);
      TestClient.Reply refused = client.post("/v2/repository/models/simple/unload", "");
      assertEquals(400, refused.status());
      assertTrue(refused.error().contains("not allowed"), refused.error());
      assertEquals(200, client.post("/v2/models/simple/infer", HttpEndpointsTest.simpleRequest("")).status());
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void traversalAndMalformedBodiesAreRefused() {
    Gateway gateway = start(ModelControlMode.EXPLICIT, List.of());
    try {
      TestClient client = TestGateways.client(gateway);
      for (String name : List.of("..", "%2e%2e", "a%2Fb", "..%2F..%2Fetc")) {
        TestClient.Reply reply = client.post("/v2/repository/models/" + name + "/load", "");
        assertTrue(reply.status() == 400 || reply.status() == 404, name + " -> " + reply.status());
        assertFalse(new String(reply.body()).contains(dir.toString()), new String(reply.body()));
      }
      assertEquals(400, client.post("/v2/repository/models/simple/load", "{\"parameters\":").status());
      assertEquals(400, client.post("/v2/repository/models/simple/load",
          "{\"parameters\":{\"file:1/model.onnx\":\"AAAA\"}}").status());
      assertEquals(405, client.get("/v2/repository/index").status());
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void residencyLoadsAModelOnItsFirstRequest() {
    Gateway gateway = start(new GatewayConfig.RepositorySettings(ModelControlMode.NONE, 15, List.of(), 1L << 30, 0));
    try {
      TestClient client = TestGateways.client(gateway);
      assertEquals(200, client.get("/v2/health/ready").status(), "nothing must be loaded up front");
      TestClient.Reply noTimeout = client.post("/v2/models/simple/infer", HttpEndpointsTest.simpleRequest(""));
      assertEquals(503, noTimeout.status());
      assertTrue(noTimeout.headers().firstValue("Retry-After").isPresent(), "503 carries Retry-After");
      TestClient.Reply waited = client.post("/v2/models/identity_fp32/infer",
          "{\"parameters\":{\"timeout\":60000000},\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],"
              + "\"datatype\":\"FP32\",\"data\":[1,2]}]}");
      assertEquals(200, waited.status(), new String(waited.body()));
    } finally {
      TestGateways.stop(gateway);
    }
  }
}
