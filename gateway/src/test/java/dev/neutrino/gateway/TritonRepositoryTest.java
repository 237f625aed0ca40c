package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.neutrino.repo.ModelControlMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A repository in Triton's layout, with config.pbtxt files written as Triton's documentation writes
 * them: each model serves with exactly its file's configuration (read back through {@code /config}
 * and seen in behaviour), or fails to load naming the field.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class TritonRepositoryTest {
  /** Triton's quick-start {@code simple}, on ONNX Runtime. */
  private static final String SIMPLE = """
      name: "simple"
      platform: "onnxruntime_onnx"
      max_batch_size: 8
      input [
        {
          name: "INPUT0"
          data_type: TYPE_INT32
          dims: [ 16 ]
        },
        {
          name: "INPUT1"
          data_type: TYPE_INT32
          dims: [ 16 ]
        }
      ]
      output [
        {
          name: "OUTPUT0"
          data_type: TYPE_INT32
          dims: [ 16 ]
        },
        {
          name: "OUTPUT1"
          data_type: TYPE_INT32
          dims: [ 16 ]
        }
      ]
      """;

  /** The identity model ({@code [-1,-1]} on disk) narrowed to rows of 4, batching in pairs, with priorities. */
  private static final String PAIRS = """
      max_batch_size: 16
      input [ { name: "INPUT0", data_type: TYPE_FP32, dims: [ 4 ] } ]
      output [ { name: "OUTPUT0", data_type: TYPE_FP32, dims: [ 4 ] } ]
      dynamic_batching {
        preferred_batch_size: [ 2 ]
        max_queue_delay_microseconds: 60000000
        priority_levels: 2
        default_priority_level: 2
        priority_queue_policy {
          key: 1
          value: {
            timeout_action: DELAY
            default_timeout_microseconds: 20000000
            allow_timeout_override: true
          }
        }
      }
      instance_group [ { count: 1, kind: KIND_CPU } ]
      """;

  private static final String WARMUP = """
      model_warmup [
        {
          name: "zeros"
          batch_size: 2
          inputs {
            key: "INPUT0"
            value: { data_type: TYPE_INT32 dims: [ 16 ] zero_data: true }
          }
          inputs {
            key: "INPUT1"
            value: { data_type: TYPE_INT32 dims: [ 16 ] random_data: true }
          }
        }
      ]
      """;

  /** Triton's TensorRT accelerator for ONNX Runtime, as Triton's optimization guide writes it; run here on the CPU. */
  private static final String ACCELERATED = """
      max_batch_size: 8
      instance_group [ { count: 1, kind: KIND_CPU } ]
      optimization {
        execution_accelerators {
          gpu_execution_accelerator : [ {
            name : "tensorrt"
            parameters { key: "precision_mode" value: "FP16" }
            parameters { key: "max_workspace_size_bytes" value: "1073741824" }
            parameters { key: "trt_engine_cache_enable" value: "true" }
          } ]
        }
        cuda { graphs: false }
      }
      """;

  private Gateway gateway;
  private TestClient client;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    Path examples = TestGateways.exampleRepository(dir.resolve("examples"));
    Path repo = dir.resolve("triton");
    model(repo, "simple", examples.resolve("simple/1/model.onnx"), SIMPLE, 1);
    model(repo, "pairs", examples.resolve("identity_fp32/1/model.onnx"), PAIRS, 1);
    model(repo, "versioned", examples.resolve("simple/1/model.onnx"),
        "version_policy: { specific: { versions: [ 1, 3 ] } }\n", 1, 2, 3);
    model(repo, "warm", examples.resolve("simple/1/model.onnx"), WARMUP, 1);
    model(repo, "accelerated", examples.resolve("simple/1/model.onnx"), ACCELERATED, 1);
    model(repo, "sequence", examples.resolve("simple/1/model.onnx"),
        SIMPLE.replace("\"simple\"", "\"sequence\"") + "sequence_batching { max_sequence_idle_microseconds: 5000000 }\n",
        1);
    model(repo, "both", examples.resolve("simple/1/model.onnx"), "max_batch_size: 8\n", 1);
    Files.writeString(repo.resolve("both/config.yaml"), "max_batch_size: 8\n");
    model(repo, "contradicts", examples.resolve("simple/1/model.onnx"),
        SIMPLE.replace("\"simple\"", "\"contradicts\"").replaceFirst("TYPE_INT32", "TYPE_FP32"), 1);
    GatewayConfig config = GatewayConfig.defaults().withHttpPort(0).withModelRepository(repo)
        .withRepository(new GatewayConfig.RepositorySettings(ModelControlMode.EXPLICIT, 15, List.of("*"), 0, 0));
    gateway = TestGateways.start(config);
    client = TestGateways.client(gateway);
  }

  private static void model(Path repo, String name, Path onnx, String pbtxt, long... versions) throws Exception {
    for (long version : versions) {
      Path folder = repo.resolve(name).resolve(Long.toString(version));
      Files.createDirectories(folder);
      Files.copy(onnx, folder.resolve("model.onnx"));
    }
    Files.writeString(repo.resolve(name).resolve("config.pbtxt"), pbtxt);
  }

  @AfterAll
  void stop() {
    TestGateways.stop(gateway);
  }

  private static String floats(String id, float value) {
    return "{\"id\":\"" + id + "\",\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":["
        + value + "," + value + "," + value + "," + value + "]}]}";
  }

  @Test
  void theQuickStartSimpleServesWithItsConfiguration() {
    JsonNode config = client.get("/v2/models/simple/config").json();
    assertEquals(8, config.get("max_batch_size").asInt());
    assertEquals("[\"16\"]", config.get("input").get(1).get("dims").toString());
    assertEquals("TYPE_INT32", config.get("output").get(1).get("data_type").asText());
    assertTrue(config.has("dynamic_batching"), "auto-complete adds the dynamic batcher: " + config);
    assertEquals(200, client.post("/v2/models/simple/infer", HttpEndpointsTest.simpleRequest("")).status());
  }

  @Test
  void dynamicBatchingWithPrioritiesIsServedAsWritten() throws Exception {
    JsonNode batching = client.get("/v2/models/pairs/config").json().get("dynamic_batching");
    assertEquals("[2]", batching.get("preferred_batch_size").toString());
    assertEquals("60000000", batching.get("max_queue_delay_microseconds").asText());
    assertEquals("2", batching.get("priority_levels").asText());
    assertEquals("2", batching.get("default_priority_level").asText());
    JsonNode level1 = batching.get("priority_queue_policy").get("1");
    assertEquals("DELAY", level1.get("timeout_action").asText());
    assertTrue(level1.get("allow_timeout_override").asBoolean());

    TestClient.Reply forbidden = client.post("/v2/models/pairs/infer",
        "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,5],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5]}]}");
    assertEquals(400, forbidden.status(), "the model takes [-1,-1]; the file narrows it to rows of 4");
    assertTrue(forbidden.error().contains("INPUT0"), forbidden.error());

    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CompletableFuture<TestClient.Reply> first =
          CompletableFuture.supplyAsync(() -> client.post("/v2/models/pairs/infer", floats("a", 1f)), pool);
      CompletableFuture<TestClient.Reply> second =
          CompletableFuture.supplyAsync(() -> client.post("/v2/models/pairs/infer", floats("b", 2f)), pool);
      assertEquals(200, first.get(120, TimeUnit.SECONDS).status());
      assertEquals(200, second.get(120, TimeUnit.SECONDS).status());
      assertEquals("[2.0,2.0,2.0,2.0]",
          second.get().json().get("outputs").get(0).get("data").toString());
    } finally {
      pool.shutdownNow();
    }
    JsonNode stats = client.get("/v2/models/pairs/stats").json().get("model_stats").get(0);
    assertEquals(2, stats.get("inference_count").asLong());
    assertEquals(1, stats.get("execution_count").asLong(), "the two requests formed one batch: " + stats);
  }

  @Test
  void theVersionPolicyServesTheVersionsItNames() {
    assertEquals(200, client.get("/v2/models/versioned/versions/1/ready").status());
    assertEquals(200, client.get("/v2/models/versioned/versions/3/ready").status());
    assertTrue(client.get("/v2/models/versioned/versions/2/ready").status() >= 400, "version 2 is not served");
    JsonNode policy = client.get("/v2/models/versioned/config").json().get("version_policy");
    assertEquals("[\"1\",\"3\"]", policy.get("specific").get("versions").toString());
  }

  @Test
  void theWarmupIsRunAndReported() {
    assertEquals(200, client.get("/v2/models/warm/ready").status());
    JsonNode warmup = client.get("/v2/models/warm/config").json().get("model_warmup").get(0);
    assertEquals("zeros", warmup.get("name").asText());
    assertEquals(2, warmup.get("batch_size").asInt());
    assertTrue(warmup.get("inputs").get("INPUT1").get("random_data").asBoolean());
  }

  @Test
  void unsupportedFieldsAndContradictionsFailTheLoadNamingThem() {
    TestClient.Reply sequence = client.get("/v2/models/sequence");
    assertEquals(503, sequence.status());
    assertTrue(sequence.error().contains("config.pbtxt: sequence_batching is not supported"), sequence.error());
    TestClient.Reply both = client.get("/v2/models/both");
    assertTrue(both.error().contains("both config.pbtxt and config.yaml are present"), both.error());
    TestClient.Reply contradicts = client.get("/v2/models/contradicts");
    assertTrue(contradicts.error().contains("input 'INPUT0': data_type TYPE_FP32 does not match the model's TYPE_INT32"),
        contradicts.error());
  }

  @Test
  void theConfigurationReadFromConfigLoadsBackUnchanged() {
    String before = new String(client.get("/v2/models/pairs/config").body(), java.nio.charset.StandardCharsets.UTF_8);
    TestClient.Reply load = client.post("/v2/repository/models/pairs/load",
        "{\"parameters\":{\"config\":" + TextNode.valueOf(before) + "}}");
    assertEquals(200, load.status(), load.error());
    String after = new String(client.get("/v2/models/pairs/config").body(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(before, after);
    TestClient.Reply refused = client.post("/v2/repository/models/pairs/load",
        "{\"parameters\":{\"config\":" + TextNode.valueOf("{\"max_batch_size\": 16, \"sequence_batching\": {}}") + "}}");
    assertEquals(400, refused.status());
    assertTrue(refused.error().contains("sequence_batching is not supported"), refused.error());
  }

  @Test
  void theTensorrtAcceleratorIsPrintedBackUnderTritonsNamesAndLoadsBackUnchanged() {
    String before = new String(client.get("/v2/models/accelerated/config").body(),
        java.nio.charset.StandardCharsets.UTF_8);
    JsonNode optimization = client.get("/v2/models/accelerated/config").json().get("optimization");
    JsonNode accelerator = optimization.get("execution_accelerators").get("gpu_execution_accelerator").get(0);
    assertEquals("tensorrt", accelerator.get("name").asText());
    JsonNode parameters = accelerator.get("parameters");
    assertEquals(3, parameters.size(), parameters.toString());
    assertEquals("FP16", parameters.get("precision_mode").asText());
    assertEquals("1073741824", parameters.get("max_workspace_size_bytes").asText());
    assertEquals("true", parameters.get("trt_engine_cache_enable").asText());
    assertEquals(false, optimization.get("cuda").get("graphs").asBoolean(true));
    TestClient.Reply load = client.post("/v2/repository/models/accelerated/load",
        "{\"parameters\":{\"config\":" + TextNode.valueOf(before) + "}}");
    assertEquals(200, load.status(), load.error());
    String after = new String(client.get("/v2/models/accelerated/config").body(),
        java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(before, after);
  }
}
