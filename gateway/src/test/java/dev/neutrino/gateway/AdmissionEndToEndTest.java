package dev.neutrino.gateway;

import static dev.neutrino.gateway.Scrapes.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.neutrino.gateway.admission.AdmissionSettings;
import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelStreamInferResponse;
import dev.neutrino.gateway.grpc.proto.ServerLiveRequest;
import dev.neutrino.repo.ModelControlMode;
import dev.neutrino.runtime.testing.TestBackend;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front door over loopback: a real gateway with a small fixed concurrency limit and a model held
 * busy by the test backend, called by the JDK's HttpClient, raw sockets and grpc-java.
 */
class AdmissionEndToEndTest {
  private static final int MAX_REQUEST_BYTES = 16 * 1024;
  private static final String INFER = "/v2/models/gated/infer";

  private final TestBackend backend = new TestBackend();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private Gateway gateway;
  private TestClient client;
  private ManagedChannel channel;

  private void start(Path dir, int limit) throws IOException {
    start(dir, AdmissionSettings.fixed(limit), "gated");
  }

  private void start(Path dir, AdmissionSettings admission, String... models) throws IOException {
    Path repository = dir.resolve("repo");
    for (String model : models) {
      Files.createDirectories(repository.resolve(model + "/1"));
      Files.writeString(repository.resolve(model + "/1/model.onnx"), "echo");
      Files.writeString(repository.resolve(model + "/config.yaml"), "max_batch_size: 8\n");
    }
    GatewayConfig config = GatewayConfig.defaults().withHttpPort(0).withModelRepository(repository)
        .withMaxRequestBytes(MAX_REQUEST_BYTES)
        .withRepository(new GatewayConfig.RepositorySettings(ModelControlMode.EXPLICIT, 15, List.of(models), 0, 0))
        .withAdmission(admission);
    gateway = TestGateways.start(config, backend);
    client = TestGateways.client(gateway);
    channel = Grpc.newChannelBuilderForAddress(gateway.host(), gateway.grpcPort(), InsecureChannelCredentials.create())
        .build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    backend.release();
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    TestGateways.stop(gateway);
  }

  private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub grpc() {
    return GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  private static String body(float... values) {
    StringBuilder data = new StringBuilder();
    for (float v : values) {
      data.append(data.length() == 0 ? "" : ",").append(v);
    }
    return "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1," + values.length + "],\"datatype\":\"FP32\",\"data\":["
        + data + "]}]}";
  }

  private static ModelInferRequest grpcRequest(String id, float first) {
    return ModelInferRequest.newBuilder().setModelName("gated").setId(id)
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
            .addShape(1).addShape(2)
            .setContents(InferTensorContents.newBuilder().addFp32Contents(first).addFp32Contents(2)))
        .build();
  }

  private CompletableFuture<HttpResponse<String>> postAsync(String path, String json) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + gateway.host() + ":" + gateway.httpPort() + path))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json))
        .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  private double scraped(String series) {
    Double value = Scrapes.scrape(gateway).get(series);
    return value == null ? Double.NaN : value;
  }

  private static final String IN_FLIGHT = "neutrino_admission_inflight_requests";

  /** Waits, bounded, until {@code series} reads {@code expected}: requests reach the door on their own time. */
  private void awaitValue(String series, double expected) throws InterruptedException {
    for (int i = 0; i < 3000; i++) {
      if (scraped(series) == expected) {
        return;
      }
      Thread.sleep(10);
    }
    throw new AssertionError(series + " never became " + expected + "; last " + scraped(series));
  }

  /** One HTTP/1.1 response read off a raw socket: status, headers (lower-cased names), body. */
  private record RawReply(int status, Map<String, String> headers, String body) {}

  private static RawReply read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the connection closed before a response: " + head);
      }
      head.write(b);
      matched = (b == '\r' || b == '\n') && (matched % 2 == 0) == (b == '\r') ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String[] lines = head.toString(StandardCharsets.US_ASCII).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(length);
    return new RawReply(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  @Test
  void refusesTheRequestOverTheLimitAtTheDoorOnEveryProtocolAndAdmitsAgainOnceReleased(@TempDir Path dir)
      throws Exception {
    start(dir, 2);
    assertEquals(2, scraped("neutrino_admission_limit"));
    CompletableFuture<HttpResponse<String>> held = postAsync(INFER, body(TestBackend.HOLD, 0));
    assertTrue(backend.holding.await(60, TimeUnit.SECONDS));
    CompletableFuture<HttpResponse<String>> queued = postAsync(INFER, body(1, 1));
    awaitValue(IN_FLIGHT, 2);

    // HTTP/1.1: headers only; the 429 arrives while the body is still unsent.
    String json = body(5, 5);
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST " + INFER + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + json.length() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      RawReply refused = read(socket.getInputStream());
      assertEquals(429, refused.status());
      assertTrue(refused.headers().getOrDefault("retry-after", "").matches("[1-9][0-9]*"), refused.headers().toString());
      assertTrue(refused.body().contains("\"error\"") && refused.body().contains("concurrency limit of 2"),
          refused.body());
      // The body was never needed: sent now, it is dropped, and the connection serves the next request.
      out.write(json.getBytes(StandardCharsets.US_ASCII));
      out.write("GET /v2/health/live HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertEquals(200, read(socket.getInputStream()).status());
    }

    // OpenAI's routes pass the same door, answered in OpenAI's error shape.
    TestClient.Reply embeddings = client.post("/v1/embeddings", "{\"model\":\"gated\",\"input\":\"hi\"}");
    assertEquals(429, embeddings.status());
    assertTrue(embeddings.json().path("error").path("message").asText().contains("concurrency limit of 2"),
        new String(embeddings.body(), StandardCharsets.UTF_8));

    // gRPC: RESOURCE_EXHAUSTED with the same message.
    StatusRuntimeException grpcRefusal = assertThrows(StatusRuntimeException.class,
        () -> grpc().modelInfer(grpcRequest("g", 3)));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, grpcRefusal.getStatus().getCode());
    assertTrue(grpcRefusal.getStatus().getDescription().contains("concurrency limit of 2"),
        grpcRefusal.getStatus().getDescription());

    // A stream answers that request's error and stays open.
    CompletableFuture<ModelStreamInferResponse> streamed = new CompletableFuture<>();
    CompletableFuture<Void> streamEnded = new CompletableFuture<>();
    StreamObserver<ModelInferRequest> requests = GRPCInferenceServiceGrpc.newStub(channel)
        .withDeadlineAfter(60, TimeUnit.SECONDS).modelStreamInfer(new StreamObserver<>() {
          @Override
          public void onNext(ModelStreamInferResponse answer) {
            streamed.complete(answer);
          }

          @Override
          public void onError(Throwable error) {
            streamEnded.completeExceptionally(error);
          }

          @Override
          public void onCompleted() {
            streamEnded.complete(null);
          }
        });
    requests.onNext(grpcRequest("s1", 4));
    ModelStreamInferResponse streamRefusal = streamed.get(60, TimeUnit.SECONDS);
    assertTrue(streamRefusal.getErrorMessage().contains("concurrency limit of 2"), streamRefusal.getErrorMessage());
    assertEquals("s1", streamRefusal.getInferResponse().getId());
    requests.onCompleted();
    streamEnded.get(60, TimeUnit.SECONDS);

    // Health, metadata and metrics are never refused.
    assertEquals(200, client.get("/v2/health/live").status());
    assertEquals(200, client.get("/v2/health/ready").status());
    assertEquals(200, client.get("/v2/models/gated").status());
    assertTrue(grpc().serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
    Map<String, Double> s = Scrapes.scrape(gateway);
    assertEquals(2, s.get(key("neutrino_admission_refused_total", "protocol", "http", "reason", "concurrency_limit")));
    assertEquals(2, s.get(key("neutrino_admission_refused_total", "protocol", "grpc", "reason", "concurrency_limit")));
    assertEquals(2, s.get(key(IN_FLIGHT)));
    assertTrue(backend.ran.stream().noneMatch(v -> v == 3f || v == 4f || v == 5f), "refused requests never ran");

    backend.release();
    assertEquals(200, held.get(60, TimeUnit.SECONDS).statusCode());
    assertEquals(200, queued.get(60, TimeUnit.SECONDS).statusCode());
    awaitValue(IN_FLIGHT, 0);
    assertEquals(200, client.post(INFER, body(6, 6)).status());
    ModelInferResponse answered = grpc().modelInfer(grpcRequest("after", 7));
    assertEquals("after", answered.getId());
  }

  /**
   * A ModelInferRequest naming {@code model}, then an inputs field that does not parse (a tensor
   * whose first byte is the invalid tag 0): its bytes are whole, so a reader that skips fields gets
   * past it.
   */
  private static byte[] unparsable(String model) {
    return unparsable(model, "");
  }

  /** As {@link #unparsable(String)}, with the request's id. */
  private static byte[] unparsable(String model, String id) {
    byte[] named = ModelInferRequest.newBuilder().setModelName(model).setModelVersion("1").setId(id).build()
        .toByteArray();
    byte[] bytes = Arrays.copyOf(named, named.length + 3);
    bytes[named.length] = 0x2a; // field 5 (inputs), length-delimited
    bytes[named.length + 1] = 0x01; // one byte
    bytes[named.length + 2] = 0x00; // tag 0: no field has the number 0
    return bytes;
  }

  /** ModelInfer with {@code message} sent as it is, through grpc-java with a pass-through marshaller. */
  private byte[] rawInfer(byte[] message) {
    MethodDescriptor<byte[], byte[]> method = MethodDescriptor.newBuilder(PASS_THROUGH, PASS_THROUGH)
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName())
        .build();
    return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS),
        message);
  }

  /** ModelStreamInfer with {@code message} sent as it is: the stream's first answer, after the client half-closes. */
  private ModelStreamInferResponse rawStream(byte[] message) throws Exception {
    MethodDescriptor<byte[], byte[]> method = MethodDescriptor.newBuilder(PASS_THROUGH, PASS_THROUGH)
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName(GRPCInferenceServiceGrpc.getModelStreamInferMethod().getFullMethodName())
        .build();
    CompletableFuture<byte[]> first = new CompletableFuture<>();
    StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(
        channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS)), new StreamObserver<>() {
          @Override
          public void onNext(byte[] answer) {
            first.complete(answer);
          }

          @Override
          public void onError(Throwable error) {
            first.completeExceptionally(error);
          }

          @Override
          public void onCompleted() {
            first.completeExceptionally(new AssertionError("the stream ended without an answer"));
          }
        });
    requests.onNext(message);
    requests.onCompleted();
    return ModelStreamInferResponse.parseFrom(first.get(60, TimeUnit.SECONDS));
  }

  private static final MethodDescriptor.Marshaller<byte[]> PASS_THROUGH = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(InputStream in) {
        try {
          return in.readAllBytes();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };

  @Test
  void aModelAtItsLimitIsRefusedWhileAnotherModelIsServedOnEveryProtocol(@TempDir Path dir) throws Exception {
    // Adaptive, at its floor of 2 until a window of 16 answers has closed: far more than this test sends.
    start(dir, new AdmissionSettings(AdmissionSettings.Mode.ADAPTIVE, 2, 64, 2.0), "gated", "other");
    CompletableFuture<HttpResponse<String>> held = postAsync(INFER, body(TestBackend.HOLD, 0));
    assertTrue(backend.holding.await(60, TimeUnit.SECONDS));
    CompletableFuture<HttpResponse<String>> queued = postAsync(INFER, body(1, 1));
    awaitValue(key("neutrino_admission_model_inflight_requests", "model", "gated"), 2);

    HttpResponse<String> refused = postAsync(INFER, body(5, 5)).get(60, TimeUnit.SECONDS);
    assertEquals(429, refused.statusCode());
    assertTrue(refused.body().contains("model 'gated' is over its concurrency limit of 2 requests in flight"),
        refused.body());
    StatusRuntimeException grpcRefusal = assertThrows(StatusRuntimeException.class,
        () -> grpc().modelInfer(grpcRequest("g", 3)));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, grpcRefusal.getStatus().getCode());
    assertTrue(grpcRefusal.getStatus().getDescription().contains("model 'gated'"),
        grpcRefusal.getStatus().getDescription());
    // Refused on its name alone, before it is parsed: a message whose tensors would not even parse.
    Status unparsed =
        Status.fromThrowable(assertThrows(StatusRuntimeException.class, () -> rawInfer(unparsable("gated"))));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, unparsed.getCode());
    assertTrue(unparsed.getDescription().contains("model 'gated' is over its concurrency limit of 2"),
        unparsed.getDescription());
    // The same bytes for a model under its limit reach the parser, which refuses them.
    Status parsed =
        Status.fromThrowable(assertThrows(StatusRuntimeException.class, () -> rawInfer(unparsable("other"))));
    assertEquals(Status.Code.INVALID_ARGUMENT, parsed.getCode());
    // A stream's request too, answered with its model, version and id, and the stream goes on.
    ModelStreamInferResponse streamRefusal = rawStream(unparsable("gated", "s-7"));
    assertTrue(streamRefusal.getErrorMessage().contains("model 'gated' is over its concurrency limit of 2"),
        streamRefusal.getErrorMessage());
    assertEquals("gated", streamRefusal.getInferResponse().getModelName());
    assertEquals("1", streamRefusal.getInferResponse().getModelVersion());
    assertEquals("s-7", streamRefusal.getInferResponse().getId());
    ModelStreamInferResponse streamParsed = rawStream(unparsable("other", "s-8"));
    assertFalse(streamParsed.getErrorMessage().contains("concurrency limit"), streamParsed.getErrorMessage());
    assertEquals("", streamParsed.getInferResponse().getId(), "a message that does not parse is answered without an id");

    // OpenAI's routes name the model in the body: once it is read, the request moves to that model's limit.
    TestClient.Reply embeddings = client.post("/v1/embeddings", "{\"model\":\"gated\",\"input\":\"hi\"}");
    assertEquals(429, embeddings.status());
    String message = embeddings.json().path("error").path("message").asText();
    assertTrue(message.contains("model 'gated' is over its concurrency limit of 2"), message);
    TestClient.Reply otherEmbeddings = client.post("/v1/embeddings", "{\"model\":\"other\",\"input\":\"hi\"}");
    assertEquals(404, otherEmbeddings.status(), "past the door, answered for what it is: 'other' makes no embeddings");

    // The other model's requests pass, over both protocols, while gated's are refused.
    for (int i = 0; i < 3; i++) {
      assertEquals(200, client.post("/v2/models/other/infer", body(6, 6)).status());
      assertEquals("o" + i, grpc().modelInfer(grpcRequest("o" + i, 7).toBuilder().setModelName("other").build())
          .getId());
    }
    Map<String, Double> s = Scrapes.scrape(gateway);
    assertEquals(2, s.get(key("neutrino_admission_model_limit", "model", "gated")));
    assertEquals(5, s.get(key("neutrino_admission_model_refused_total", "model", "gated")));
    assertEquals(0, s.get(key("neutrino_admission_model_inflight_requests", "model", "")));
    assertEquals(0, s.get(key("neutrino_admission_model_refused_total", "model", "other")));
    assertEquals(0, s.get(key("neutrino_admission_model_inflight_requests", "model", "other")));
    assertEquals(64, s.get(key("neutrino_admission_limit")), "the gateway's cap");
    assertEquals(2, s.get(key(IN_FLIGHT)));
    assertEquals(2, s.get(key("neutrino_admission_refused_total", "protocol", "http", "reason", "concurrency_limit")));
    assertEquals(3, s.get(key("neutrino_admission_refused_total", "protocol", "grpc", "reason", "concurrency_limit")));
    assertTrue(backend.ran.stream().noneMatch(v -> v == 3f || v == 5f), "refused requests never ran");

    backend.release();
    assertEquals(200, held.get(60, TimeUnit.SECONDS).statusCode());
    assertEquals(200, queued.get(60, TimeUnit.SECONDS).statusCode());
    awaitValue(IN_FLIGHT, 0);
    assertEquals(200, client.post(INFER, body(8, 8)).status());
  }

  @Test
  void aBodyStillArrivingHoldsNoPlace(@TempDir Path dir) throws Exception {
    start(dir, 2);
    String json = body(8, 8);
    List<Socket> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        Socket socket = new Socket(gateway.host(), gateway.httpPort());
        socket.setSoTimeout(30_000);
        stalled.add(socket);
        socket.getOutputStream().write(("POST " + INFER + " HTTP/1.1\r\nHost: localhost\r\n"
            + "Content-Type: application/json\r\nContent-Length: " + json.length() + "\r\n\r\n{")
            .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
      }
      awaitTrue(() -> gateway.edge().bodies().reservedBytes() == 3, "each stalled body's first byte arrived");
      assertEquals(0, scraped(IN_FLIGHT));
      assertEquals(200, client.post(INFER, json).status(), "three stalled bodies take none of the two places");
      OutputStream out = stalled.get(0).getOutputStream();
      out.write(json.substring(1).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertEquals(200, read(stalled.get(0).getInputStream()).status(), "a stalled body that completes is served");
    } finally {
      for (Socket socket : stalled) {
        socket.close();
      }
    }
    awaitValue(IN_FLIGHT, 0);
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    for (int i = 0; i < 3000; i++) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(10);
    }
    throw new AssertionError(what);
  }

  @Test
  void permitsNeverLeakWhateverWayACallEnds(@TempDir Path dir) throws Exception {
    int limit = 3;
    start(dir, limit);
    String json = body(1, 2);
    for (int round = 0; round < 2 * limit; round++) {
      assertEquals(200, client.post(INFER, json).status());
      assertEquals(400, client.post(INFER, "{\"inputs\": [").status());
      assertEquals(400, client.post(INFER, "{\"inputs\":[{\"name\":\"NOPE\",\"shape\":[1,1],\"datatype\":\"FP32\","
          + "\"data\":[1]}]}").status());
      assertEquals(404, client.post("/v2/models/missing/infer", json).status());
      assertEquals(500, client.post(INFER, body(TestBackend.FAIL, 0)).status());
      assertEquals(413, client.post(INFER, body(new float[MAX_REQUEST_BYTES / 2])).status());
      assertEquals(404, client.post("/v1/embeddings", "{\"model\":\"missing\",\"input\":\"hi\"}").status());
      assertEquals(400, client.post("/v2/models/gated/generate", "{\"text_input\": 1}").status());
      // The client goes away in the middle of its body.
      try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
        socket.getOutputStream().write(("POST " + INFER + " HTTP/1.1\r\nHost: localhost\r\n"
            + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"inputs\"")
            .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
      }
      // gRPC: success, unknown model, bad input, a message over the limit.
      assertEquals("ok", grpc().modelInfer(grpcRequest("ok", 1)).getId());
      assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class,
          () -> grpc().modelInfer(grpcRequest("x", 1).toBuilder().setModelName("missing").build())).getStatus().getCode());
      assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(StatusRuntimeException.class,
          () -> grpc().modelInfer(grpcRequest("x", 1).toBuilder().setInputs(0, grpcRequest("x", 1).getInputs(0)
              .toBuilder().setDatatype("INT8")).build())).getStatus().getCode());
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, assertThrows(StatusRuntimeException.class,
          () -> grpc().modelInfer(ModelInferRequest.newBuilder().setModelName("gated")
              .addRawInputContents(ByteString.copyFrom(new byte[2 * MAX_REQUEST_BYTES])).build())).getStatus().getCode());
    }

    // Cancelled while held or queued: an HTTP client that goes away, a gRPC call the client cancels.
    CompletableFuture<HttpResponse<String>> held = postAsync(INFER, body(TestBackend.HOLD, 0));
    assertTrue(backend.holding.await(60, TimeUnit.SECONDS));
    List<Socket> gone = new ArrayList<>();
    Socket leaving = new Socket(gateway.host(), gateway.httpPort());
    gone.add(leaving);
    leaving.getOutputStream().write(("POST " + INFER + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + json.length() + "\r\n\r\n" + json).getBytes(StandardCharsets.US_ASCII));
    leaving.getOutputStream().flush();
    Context.CancellableContext cancellable = Context.current().withCancellation();
    CompletableFuture<Throwable> grpcCancelled = new CompletableFuture<>();
    cancellable.run(() -> GRPCInferenceServiceGrpc.newStub(channel).modelInfer(grpcRequest("c", 1),
        new StreamObserver<>() {
          @Override
          public void onNext(ModelInferResponse value) {
            grpcCancelled.complete(null);
          }

          @Override
          public void onError(Throwable error) {
            grpcCancelled.complete(error);
          }

          @Override
          public void onCompleted() {}
        }));
    awaitValue(IN_FLIGHT, 3);
    for (Socket socket : gone) {
      socket.close();
    }
    cancellable.cancel(null);
    assertEquals(Status.Code.CANCELLED, Status.fromThrowable(grpcCancelled.get(60, TimeUnit.SECONDS)).getCode());
    awaitValue(IN_FLIGHT, 1); // only the held one is left: the queued ones were withdrawn

    backend.release();
    assertEquals(200, held.get(60, TimeUnit.SECONDS).statusCode());
    awaitValue(IN_FLIGHT, 0);
    for (int i = 0; i <= limit; i++) {
      assertEquals(200, client.post(INFER, json).status());
    }
    assertEquals(0, scraped(key("neutrino_admission_refused_total", "protocol", "http", "reason", "concurrency_limit")));
    assertEquals(0, scraped(key("neutrino_admission_refused_total", "protocol", "grpc", "reason", "concurrency_limit")));
  }
}
