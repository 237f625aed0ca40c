package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
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

  /** JSON of a load request whose configuration override is {@code config}. */
  private static String loadWithOverride(String config) {
    return "{\"parameters\":{\"config\":" + TextNode.valueOf(config) + "}}";
  }

  @Test
  void hostileLoadOverridesAreRefusedNamingTheFieldAndTheLimit() {
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    // Two cores for models: at most 8 instances per model and 2 threads per instance.
    GatewayConfig config = GatewayConfig.fromYaml("cpu_threads: 2\nmax_request_bytes: 1048576\n",
        GatewayConfig.defaults().withHttpPort(0).withModelRepository(repo)
            .withRepository(new GatewayConfig.RepositorySettings(ModelControlMode.EXPLICIT, 15, List.of("simple"), 0, 0)));
    Gateway gateway = TestGateways.start(config);
    try {
      TestClient client = TestGateways.client(gateway);
      TestClient.Reply threads = client.post("/v2/repository/models/simple/load", loadWithOverride(
          "{\"instance_group\": [{\"count\": 64}], \"parameters\": {\"intra_op_thread_count\": \"16\"}}"));
      assertEquals(400, threads.status());
      assertTrue(threads.error().contains("instance_group count 64 is over the limit of 8 instances per model"),
          threads.error());
      TestClient.Reply intraOp = client.post("/v2/repository/models/simple/load", loadWithOverride(
          "{\"parameters\": {\"intra_op_thread_count\": \"16\"}}"));
      assertEquals(400, intraOp.status());
      assertTrue(intraOp.error().contains("intra_op_thread_count 16 is over the limit of 2 threads per instance"),
          intraOp.error());
      TestClient.Reply warmup = client.post("/v2/repository/models/simple/load", loadWithOverride(
          "{\"model_warmup\": [{\"name\": \"huge\", \"inputs\": {\"INPUT0\": {\"data_type\": \"TYPE_INT32\","
              + " \"dims\": [200000000]}}}]}"));
      assertEquals(400, warmup.status());
      assertTrue(warmup.error().contains(
          "model_warmup 'huge': inputs of 800000000 bytes are over the limit of 1048576 bytes"), warmup.error());
      TestClient.Reply count = client.post("/v2/repository/models/simple/load", loadWithOverride(
          "{\"model_warmup\": [{\"name\": \"often\", \"count\": 200000}]}"));
      assertEquals(400, count.status());
      assertTrue(count.error().contains("model_warmup 'often': count 200000 is over the limit of 1000"), count.error());
      assertEquals(200, client.post("/v2/models/simple/infer", HttpEndpointsTest.simpleRequest("")).status(),
          "the version that served before still serves");
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void loadsOfUnknownNamesLeaveNoIndexRow() {
    Gateway gateway = start(ModelControlMode.EXPLICIT, List.of("simple"));
    try {
      TestClient client = TestGateways.client(gateway);
      JsonNode before = client.post("/v2/repository/index", "").json();
      for (int i = 0; i < 20; i++) {
        assertEquals(400, client.post("/v2/repository/models/ghost_" + i + "/load", "").status());
      }
      assertEquals(before, client.post("/v2/repository/index", "").json());
      assertEquals(200, client.get("/v2/health/ready").status(), "a failed load of an unknown name is forgotten");
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
