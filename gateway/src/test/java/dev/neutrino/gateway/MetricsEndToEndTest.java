package dev.neutrino.gateway;

import static dev.neutrino.gateway.Scrapes.key;
import static dev.neutrino.gateway.Scrapes.sum;
import static dev.neutrino.gateway.Scrapes.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelStatistics;
import dev.neutrino.gateway.grpc.proto.ModelStatisticsRequest;
import dev.neutrino.gateway.grpc.proto.ModelStatisticsResponse;
import dev.neutrino.gateway.grpc.proto.ModelStreamInferResponse;
import dev.neutrino.repo.ModelControlMode;
import dev.neutrino.runtime.testing.TestBackend;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metrics and statistics end to end: a real gateway on a test backend, known sequences of requests
 * over HTTP (the JDK's client) and gRPC (grpc-java), then a scrape whose values must be exact. Each
 * test drives its own model, so the tests do not depend on one another's order; the counts are read
 * only once every request has been answered. Nothing here is timed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class MetricsEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_REQUEST_BYTES = 16 * 1024;
  /** One model per test that counts exactly; {@code misc} for the tests that only compare views. */
  private static final List<String> MODELS = List.of("echo", "gated", "cached", "reloaded", "grpcstats", "toolarge",
      "streamtoolarge", "misc");

  private final TestBackend backend = new TestBackend();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private Path repository;
  private Gateway gateway;
  private TestClient client;
  private ManagedChannel channel;
  private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub grpc;

  @BeforeAll
  void start(@TempDir Path dir) throws IOException {
    repository = dir.resolve("repo");
    for (String model : MODELS) {
      Files.createDirectories(repository.resolve(model).resolve("1"));
      Files.writeString(repository.resolve(model).resolve("1").resolve("model.onnx"), "echo");
      Files.writeString(repository.resolve(model).resolve("config.yaml"), "max_batch_size: 8\n");
    }
    Files.writeString(repository.resolve("gated/config.yaml"), """
        max_batch_size: 8
        dynamic_batching:
          default_queue_policy:
            max_queue_size: 2
            allow_timeout_override: true
        """);
    Files.writeString(repository.resolve("cached/config.yaml"), "max_batch_size: 8\nresponse_cache:\n  enable: true\n");
    GatewayConfig config = GatewayConfig.defaults().withHttpPort(0).withModelRepository(repository)
        .withMaxRequestBytes(MAX_REQUEST_BYTES)
        .withRepository(new GatewayConfig.RepositorySettings(ModelControlMode.EXPLICIT, 15, MODELS, 0, 1 << 20))
        .withTelemetry(new GatewayConfig.TelemetrySettings(0, true, "info", false));
    gateway = TestGateways.start(config, backend);
    client = TestGateways.client(gateway);
    channel = Grpc.newChannelBuilderForAddress(gateway.host(), gateway.grpcPort(), InsecureChannelCredentials.create())
        .build();
    grpc = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterAll
  void stop() throws InterruptedException {
    backend.release();
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    TestGateways.stop(gateway);
  }

  private static String body(float... values) {
    StringBuilder data = new StringBuilder();
    for (float v : values) {
      data.append(data.length() == 0 ? "" : ",").append(v);
    }
    return "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1," + values.length + "],\"datatype\":\"FP32\",\"data\":["
        + data + "]}]}";
  }

  private static String path(String model) {
    return "/v2/models/" + model + "/infer";
  }

  private CompletableFuture<HttpResponse<String>> postAsync(String path, String json) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + gateway.host() + ":" + gateway.httpPort() + path))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json))
        .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  private static ModelInferRequest grpcRequest(String model, String datatype, float... values) {
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    for (float v : values) {
      contents.addFp32Contents(v);
    }
    return ModelInferRequest.newBuilder().setModelName(model)
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype(datatype)
            .addShape(1).addShape(values.length).setContents(contents))
        .build();
  }

  private Map<String, Double> scrape() {
    return Scrapes.scrape(gateway);
  }

  private JsonNode stats(String model) {
    TestClient.Reply reply = client.get("/v2/models/" + model + "/versions/1/stats");
    assertEquals(200, reply.status(), new String(reply.body()));
    JsonNode stats = reply.json().get("model_stats");
    assertEquals(1, stats.size());
    return stats.get(0);
  }

  /**
   * A scrape taken once {@code series} reads {@code expected}: a call is counted just after its answer
   * is written (on its event loop), so a scrape served by another event loop right after the answer
   * arrives can come before the count.
   */
  private Map<String, Double> scrapeOnce(String series, double expected) throws InterruptedException {
    awaitValue(series, expected);
    return scrape();
  }

  /** Polls a scraped value until it is {@code expected}; bounded, never a timing assertion. */
  private void awaitValue(String series, double expected) throws InterruptedException {
    for (int i = 0; i < 3000; i++) {
      Double v = scrape().get(series);
      if (v != null && v == expected) {
        return;
      }
      Thread.sleep(10);
    }
    throw new AssertionError(series + " never became " + expected + "; last " + scrape().get(series));
  }

  @Test
  void countsSuccessesAndEachRefusalExactlyPerProtocol() throws InterruptedException {
    double unroutedBefore = sum(scrape(), "neutrino_unrouted_requests_total", "protocol", "http", "code", "404");
    assertEquals(200, client.post(path("echo"), body(1, 2)).status());
    assertEquals(200, client.post(path("echo"), body(3, 4)).status());
    String int32 = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"INT32\",\"data\":[1,2]}]}";
    assertEquals(400, client.post(path("echo"), int32).status());
    assertEquals(413, client.post(path("echo"), body(new float[MAX_REQUEST_BYTES / 2])).status());
    assertEquals(404, client.post("/v2/models/echo/versions/7/infer", body(1)).status(), "no such version");
    assertEquals(1, grpc.modelInfer(grpcRequest("echo", "FP32", 5, 6)).getOutputsCount());
    assertEquals(1, grpc.modelInfer(grpcRequest("echo", "FP32", 7, 8)).getOutputsCount());
    StatusRuntimeException bad = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> grpc.modelInfer(grpcRequest("echo", "INT32", 1)));
    assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());

    Map<String, Double> s = scrapeOnce(key("neutrino_requests_total", "model", "echo", "version", "1", "protocol",
        "grpc", "code", "INVALID_ARGUMENT"), 1);
    String[] v1 = {"model", "echo", "version", "1"};
    assertEquals(2, value(s, key("neutrino_requests_total", "model", "echo", "version", "1", "protocol", "http", "code", "200")));
    assertEquals(1, value(s, key("neutrino_requests_total", "model", "echo", "version", "1", "protocol", "http", "code", "400")));
    assertEquals(1, value(s, key("neutrino_requests_total", "model", "echo", "version", "1", "protocol", "http", "code", "413")));
    assertEquals(2, value(s, key("neutrino_requests_total", "model", "echo", "version", "1", "protocol", "grpc", "code", "OK")));
    assertEquals(1, value(s, key("neutrino_requests_total", "model", "echo", "version", "1", "protocol", "grpc",
        "code", "INVALID_ARGUMENT")));
    assertEquals(7, sum(s, "neutrino_requests_total", v1), "nothing else was counted for echo");
    assertEquals(1, value(s, key("neutrino_rejected_requests_total", "model", "echo", "version", "1", "reason", "body_too_large")));
    assertEquals(1, sum(s, "neutrino_rejected_requests_total", v1), "the other refusals are not rejections at the door");
    assertEquals(unroutedBefore + 1, sum(s, "neutrino_unrouted_requests_total", "protocol", "http", "code", "404"));
    for (String protocol : List.of("http", "grpc")) {
      String[] labels = {"model", "echo", "version", "1", "protocol", protocol};
      double successes = 2;
      assertEquals(successes, value(s, key("neutrino_request_duration_seconds_count", labels)));
      assertEquals(successes, value(s, key("neutrino_request_duration_seconds_bucket", "model", "echo", "version", "1",
          "protocol", protocol, "le", "+Inf")));
      assertTrue(value(s, key("neutrino_request_duration_seconds_sum", labels)) > 0);
      for (String phase : List.of("queue", "compute_input", "compute_infer", "compute_output")) {
        assertEquals(successes, value(s, key("neutrino_" + phase + "_duration_seconds_count", labels)), phase);
      }
    }
    assertEquals(4, value(s, key("neutrino_batch_size_sum", v1)), "four rows ran, one per success");
    assertEquals(4, value(s, key("neutrino_batch_size_count", v1)), "unbatched: one batch per request");
    assertEquals(0, value(s, key("neutrino_inflight_requests", "model", "echo")));
    assertEquals(1, value(s, key("neutrino_model_instances", "model", "echo", "device", "cpu")));
  }

  @Test
  void countsQueueFullAndDeadlineExactly() throws Exception {
    CompletableFuture<HttpResponse<String>> held = postAsync(path("gated"), body(TestBackend.HOLD, 0));
    assertTrue(backend.holding.await(30, TimeUnit.SECONDS), "the first request holds the only instance");
    String expiring = "{\"parameters\":{\"timeout\":1000},\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],"
        + "\"datatype\":\"FP32\",\"data\":[7,7]}]}";
    assertEquals(504, client.post(path("gated"), expiring).status(), "its timeout passed in the queue");
    CompletableFuture<HttpResponse<String>> c = postAsync(path("gated"), body(1, 1));
    CompletableFuture<HttpResponse<String>> d = postAsync(path("gated"), body(2, 2));
    awaitValue(key("neutrino_queue_depth", "model", "gated"), 2);
    Map<String, Double> waiting = scrape();
    assertEquals(3, value(waiting, key("neutrino_inflight_requests", "model", "gated")), "queued ones included");
    assertTrue(value(waiting, key("neutrino_queue_oldest_age_seconds", "model", "gated")) > 0);
    TestClient.Reply full = client.post(path("gated"), body(3, 3));
    assertEquals(429, full.status(), "the queue holds two");
    assertNotNull(full.headers().firstValue("Retry-After").orElse(null));
    backend.release();
    for (CompletableFuture<HttpResponse<String>> f : List.of(held, c, d)) {
      assertEquals(200, f.get(60, TimeUnit.SECONDS).statusCode());
    }

    Map<String, Double> s = scrapeOnce(key("neutrino_requests_total", "model", "gated", "version", "1", "protocol",
        "http", "code", "200"), 3);
    String[] v1 = {"model", "gated", "version", "1"};
    String[] http1 = {"model", "gated", "version", "1", "protocol", "http"};
    assertEquals(3, value(s, key("neutrino_requests_total", "model", "gated", "version", "1", "protocol", "http", "code", "200")));
    assertEquals(1, value(s, key("neutrino_requests_total", "model", "gated", "version", "1", "protocol", "http", "code", "504")));
    assertEquals(1, value(s, key("neutrino_requests_total", "model", "gated", "version", "1", "protocol", "http", "code", "429")));
    assertEquals(5, sum(s, "neutrino_requests_total", v1));
    assertEquals(1, value(s, key("neutrino_rejected_requests_total", "model", "gated", "version", "1", "reason", "queue_full")));
    assertEquals(1, sum(s, "neutrino_rejected_requests_total", v1));
    assertEquals(1, value(s, key("neutrino_expired_requests_total", v1)));
    assertEquals(0, value(s, key("neutrino_cancelled_requests_total", v1)));
    assertEquals(3, value(s, key("neutrino_request_duration_seconds_count", http1)));
    assertEquals(3, value(s, key("neutrino_queue_duration_seconds_count", http1)));
    assertEquals(3, value(s, key("neutrino_batch_size_sum", v1)), "three rows ran");
    double batches = value(s, key("neutrino_batch_size_count", v1));
    assertTrue(batches >= 2 && batches <= 3, "the held request alone, then the two queued ones: " + batches);
    assertEquals(batches, value(s, key("neutrino_batch_size_bucket", "model", "gated", "version", "1", "le", "+Inf")));
    assertEquals(0, value(s, key("neutrino_inflight_requests", "model", "gated")));
    assertEquals(0, value(s, key("neutrino_queue_depth", "model", "gated")));
    assertEquals(0, value(s, key("neutrino_queue_oldest_age_seconds", "model", "gated")));

    JsonNode stats = stats("gated");
    assertEquals(3, stats.at("/inference_stats/success/count").asLong());
    assertEquals(2, stats.at("/inference_stats/fail/count").asLong());
    assertEquals(3, stats.get("inference_count").asLong());
    assertEquals((long) batches, stats.get("execution_count").asLong());
    assertTrue(stats.get("last_inference").asLong() > 0);
  }

  @Test
  void countsCacheHitsAndMissesAndTheirTime() {
    assertEquals(200, client.post(path("cached"), body(9, 9)).status());
    assertEquals(200, client.post(path("cached"), body(9, 9)).status());
    Map<String, Double> s = scrape();
    String[] v1 = {"model", "cached", "version", "1"};
    String[] http1 = {"model", "cached", "version", "1", "protocol", "http"};
    assertEquals(1, value(s, key("neutrino_cache_hits_total", v1)));
    assertEquals(1, value(s, key("neutrino_cache_misses_total", v1)));
    assertEquals(2, value(s, key("neutrino_request_duration_seconds_count", http1)), "a hit is a success");
    assertEquals(1, value(s, key("neutrino_queue_duration_seconds_count", http1)), "a hit never queued");
    assertEquals(1, value(s, key("neutrino_batch_size_sum", v1)), "a hit never ran");
    assertTrue(value(s, "neutrino_response_cache_bytes") > 0);
    JsonNode stats = stats("cached");
    assertEquals(1, stats.at("/inference_stats/cache_hit/count").asLong());
    assertEquals(1, stats.at("/inference_stats/cache_miss/count").asLong());
    long hitNs = stats.at("/inference_stats/cache_hit/ns").asLong();
    long missNs = stats.at("/inference_stats/cache_miss/ns").asLong();
    assertTrue(hitNs > 0, "the hit's lookup was timed: " + stats);
    assertTrue(missNs > 0, "the miss's lookup and insertion were timed: " + stats);
    assertEquals(2, stats.at("/inference_stats/success/count").asLong());
    assertEquals(1, stats.get("inference_count").asLong());

    ModelStatistics grpcStats = grpc.modelStatistics(
        ModelStatisticsRequest.newBuilder().setName("cached").setVersion("1").build()).getModelStats(0);
    assertEquals(1, grpcStats.getInferenceStats().getCacheHit().getCount());
    assertEquals(hitNs, grpcStats.getInferenceStats().getCacheHit().getNs(), "gRPC and REST read the same counters");
    assertEquals(1, grpcStats.getInferenceStats().getCacheMiss().getCount());
    assertEquals(missNs, grpcStats.getInferenceStats().getCacheMiss().getNs());

    Map<String, Double> after = scrape();
    assertEquals(hitNs / 1e9, value(after, key("neutrino_cache_hit_duration_seconds_total", v1)), 1e-9);
    assertEquals(missNs / 1e9, value(after, key("neutrino_cache_miss_duration_seconds_total", v1)), 1e-9);
    assertEquals(1, value(after, key("nv_cache_num_hits_per_model", v1)));
    assertEquals(hitNs / 1000.0, value(after, key("nv_cache_hit_duration_per_model", v1)), 1e-3);
    assertEquals(missNs / 1000.0, value(after, key("nv_cache_miss_duration_per_model", v1)), 1e-3);
  }

  @Test
  void statisticsReportTheLoadedVersionsMemory() {
    Map<String, Double> s = scrape();
    double footprint = value(s, key("neutrino_model_memory_bytes", "model", "misc", "version", "1"));
    assertTrue(footprint > 0, "the model's files, once per instance");
    JsonNode memory = stats("misc").get("memory_usage");
    assertNotNull(memory, "memory_usage is reported");
    assertEquals(1, memory.size(), memory.toString());
    assertEquals("CPU", memory.get(0).get("type").asText());
    assertEquals(0, memory.get(0).get("id").asLong());
    assertEquals((long) footprint, memory.get(0).get("byte_size").asLong());

    ModelStatistics grpcStats = grpc.modelStatistics(
        ModelStatisticsRequest.newBuilder().setName("misc").setVersion("1").build()).getModelStats(0);
    assertEquals(1, grpcStats.getMemoryUsageCount());
    assertEquals("CPU", grpcStats.getMemoryUsage(0).getType());
    assertEquals(0, grpcStats.getMemoryUsage(0).getId());
    assertEquals((long) footprint, grpcStats.getMemoryUsage(0).getByteSize());
    for (ModelStatistics every : grpc.modelStatistics(ModelStatisticsRequest.getDefaultInstance()).getModelStatsList()) {
      assertTrue(every.getMemoryUsageCount() == 1 && every.getMemoryUsage(0).getByteSize() > 0, every.getName());
    }
  }

  @Test
  void grpcMessageOverTheLimitIsCountedUnderItsModelOnly() {
    String unrouted = key("neutrino_unrouted_requests_total", "code", "RESOURCE_EXHAUSTED", "protocol", "grpc");
    double unroutedBefore = scrape().getOrDefault(unrouted, 0.0);
    ModelInferRequest large = grpcRequest("toolarge", "FP32", new float[MAX_REQUEST_BYTES / 2]);
    assertTrue(large.getSerializedSize() > MAX_REQUEST_BYTES);
    StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> grpc.modelInfer(large));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());

    Map<String, Double> s = scrape();
    String[] v1 = {"model", "toolarge", "version", "1"};
    assertEquals(1, value(s, key("neutrino_requests_total", "model", "toolarge", "version", "1", "protocol", "grpc",
        "code", "RESOURCE_EXHAUSTED")));
    assertEquals(1, sum(s, "neutrino_requests_total", v1), "counted once, and nothing else");
    assertEquals(1, value(s, key("neutrino_rejected_requests_total", "model", "toolarge", "version", "1",
        "reason", "body_too_large")));
    assertEquals(1, sum(s, "neutrino_rejected_requests_total", v1));
    assertEquals(1, stats("toolarge").at("/inference_stats/fail/count").asLong());
    assertEquals(unroutedBefore, s.getOrDefault(unrouted, 0.0), "a known model's refusal is not unrouted");

    Set<String> before = labelledSeries(s);
    ModelInferRequest unknown = grpcRequest("grpc-oversized-unknown", "FP32", new float[MAX_REQUEST_BYTES / 2]);
    StatusRuntimeException alsoRefused = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> grpc.modelInfer(unknown));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, alsoRefused.getStatus().getCode());
    Map<String, Double> after = scrape();
    Set<String> added = new TreeSet<>(labelledSeries(after));
    added.removeAll(before);
    added.remove(unrouted); // at most this one series: protocol and code, no model
    assertEquals(Set.of(), added, "no series for an unknown name");
    assertTrue(after.keySet().stream().noneMatch(k -> k.contains("oversized-unknown")));
    assertEquals(unroutedBefore + 1, value(after, unrouted));
    assertEquals(1, sum(after, "neutrino_requests_total", v1), "the known model's count did not move");
  }

  @Test
  void streamMessageOverTheLimitIsCountedUnderItsModel() throws Exception {
    GRPCInferenceServiceGrpc.GRPCInferenceServiceStub async = GRPCInferenceServiceGrpc.newStub(channel);
    java.util.concurrent.BlockingQueue<Object> events = new java.util.concurrent.LinkedBlockingQueue<>();
    io.grpc.stub.StreamObserver<ModelInferRequest> requests = async.modelStreamInfer(
        new io.grpc.stub.StreamObserver<ModelStreamInferResponse>() {
          @Override
          public void onNext(ModelStreamInferResponse response) {
            events.add(response);
          }

          @Override
          public void onError(Throwable error) {
            events.add(error);
          }

          @Override
          public void onCompleted() {
            events.add("completed");
          }
        });
    requests.onNext(grpcRequest("streamtoolarge", "FP32", 1, 2));
    Object first = events.poll(60, TimeUnit.SECONDS);
    assertTrue(first instanceof ModelStreamInferResponse r && r.getErrorMessage().isEmpty(), String.valueOf(first));
    requests.onNext(grpcRequest("streamtoolarge", "FP32", new float[MAX_REQUEST_BYTES / 2]));
    Object end = events.poll(60, TimeUnit.SECONDS);
    assertTrue(end instanceof StatusRuntimeException e && e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED,
        String.valueOf(end));
    requests.onError(new IllegalStateException("done")); // cancels the client side

    Map<String, Double> s = scrape();
    String[] v1 = {"model", "streamtoolarge", "version", "1"};
    assertEquals(1, value(s, key("neutrino_requests_total", "model", "streamtoolarge", "version", "1",
        "protocol", "grpc", "code", "OK")), "the message before it was served");
    assertEquals(1, value(s, key("neutrino_requests_total", "model", "streamtoolarge", "version", "1",
        "protocol", "grpc", "code", "RESOURCE_EXHAUSTED")), "the second message's prefix was found");
    assertEquals(2, sum(s, "neutrino_requests_total", v1));
    assertEquals(1, value(s, key("neutrino_rejected_requests_total", "model", "streamtoolarge", "version", "1",
        "reason", "body_too_large")));
  }

  @Test
  void countersSurviveAReloadInExplicitMode() throws Exception {
    assertEquals(200, client.post(path("reloaded"), body(1)).status());
    assertEquals(1, value(scrape(), key("neutrino_model_loads_total", "model", "reloaded")));
    assertEquals(200, client.post("/v2/repository/models/reloaded/load", "").status());
    assertEquals(200, client.post(path("reloaded"), body(2)).status());
    Map<String, Double> s = scrapeOnce(key("neutrino_requests_total", "model", "reloaded", "version", "1", "protocol",
        "http", "code", "200"), 2);
    String[] v1 = {"model", "reloaded", "version", "1"};
    assertEquals(2, value(s, key("neutrino_requests_total", "model", "reloaded", "version", "1", "protocol", "http", "code", "200")));
    assertEquals(2, value(s, key("neutrino_model_loads_total", "model", "reloaded")));
    assertEquals(0, value(s, key("neutrino_model_load_failures_total", "model", "reloaded")));
    assertEquals(0, value(s, key("neutrino_model_unloads_total", "model", "reloaded")));
    assertEquals(1, value(s, key("neutrino_model_state", "model", "reloaded", "version", "1", "state", "READY")));
    assertEquals(0, value(s, key("neutrino_model_state", "model", "reloaded", "version", "1", "state", "LOADING")));
    assertEquals(1, value(s, key("neutrino_model_instances", "model", "reloaded", "device", "cpu")),
        "only the serving instance");
    assertEquals(2, value(s, key("neutrino_batch_size_sum", v1)), "the old scheduler's rows are kept");
    assertEquals(2, value(s, key("neutrino_batch_size_count", v1)));
    JsonNode stats = stats("reloaded");
    assertEquals(2, stats.get("inference_count").asLong());
    assertEquals(2, stats.get("execution_count").asLong());
    assertEquals(2, stats.at("/inference_stats/success/count").asLong());
  }

  @Test
  void aThousandUnknownModelNamesAddNoSeries() {
    assertEquals(404, client.post(path("no-such-model"), body(1)).status()); // the unrouted series exists
    Set<String> before = labelledSeries(scrape());
    for (int i = 0; i < 1000; i++) {
      assertEquals(404, client.post(path("unknown-" + i), body(1)).status());
    }
    for (int i = 0; i < 50; i++) {
      int n = i;
      StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
          () -> grpc.modelInfer(grpcRequest("grpc-unknown-" + n, "FP32", 1)));
      assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
      assertEquals(404, client.get("/v2/models/meta-unknown-" + n).status());
      assertEquals(404, client.get("/v2/models/stats-unknown-" + n + "/stats").status());
    }
    Map<String, Double> after = scrape();
    Set<String> grpcUnrouted = Set.of(key("neutrino_unrouted_requests_total", "code", "NOT_FOUND", "protocol", "grpc"));
    Set<String> added = new TreeSet<>(labelledSeries(after));
    added.removeAll(before);
    added.removeAll(grpcUnrouted); // at most this one series: protocol and code, no model
    assertEquals(Set.of(), added, "no series for unknown names");
    assertTrue(after.keySet().stream().noneMatch(k -> k.contains("unknown-")), "no unknown name anywhere");
  }

  /** The series of the gateway's own metrics (JVM and process ones carry no request-supplied labels). */
  private static Set<String> labelledSeries(Map<String, Double> scrape) {
    return scrape.keySet().stream().filter(k -> k.startsWith("neutrino_") || k.startsWith("nv_"))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void statisticsAgreeWithTheMetrics() {
    assertEquals(200, client.post(path("misc"), body(8, 8)).status());
    JsonNode all = client.get("/v2/models/stats").json().get("model_stats");
    Map<String, Double> s = scrape();
    assertEquals(MODELS.size(), all.size(), "one entry per loaded version");
    for (JsonNode model : all) {
      String name = model.get("name").asText();
      String[] v = {"model", name, "version", model.get("version").asText()};
      JsonNode inference = model.get("inference_stats");
      assertEquals(sum(s, "neutrino_request_duration_seconds_count", v), inference.at("/success/count").asDouble(), name);
      assertEquals(sum(s, "neutrino_request_duration_seconds_sum", v), inference.at("/success/ns").asDouble() / 1e9,
          1e-6, name);
      double answered = sum(s, "neutrino_requests_total", v);
      assertEquals(answered - inference.at("/success/count").asDouble(), inference.at("/fail/count").asDouble(), name);
      assertEquals(sum(s, "neutrino_queue_duration_seconds_count", v), inference.at("/queue/count").asDouble(), name);
      assertEquals(sum(s, "neutrino_queue_duration_seconds_sum", v), inference.at("/queue/ns").asDouble() / 1e9, 1e-6);
      assertEquals(sum(s, "neutrino_compute_infer_duration_seconds_count", v),
          inference.at("/compute_infer/count").asDouble(), name);
      assertEquals(sum(s, "neutrino_batch_size_sum", v), model.get("inference_count").asDouble(), name);
      assertEquals(sum(s, "neutrino_batch_size_count", v), model.get("execution_count").asDouble(), name);
      long batches = 0;
      for (JsonNode batch : model.get("batch_stats")) {
        batches += batch.at("/compute_infer/count").asLong();
        assertTrue(batch.get("batch_size").asLong() > 0);
      }
      assertEquals(model.get("execution_count").asLong(), batches, name);
      assertEquals(sum(s, "neutrino_cache_hits_total", v), inference.at("/cache_hit/count").asDouble(), name);
    }
  }

  @Test
  void tritonNamesCarryTheSameFacts() {
    assertEquals(200, client.post(path("misc"), body(5, 5)).status());
    Map<String, Double> s = scrape();
    JsonNode stats = stats("misc");
    String[] v1 = {"model", "misc", "version", "1"};
    assertEquals(stats.at("/inference_stats/success/count").asDouble(), value(s, key("nv_inference_request_success", v1)));
    assertEquals(stats.at("/inference_stats/fail/count").asDouble(), value(s, key("nv_inference_request_failure", v1)));
    assertEquals(stats.get("inference_count").asDouble(), value(s, key("nv_inference_count", v1)));
    assertEquals(stats.get("execution_count").asDouble(), value(s, key("nv_inference_exec_count", v1)));
    assertEquals(stats.at("/inference_stats/success/ns").asDouble() / 1000,
        value(s, key("nv_inference_request_duration_us", v1)), 1e-3);
    assertEquals(stats.at("/inference_stats/queue/ns").asDouble() / 1000,
        value(s, key("nv_inference_queue_duration_us", v1)), 1e-3);
    for (String phase : List.of("input", "infer", "output")) {
      assertEquals(stats.at("/inference_stats/compute_" + phase + "/ns").asDouble() / 1000,
          value(s, key("nv_inference_compute_" + phase + "_duration_us", v1)), 1e-3, phase);
    }
    assertEquals(0, value(s, key("nv_inference_pending_request_count", v1)));
  }

  @Test
  void servesOpenMetricsWhenAskedAndTextOtherwise() {
    HttpResponse<String> text = Scrapes.get(gateway, null);
    assertTrue(text.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
    assertTrue(text.body().contains("# TYPE neutrino_requests_total counter"));
    HttpResponse<String> open = Scrapes.get(gateway, "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assertTrue(open.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
    assertTrue(open.body().contains("# TYPE neutrino_requests counter"));
    assertTrue(open.body().contains("# UNIT neutrino_request_duration_seconds seconds"));
    assertTrue(open.body().endsWith("# EOF\n"));
  }

  @Test
  void grpcModelStatisticsMatchesRest() {
    assertEquals(200, client.post(path("grpcstats"), body(4, 4)).status());
    grpc.modelInfer(grpcRequest("grpcstats", "FP32", 4, 4));
    ModelStatisticsResponse response = grpc.modelStatistics(
        ModelStatisticsRequest.newBuilder().setName("grpcstats").setVersion("1").build());
    assertEquals(1, response.getModelStatsCount());
    ModelStatistics stats = response.getModelStats(0);
    JsonNode rest = stats("grpcstats");
    assertEquals("grpcstats", stats.getName());
    assertEquals("1", stats.getVersion());
    assertEquals(2, stats.getInferenceStats().getSuccess().getCount());
    assertEquals(rest.at("/inference_stats/success/ns").asLong(), stats.getInferenceStats().getSuccess().getNs());
    assertEquals(rest.get("inference_count").asLong(), stats.getInferenceCount());
    assertEquals(rest.get("execution_count").asLong(), stats.getExecutionCount());
    assertEquals(rest.get("last_inference").asLong(), stats.getLastInference());
    assertEquals(rest.get("batch_stats").size(), stats.getBatchStatsCount());
    assertEquals(MODELS.size(), grpc.modelStatistics(ModelStatisticsRequest.getDefaultInstance()).getModelStatsCount());
    StatusRuntimeException unknown = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> grpc.modelStatistics(ModelStatisticsRequest.newBuilder().setName("nope").build()));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
  }

  @Test
  void dashboardQueriesOnlySeriesTheGatewayExports() throws IOException {
    assertEquals(200, client.post(path("misc"), body(6, 6)).status());
    assertEquals(404, client.post(path("dashboard-unknown"), body(1)).status());
    Set<String> exported = Scrapes.names(scrape());
    JsonNode dashboard = JSON.readTree(Files.readString(Path.of("..", "helm", "neutrino", "dashboards", "neutrino.json")));
    List<String> expressions = new ArrayList<>();
    collectExpressions(dashboard, expressions);
    assertTrue(expressions.size() >= 15, "the dashboard has its queries: " + expressions.size());
    Set<String> used = new TreeSet<>();
    for (String expr : expressions) {
      Set<String> names = metricNames(expr);
      assertFalse(names.isEmpty(), "no metric in " + expr);
      for (String name : names) {
        if (name.startsWith("neutrino_generation_")) {
          continue; // series of generative models, which this gateway has none of: GenerationEndToEndTest checks them
        }
        assertTrue(exported.contains(name), "the dashboard queries " + name + ", which the gateway does not export: "
            + expr);
      }
      used.addAll(names);
    }
    for (String required : List.of("neutrino_requests_total", "neutrino_request_duration_seconds_bucket",
        "neutrino_queue_duration_seconds_sum", "neutrino_batch_size_bucket", "neutrino_inflight_requests",
        "neutrino_queue_depth", "neutrino_rejected_requests_total", "neutrino_model_state",
        "neutrino_admission_model_limit", "neutrino_admission_model_refused_total")) {
      assertTrue(used.contains(required), "the dashboard shows " + required);
    }
  }

  /** Every PromQL expression of a dashboard: panel targets' {@code expr} and query variables. */
  private static void collectExpressions(JsonNode node, List<String> out) {
    if (node.isObject()) {
      JsonNode expr = node.get("expr");
      if (expr != null && expr.isTextual()) {
        out.add(expr.asText());
      }
      JsonNode query = node.get("query");
      if (query != null && query.isObject() && query.has("query")) {
        out.add(query.get("query").asText());
      }
      node.fields().forEachRemaining(e -> collectExpressions(e.getValue(), out));
    } else if (node.isArray()) {
      node.forEach(child -> collectExpressions(child, out));
    }
  }

  private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left",
      "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan");

  /**
   * The metric names a PromQL expression reads: identifiers left once strings, label matchers, range
   * selectors, grouping clauses and Grafana variables are removed, less function names (followed by
   * a parenthesis) and keywords. Grafana's {@code label_values(metric, label)} reads its metric.
   */
  static Set<String> metricNames(String expr) {
    Set<String> names = new TreeSet<>();
    Matcher labelValues = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)").matcher(expr);
    if (labelValues.find()) {
      names.add(labelValues.group(1));
      return names;
    }
    String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
        .replaceAll("\\{[^}]*}", " ")
        .replaceAll("\\[[^]]*]", " ")
        .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
        .replaceAll("\\$\\{?\\w+}?", " ");
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

  @Test
  void readsMetricNamesOutOfPromQl() {
    assertEquals(Set.of("a_total", "b_bucket"), metricNames(
        "sum by (model, le) (rate(a_total{code!~\"2..|OK\",x=\"}\"}[$__rate_interval])) / on(model) group_left "
            + "histogram_quantile(0.99, b_bucket{le=\"+Inf\"}) > bool 1e-3"));
    assertEquals(Set.of("m"), metricNames("label_values(m, model)"));
  }
}
