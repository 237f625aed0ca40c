package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.ModelConfig;
import dev.neutrino.gateway.grpc.proto.ModelConfigRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example ensemble {@code text_scorer} ({@code text_encoder}, then {@code embedding_scorer})
 * served from the example repository, called over HTTP (the JDK's client) and gRPC (grpc-java), and
 * compared with its two models called one by one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnsembleEndToEndTest {
  private static final int SEQUENCE = 128;

  private Gateway gateway;
  private TestClient client;
  private ManagedChannel channel;
  private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub grpc;

  @BeforeAll
  void start(@TempDir Path dir) {
    gateway = TestGateways.start(TestGateways.exampleRepository(dir.resolve("repo")));
    client = TestGateways.client(gateway);
    channel = Grpc.newChannelBuilderForAddress(gateway.host(), gateway.grpcPort(), InsecureChannelCredentials.create())
        .build();
    grpc = GRPCInferenceServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    TestGateways.stop(gateway);
  }

  private static long[] tokens(int rows, long seed) {
    Random random = new Random(seed);
    long[] ids = new long[rows * SEQUENCE];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = random.nextInt(8192);
    }
    return ids;
  }

  private static String json(Object value) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonNode inferHttp(String model, String input, String datatype, long[] shape, Object data) {
    String body = json(Map.of("inputs", new Object[] {
        Map.of("name", input, "datatype", datatype, "shape", shape, "data", data)}));
    TestClient.Reply reply = client.post("/v2/models/" + model + "/infer", body);
    assertEquals(200, reply.status(), new String(reply.body()));
    return reply.json().get("outputs").get(0);
  }

  private static float[] floats(JsonNode output) {
    float[] values = new float[output.get("data").size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) output.get("data").get(i).asDouble();
    }
    return values;
  }

  @Test
  void answersOverHttpWhatItsStepsAnswerOneByOne() {
    long[] ids = tokens(3, 1);
    JsonNode score = inferHttp("text_scorer", "input_ids", "INT64", new long[] {3, SEQUENCE}, ids);
    assertEquals("score", score.get("name").asText());
    assertEquals("[3,1]", score.get("shape").toString());

    float[] embedding = floats(inferHttp("text_encoder", "input_ids", "INT64", new long[] {3, SEQUENCE}, ids));
    float[] expected = floats(inferHttp("embedding_scorer", "embedding", "FP32", new long[] {3, 384}, embedding));
    assertArrayEquals(expected, floats(score), 1e-6f);
    for (float value : expected) {
      assertTrue(value > 0 && value < 1, "a score in (0,1): " + value);
    }
  }

  @Test
  void answersOverGrpcWhatItsStepsAnswerOneByOne() {
    long[] ids = tokens(2, 2);
    ByteBuffer raw = ByteBuffer.allocate(ids.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long id : ids) {
      raw.putLong(id);
    }
    ModelInferResponse ensemble = grpc.withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(rawRequest("text_scorer",
        "input_ids", "INT64", new long[] {2, SEQUENCE}, raw.array()));
    ModelInferResponse encoded = grpc.withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(rawRequest("text_encoder",
        "input_ids", "INT64", new long[] {2, SEQUENCE}, raw.array()));
    ModelInferResponse scored = grpc.withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(rawRequest(
        "embedding_scorer", "embedding", "FP32", new long[] {2, 384}, encoded.getRawOutputContents(0).toByteArray()));
    assertEquals("text_scorer", ensemble.getModelName());
    assertEquals("score", ensemble.getOutputs(0).getName());
    assertEquals(java.util.List.of(2L, 1L), ensemble.getOutputs(0).getShapeList());
    assertArrayEquals(littleEndianFloats(scored.getRawOutputContents(0)),
        littleEndianFloats(ensemble.getRawOutputContents(0)), 1e-6f);
  }

  private static ModelInferRequest rawRequest(String model, String input, String datatype, long[] shape, byte[] raw) {
    ModelInferRequest.InferInputTensor.Builder tensor = ModelInferRequest.InferInputTensor.newBuilder()
        .setName(input).setDatatype(datatype);
    for (long dim : shape) {
      tensor.addShape(dim);
    }
    return ModelInferRequest.newBuilder().setModelName(model).addInputs(tensor)
        .addRawInputContents(ByteString.copyFrom(raw)).build();
  }

  private static float[] littleEndianFloats(ByteString bytes) {
    ByteBuffer buffer = bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[buffer.remaining() / 4];
    for (int i = 0; i < values.length; i++) {
      values[i] = buffer.getFloat();
    }
    return values;
  }

  @Test
  void failingStepFailsTheRequestNamingTheStep() {
    long[] ids = tokens(1, 3);
    ids[5] = 9000; // past the text encoder's vocabulary: its Gather fails in the runtime
    String body = json(Map.of("inputs", new Object[] {
        Map.of("name", "input_ids", "datatype", "INT64", "shape", new long[] {1, SEQUENCE}, "data", ids)}));
    TestClient.Reply reply = client.post("/v2/models/text_scorer/infer", body);
    assertEquals(500, reply.status(), new String(reply.body()));
    assertTrue(reply.error().startsWith("ensemble 'text_scorer' step 0 (model 'text_encoder'): "), reply.error());
  }

  @Test
  void servesMetadataConfigStatisticsAndMetricsOfTheEnsembleAndItsSteps() throws InterruptedException {
    JsonNode metadata = client.get("/v2/models/text_scorer").json();
    assertEquals("ensemble", metadata.get("platform").asText());
    assertEquals("input_ids", metadata.get("inputs").get(0).get("name").asText());
    assertEquals("[-1,128]", metadata.get("inputs").get(0).get("shape").toString());
    assertEquals(200, client.get("/v2/models/text_scorer/ready").status());

    JsonNode config = client.get("/v2/models/text_scorer/config").json();
    assertEquals("ensemble", config.get("platform").asText());
    JsonNode steps = config.get("ensemble_scheduling").get("step");
    assertEquals("text_encoder", steps.get(0).get("model_name").asText());
    assertEquals("sentence_embedding", steps.get(0).get("output_map").get("embedding").asText());
    assertEquals("sentence_embedding", steps.get(1).get("input_map").get("embedding").asText());

    ModelConfig grpcConfig = grpc.withDeadlineAfter(60, TimeUnit.SECONDS)
        .modelConfig(ModelConfigRequest.newBuilder().setName("text_scorer").build()).getConfig();
    assertEquals("ensemble", grpcConfig.getPlatform());
    assertEquals(2, grpcConfig.getEnsembleScheduling().getStepCount());
    assertEquals("embedding_scorer", grpcConfig.getEnsembleScheduling().getStep(1).getModelName());
    assertEquals(Map.of("score", "score"), grpcConfig.getEnsembleScheduling().getStep(1).getOutputMapMap());

    double stepsBefore = stepRequests();
    long ensembleBefore = successes("text_scorer");
    inferHttp("text_scorer", "input_ids", "INT64", new long[] {1, SEQUENCE}, tokens(1, 4));
    inferHttp("text_scorer", "input_ids", "INT64", new long[] {2, SEQUENCE}, tokens(2, 5));
    assertEquals(ensembleBefore + 2, successes("text_scorer"));
    // A step's request is counted once its result is in, which may be a moment after the answer.
    for (int i = 0; i < 3000 && stepRequests() < stepsBefore + 2; i++) {
      Thread.sleep(10);
    }
    assertEquals(stepsBefore + 2, stepRequests());
    JsonNode scorer = client.get("/v2/models/embedding_scorer/versions/1/stats").json().get("model_stats").get(0);
    assertTrue(scorer.get("inference_stats").get("success").get("count").asLong() >= 2, scorer.toString());
    Map<String, Double> scrape = Scrapes.scrape(gateway);
    assertTrue(Scrapes.sum(scrape, "neutrino_requests_total", "model", "text_scorer", "protocol", "http",
        "code", "200") >= 2);
    assertEquals(0, Scrapes.sum(scrape, "neutrino_model_instances", "model", "text_scorer"));
  }

  private long successes(String model) {
    JsonNode stats = client.get("/v2/models/" + model + "/versions/1/stats").json().get("model_stats").get(0);
    return stats.get("inference_stats").get("success").get("count").asLong();
  }

  private double stepRequests() {
    return Scrapes.sum(Scrapes.scrape(gateway), "neutrino_requests_total", "model", "embedding_scorer",
        "protocol", "ensemble", "code", "OK");
  }
}
