package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dynamic batching end to end: a real gateway serving the example repository on ONNX Runtime, 64
 * concurrent HTTP clients on {@code recommender_mlp} (whose config.yaml turns dynamic batching on).
 * The runtime is wrapped only to record the size of each batch it is asked to run; every response
 * is compared with the same rows run in-process on ONNX Runtime.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class BatchingEndToEndTest {
  private static final int CLIENTS = 64;
  private static final int REQUESTS_PER_CLIENT = 5;
  private static final int FEATURES = 256;
  /** Batches of different sizes may take different kernels; a row mixed up with another is far off. */
  private static final double TOLERANCE = 1e-5;

  private final RecordingBackend backend = new RecordingBackend(OnnxRuntimeBackend.create());
  private Gateway gateway;
  private TestClient client;
  private LoadedModel reference;

  @BeforeAll
  void start(@TempDir Path dir) throws ModelLoadException {
    Path repository = TestGateways.exampleRepository(dir.resolve("repo"));
    GatewayConfig config = GatewayConfig.defaults().withHttpPort(0).withGrpcPort(0).withModelRepository(repository);
    gateway = TestGateways.start(config, backend);
    client = TestGateways.client(gateway);
    reference = OnnxRuntimeBackend.create()
        .load(repository.resolve("recommender_mlp").resolve("1").resolve("model.onnx"), LoadOptions.cpu(1));
  }

  @AfterAll
  void stop() {
    TestGateways.stop(gateway);
    if (reference != null) {
      reference.close();
    }
  }

  @Test
  void concurrentClientsAreBatchedAndEachGetsExactlyItsOwnRows() throws Exception {
    int warmUpRuns = backend.batchRows("recommender_mlp").size(); // the load's warm-up ran before traffic
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Integer>> clients = new ArrayList<>();
    try {
      for (int c = 0; c < CLIENTS; c++) {
        int clientId = c;
        clients.add(pool.submit(() -> {
          go.await();
          int rowsSent = 0;
          for (int k = 0; k < REQUESTS_PER_CLIENT; k++) {
            int rows = 1 + (clientId + k) % 3;
            float[] features = features(new Random(1000L * clientId + k), rows);
            TestClient.Reply reply = client.post("/v2/models/recommender_mlp/infer", body(clientId, k, rows, features));
            assertEquals(200, reply.status(), () -> new String(reply.body()));
            assertOwnRows(clientId, k, rows, features, reply.json());
            rowsSent += rows;
          }
          return rowsSent;
        }));
      }
      go.countDown();
      int rows = 0;
      for (Future<Integer> f : clients) {
        rows += f.get(240, TimeUnit.SECONDS);
      }
      List<Integer> all = backend.batchRows("recommender_mlp");
      List<Integer> batches = all.subList(warmUpRuns, all.size());
      assertEquals(rows, batches.stream().mapToInt(Integer::intValue).sum(), "every row ran exactly once");
      double average = (double) rows / batches.size();
      assertTrue(average > 1, "average batch size " + average + " over " + batches.size() + " batches");
      assertTrue(batches.stream().allMatch(b -> b <= 64), "max_batch_size is 64: " + batches);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Requests the gateway reads in one pass of its event loop run as one batch, even with both
   * instances idle: the pass submits them together. Eight gRPC calls go out in one write on one
   * HTTP/2 connection, so the server reads them all in one read; each answer is then checked against
   * its own row run in-process.
   */
  @Test
  void requestsReadInOnePassRunAsOneBatch() throws Exception {
    int calls = 8;
    int before = backend.batchRows("recommender_mlp").size();
    float[][] rows = new float[calls][];
    try (RawHttp2 connection = new RawHttp2(new Socket(gateway.host(), gateway.grpcPort()), true)) {
      ByteArrayOutputStream frames = new ByteArrayOutputStream();
      List<Integer> streams = RawHttp2.clientStreams(1, calls);
      for (int i = 0; i < calls; i++) {
        rows[i] = features(new Random(7_000 + i), 1);
        ByteBuffer raw = ByteBuffer.allocate(4 * FEATURES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(rows[i]);
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("recommender_mlp")
            .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("features").setDatatype("FP32")
                .addShape(1).addShape(FEATURES))
            .addRawInputContents(ByteString.copyFrom(raw.array())).build();
        byte[] headers = RawHttp2.headerBlock(":method", "POST", ":scheme", "http",
            ":path", "/inference.GRPCInferenceService/ModelInfer", ":authority", gateway.host() + ":" + gateway.grpcPort(),
            "content-type", "application/grpc", "te", "trailers");
        RawHttp2.frame(frames, RawHttp2.HEADERS, RawHttp2.END_HEADERS, streams.get(i), headers);
        RawHttp2.frame(frames, RawHttp2.DATA, RawHttp2.END_STREAM, streams.get(i), grpcMessage(request.toByteArray()));
      }
      connection.send(frames.toByteArray());
      connection.awaitEnded(streams);

      for (int i = 0; i < calls; i++) {
        byte[] data = connection.data(streams.get(i));
        ModelInferResponse response = ModelInferResponse.parseFrom(Arrays.copyOfRange(data, 5, data.length));
        float expected;
        synchronized (reference) {
          expected = reference.run(Map.of("features", Tensor.ofFloats(new long[] {1, FEATURES}, rows[i])),
              Set.of("score")).get("score").toFloatArray()[0];
        }
        float answered = ByteBuffer.wrap(response.getRawOutputContents(0).toByteArray())
            .order(ByteOrder.LITTLE_ENDIAN).getFloat();
        assertEquals(expected, answered, TOLERANCE, "call " + i);
      }
    }
    List<Integer> all = backend.batchRows("recommender_mlp");
    assertEquals(List.of(calls), all.subList(before, all.size()), "batches run for the calls of one read");
  }

  /** A gRPC length-prefixed message: not compressed, a big-endian length, the bytes. */
  private static byte[] grpcMessage(byte[] bytes) {
    return ByteBuffer.allocate(5 + bytes.length).put((byte) 0).putInt(bytes.length).put(bytes).array();
  }

  private void assertOwnRows(int clientId, int k, int rows, float[] features, JsonNode response) {
    assertEquals("c" + clientId + "-" + k, response.get("id").asText());
    JsonNode score = response.get("outputs").get(0);
    assertEquals("score", score.get("name").asText());
    assertEquals("[" + rows + ",1]", score.get("shape").toString());
    float[] expected;
    synchronized (reference) { // one run at a time per instance
      expected = reference.run(
          Map.of("features", Tensor.ofFloats(new long[] {rows, FEATURES}, features)), Set.of("score"))
          .get("score").toFloatArray();
    }
    JsonNode data = score.get("data");
    assertEquals(rows, data.size());
    for (int r = 0; r < rows; r++) {
      assertEquals(expected[r], data.get(r).asDouble(), TOLERANCE, "client " + clientId + " request " + k + " row " + r);
    }
  }

  private static float[] features(Random random, int rows) {
    float[] values = new float[rows * FEATURES];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }

  private static String body(int clientId, int k, int rows, float[] features) {
    StringBuilder json = new StringBuilder(rows * FEATURES * 12)
        .append("{\"id\":\"c").append(clientId).append('-').append(k)
        .append("\",\"inputs\":[{\"name\":\"features\",\"shape\":[").append(rows).append(',').append(FEATURES)
        .append("],\"datatype\":\"FP32\",\"data\":[");
    for (int i = 0; i < features.length; i++) {
      json.append(i == 0 ? "" : ",").append(features[i]);
    }
    return json.append("]}]}").toString();
  }

  /** ONNX Runtime, recording how many rows each run of each model was given. */
  private static final class RecordingBackend implements Backend {
    private final Backend delegate;
    private final Map<String, ConcurrentLinkedQueue<Integer>> runs = new ConcurrentHashMap<>();

    RecordingBackend(Backend delegate) {
      this.delegate = delegate;
    }

    List<Integer> batchRows(String model) {
      return new ArrayList<>(runs.getOrDefault(model, new ConcurrentLinkedQueue<>()));
    }

    @Override
    public String name() {
      return delegate.name();
    }

    @Override
    public String platform() {
      return delegate.platform();
    }

    @Override
    public String defaultModelFileName() {
      return delegate.defaultModelFileName();
    }

    @Override
    public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
      LoadedModel model = delegate.load(modelFile, options);
      ConcurrentLinkedQueue<Integer> record = runs.computeIfAbsent(
          modelFile.getParent().getParent().getFileName().toString(), name -> new ConcurrentLinkedQueue<>());
      return new LoadedModel() {
        @Override
        public List<TensorSpec> inputs() {
          return model.inputs();
        }

        @Override
        public List<TensorSpec> outputs() {
          return model.outputs();
        }

        @Override
        public String device() {
          return model.device();
        }

        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
          record.add((int) inputs.values().iterator().next().dim(0));
          return model.run(inputs, outputs);
        }

        @Override
        public void close() {
          model.close();
        }
      };
    }
  }
}
