package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Every REST endpoint of the protocol against a real gateway serving the example models. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpEndpointsTest {
  Gateway gateway;
  TestClient client;

  @BeforeAll
  void start(@TempDir Path dir) {
    gateway = TestGateways.start(TestGateways.exampleRepository(dir.resolve("repo")));
    client = TestGateways.client(gateway);
  }

  @AfterAll
  void stop() {
    TestGateways.stop(gateway);
  }

  static String ints(int from, int count, int step) {
    return IntStream.range(0, count).map(i -> from + i * step).mapToObj(Integer::toString)
        .collect(Collectors.joining(",", "[", "]"));
  }

  static String simpleRequest(String extra) {
    return "{\"id\":\"req-1\",\"inputs\":["
        + "{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":" + ints(0, 16, 1) + "},"
        + "{\"name\":\"INPUT1\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":" + ints(1, 16, 0) + "}]"
        + extra + "}";
  }

  @Test
  void liveAndReadyAnswer200() {
    assertEquals(200, client.get("/v2/health/live").status());
    assertEquals(200, client.get("/v2/health/ready").status());
  }

  @Test
  void serverMetadataNamesServerAndExtensions() {
    JsonNode meta = client.get("/v2").json();
    assertEquals("neutrino", meta.get("name").asText());
    assertFalse(meta.get("version").asText().isEmpty());
    List<String> extensions = new ArrayList<>();
    meta.get("extensions").forEach(e -> extensions.add(e.asText()));
    assertTrue(extensions.contains("binary_tensor_data"), extensions.toString());
    assertTrue(extensions.contains("model_configuration"), extensions.toString());
  }

  @Test
  void modelMetadataDescribesSimple() {
    for (String path : List.of("/v2/models/simple", "/v2/models/simple/versions/1")) {
      TestClient.Reply reply = client.get(path);
      assertEquals(200, reply.status(), path);
      JsonNode meta = reply.json();
      assertEquals("simple", meta.get("name").asText());
      assertEquals("1", meta.get("versions").get(0).asText());
      assertEquals("onnxruntime_onnx", meta.get("platform").asText());
      assertEquals(2, meta.get("inputs").size());
      JsonNode input0 = meta.get("inputs").get(0);
      assertEquals("INPUT0", input0.get("name").asText());
      assertEquals("INT32", input0.get("datatype").asText());
      assertEquals("[-1,16]", input0.get("shape").toString());
      assertEquals("OUTPUT1", meta.get("outputs").get(1).get("name").asText());
    }
  }

  @Test
  void derivedMetadataMarksVariableDimensions() {
    JsonNode meta = client.get("/v2/models/identity_fp32").json();
    assertEquals("[-1,-1]", meta.get("inputs").get(0).get("shape").toString());
    assertEquals("FP32", meta.get("inputs").get(0).get("datatype").asText());
    JsonNode encoder = client.get("/v2/models/text_encoder").json();
    assertEquals("INT64", encoder.get("inputs").get(0).get("datatype").asText());
    assertEquals("[-1,384]", encoder.get("outputs").get(0).get("shape").toString());
  }

  @Test
  void unknownModelOrVersionIs404WithMessage() {
    TestClient.Reply unknown = client.get("/v2/models/nope");
    assertEquals(404, unknown.status());
    assertTrue(unknown.error().contains("nope"), unknown.error());
    assertEquals(404, client.get("/v2/models/simple/versions/7").status());
    assertEquals(404, client.get("/v2/models/simple/versions/abc/ready").status());
    assertEquals(404, client.post("/v2/models/nope/infer", simpleRequest("")).status());
  }

  @Test
  void modelReadinessWithAndWithoutVersion() {
    assertEquals(200, client.get("/v2/models/simple/ready").status());
    assertEquals(200, client.get("/v2/models/simple/versions/1/ready").status());
    assertEquals(404, client.get("/v2/models/simple/versions/2/ready").status());
  }

  @Test
  void modelConfigUsesTritonFieldNames() {
    JsonNode config = client.get("/v2/models/simple/config").json();
    assertEquals("simple", config.get("name").asText());
    assertEquals(8, config.get("max_batch_size").asInt());
    assertEquals("TYPE_INT32", config.get("input").get(0).get("data_type").asText());
    assertEquals("[\"16\"]", config.get("input").get(0).get("dims").toString());
    assertEquals("KIND_CPU", config.get("instance_group").get(0).get("kind").asText());
    JsonNode batching = client.get("/v2/models/recommender_mlp/config").json().get("dynamic_batching");
    assertTrue(batching != null && batching.get("preferred_batch_size").size() > 0, String.valueOf(batching));
    assertEquals(4, client.get("/v2/models/identity_fp32/config").json().get("max_batch_size").asInt(), "derived: Triton default");
  }

  @Test
  void simpleReturnsExactSumsAndDifferences() {
    TestClient.Reply reply = client.post("/v2/models/simple/infer", simpleRequest(""));
    assertEquals(200, reply.status(), new String(reply.body()));
    JsonNode body = reply.json();
    assertEquals("simple", body.get("model_name").asText());
    assertEquals("1", body.get("model_version").asText());
    assertEquals("req-1", body.get("id").asText());
    JsonNode out0 = body.get("outputs").get(0);
    assertEquals("OUTPUT0", out0.get("name").asText());
    assertEquals("INT32", out0.get("datatype").asText());
    assertEquals("[1,16]", out0.get("shape").toString());
    assertEquals(ints(1, 16, 1), out0.get("data").toString());
    assertEquals(ints(-1, 16, 1), body.get("outputs").get(1).get("data").toString());
  }

  @Test
  void versionedInferenceAndBatchOfSeveralRows() {
    String request = "{\"inputs\":["
        + "{\"name\":\"INPUT0\",\"shape\":[3,16],\"datatype\":\"INT32\",\"data\":[" + ints(0, 16, 1) + "," + ints(100, 16, 1) + "," + ints(-5, 16, 0) + "]},"
        + "{\"name\":\"INPUT1\",\"shape\":[3,16],\"datatype\":\"INT32\",\"data\":" + ints(0, 48, 2) + "}]}";
    TestClient.Reply reply = client.post("/v2/models/simple/versions/1/infer", request);
    assertEquals(200, reply.status(), new String(reply.body()));
    JsonNode sums = reply.json().get("outputs").get(0);
    assertEquals("[3,16]", sums.get("shape").toString());
    for (int i = 0; i < 48; i++) {
      int row = i / 16;
      int col = i % 16;
      int a = row == 0 ? col : row == 1 ? 100 + col : -5;
      assertEquals(a + 2 * i, sums.get("data").get(i).asInt(), "element " + i);
    }
    assertFalse(reply.json().has("id"), "no id sent, none echoed");
  }

  @Test
  void onlyRequestedOutputsAreReturned() {
    TestClient.Reply reply = client.post("/v2/models/simple/infer",
        simpleRequest(",\"outputs\":[{\"name\":\"OUTPUT1\"}]"));
    assertEquals(200, reply.status());
    JsonNode outputs = reply.json().get("outputs");
    assertEquals(1, outputs.size());
    assertEquals("OUTPUT1", outputs.get(0).get("name").asText());
  }

  @Test
  void binaryInputsAndOutputsMatchJson() {
    ByteBuffer raw = ByteBuffer.allocate(2 * 16 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 16; i++) {
      raw.putInt(i);
    }
    for (int i = 0; i < 16; i++) {
      raw.putInt(1);
    }
    String header = "{\"id\":\"b\",\"inputs\":["
        + "{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT32\",\"parameters\":{\"binary_data_size\":64}},"
        + "{\"name\":\"INPUT1\",\"shape\":[1,16],\"datatype\":\"INT32\",\"parameters\":{\"binary_data_size\":64}}],"
        + "\"outputs\":[{\"name\":\"OUTPUT0\",\"parameters\":{\"binary_data\":true}},{\"name\":\"OUTPUT1\"}]}";
    TestClient.Reply reply = client.postBinary("/v2/models/simple/infer", header, raw.array());
    assertEquals(200, reply.status(), new String(reply.body()));
    JsonNode head = reply.header();
    JsonNode out0 = head.get("outputs").get(0);
    assertEquals(64, out0.get("parameters").get("binary_data_size").asInt());
    assertFalse(out0.has("data"));
    assertEquals(ints(-1, 16, 1), head.get("outputs").get(1).get("data").toString());
    ByteBuffer sums = ByteBuffer.wrap(reply.binary()).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(64, sums.remaining());
    for (int i = 0; i < 16; i++) {
      assertEquals(i + 1, sums.getInt(), "element " + i);
    }
  }

  @Test
  void binaryDataOutputMakesEveryOutputBinary() {
    TestClient.Reply reply = client.post("/v2/models/simple/infer",
        simpleRequest(",\"parameters\":{\"binary_data_output\":true}"));
    assertEquals(200, reply.status());
    assertEquals("application/octet-stream", reply.headers().firstValue("Content-Type").orElse(""));
    JsonNode head = reply.header();
    assertEquals(64, head.get("outputs").get(1).get("parameters").get("binary_data_size").asInt());
    ByteBuffer bytes = ByteBuffer.wrap(reply.binary()).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(128, bytes.remaining());
    assertEquals(1, bytes.getInt(0));
    assertEquals(-1, bytes.getInt(64));
  }

  @Test
  void recommenderScoresRowsInOrder() {
    StringBuilder data = new StringBuilder("[");
    for (int i = 0; i < 2 * 256; i++) {
      data.append(i == 0 ? "" : ",").append(i < 256 ? "0.01" : "-0.02");
    }
    data.append("]");
    TestClient.Reply reply = client.post("/v2/models/recommender_mlp/infer",
        "{\"inputs\":[{\"name\":\"features\",\"shape\":[2,256],\"datatype\":\"FP32\",\"data\":" + data + "}]}");
    assertEquals(200, reply.status(), new String(reply.body()));
    JsonNode score = reply.json().get("outputs").get(0);
    assertEquals("[2,1]", score.get("shape").toString());
    for (JsonNode value : score.get("data")) {
      assertTrue(value.asDouble() > 0 && value.asDouble() < 1, value.toString());
    }
  }

  @Test
  void wrongMethodAndUnknownPathAreRefused() {
    assertEquals(405, client.get("/v2/models/simple/infer").status());
    assertEquals(405, client.post("/v2/models/simple", "{}").status());
    assertEquals(404, client.get("/v2/models/simple/bogus").status());
    assertEquals(404, client.get("/other").status());
  }

  @Test
  void failedModelIsReportedAndOthersServe(@TempDir Path other) throws IOException {
    Path repo = TestGateways.exampleRepository(other.resolve("repo"));
    Files.createDirectories(repo.resolve("broken/1"));
    Files.write(repo.resolve("broken/1/model.onnx"), new byte[] {1, 2, 3, 4, 5});
    Files.createDirectories(repo.resolve("badconfig/1"));
    Files.copy(repo.resolve("simple/1/model.onnx"), repo.resolve("badconfig/1/model.onnx"));
    Files.writeString(repo.resolve("badconfig/config.yaml"), "max_batch_size: 8\nsurprise: true\n");
    Gateway second = TestGateways.start(repo);
    try {
      TestClient c = TestGateways.client(second);
      assertEquals(200, c.post("/v2/models/simple/infer", simpleRequest("")).status());
      assertEquals(503, c.get("/v2/health/ready").status(), "a model failed, so not every model is ready");
      TestClient.Reply broken = c.get("/v2/models/broken");
      assertEquals(503, broken.status());
      assertTrue(broken.error().contains("UNAVAILABLE"), broken.error());
      assertFalse(broken.error().contains(other.toString()), "no file path in errors: " + broken.error());
      assertEquals(503, c.get("/v2/models/broken/ready").status());
      TestClient.Reply badConfig = c.get("/v2/models/badconfig");
      assertTrue(badConfig.error().contains("surprise"), badConfig.error());
    } finally {
      TestGateways.stop(second);
    }
  }

  @Test
  void twoGatewaysRunInOneJvm(@TempDir Path other) {
    Gateway second = TestGateways.start(TestGateways.exampleRepository(other.resolve("repo")));
    try {
      assertTrue(second.httpPort() != gateway.httpPort());
      TestClient c = TestGateways.client(second);
      assertEquals(200, c.post("/v2/models/simple/infer", simpleRequest("")).status());
      assertEquals(200, client.post("/v2/models/simple/infer", simpleRequest("")).status());
    } finally {
      TestGateways.stop(second);
    }
    assertEquals(200, client.get("/v2/health/ready").status(), "stopping one leaves the other serving");
  }

  @Test
  void identityEchoesFloatsBitForBit() {
    float[] values = {0f, -0f, 1.5f, Float.MIN_VALUE, Float.MAX_VALUE, -3.25e-7f};
    ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      raw.putFloat(v);
    }
    String header = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[2,3],\"datatype\":\"FP32\","
        + "\"parameters\":{\"binary_data_size\":24}}],\"parameters\":{\"binary_data_output\":true}}";
    TestClient.Reply reply = client.postBinary("/v2/models/identity_fp32/infer", header, raw.array());
    assertEquals(200, reply.status(), new String(reply.body()));
    assertArrayEquals(raw.array(), reply.binary());
  }
}
