package dev.neutrino.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.repo.ModelControlMode;
import dev.neutrino.runtime.testing.TestBackend;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancellation through the one inference call, on a model whose answers go through the response
 * cache: a request whose client leaves while it is queued is withdrawn from the scheduler's queue
 * (the cache's wrapper in between) and never reaches the runtime, over HTTP and gRPC alike. The
 * model's one instance is held busy by a request the {@link TestBackend} blocks.
 */
class CancelledCallsTest {
  @TempDir Path dir;
  TestBackend backend;
  Gateway gateway;
  GrpcTestClient client;
  GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub futures;

  @BeforeEach
  void start() throws IOException {
    Path model = Files.createDirectories(dir.resolve("cached").resolve("1"));
    Files.writeString(model.resolve("model.onnx"), "ok");
    Files.writeString(dir.resolve("cached").resolve("config.yaml"),
        "max_batch_size: 8\nresponse_cache:\n  enable: true\n");
    backend = new TestBackend();
    GatewayConfig config = GatewayConfig.defaults().withHttpPort(0).withGrpcPort(0).withModelRepository(dir)
        .withRepository(new GatewayConfig.RepositorySettings(ModelControlMode.NONE, 15, List.of(), 0, 1 << 20));
    gateway = TestGateways.start(config, backend);
    backend.forget();
    client = new GrpcTestClient(gateway);
    futures = GRPCInferenceServiceGrpc.newFutureStub(client.channel);
    assertTrue(gateway.repository().find("cached", null).cached(), "the model answers through the cache");
  }

  @AfterEach
  void stop() {
    backend.release();
    if (client != null) {
      client.close();
    }
    TestGateways.stop(gateway);
  }

  @Test
  void httpClientThatDisconnectsWhileQueuedNeverReachesTheRuntime() throws Exception {
    ListenableFuture<ModelInferResponse> held = holdTheInstance();
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      String body = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[4,0]}]}";
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v2/models/cached/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      awaitInFlight(2);
    } // the client goes away while its request is queued
    awaitInFlight(1);
    backend.release();
    held.get(30, TimeUnit.SECONDS);
    HttpResponse<String> after = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://" + gateway.host() + ":" + gateway.httpPort() + "/v2/models/cached/infer"))
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[5,0]}]}"))
        .timeout(java.time.Duration.ofSeconds(30))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, after.statusCode(), after.body());
    assertEquals(List.of(TestBackend.HOLD, 5f), new ArrayList<>(backend.ran), "the cancelled request never ran");
  }

  @Test
  void grpcCallCancelledWhileQueuedNeverReachesTheRuntime() throws Exception {
    ListenableFuture<ModelInferResponse> held = holdTheInstance();
    ListenableFuture<ModelInferResponse> cancelled = futures.modelInfer(request(4f));
    awaitInFlight(2);
    cancelled.cancel(true);
    awaitInFlight(1);
    backend.release();
    held.get(30, TimeUnit.SECONDS);
    assertEquals(6f, client.blocking.modelInfer(request(6f)).getOutputs(0).getContents().getFp32Contents(0));
    assertEquals(List.of(TestBackend.HOLD, 6f), new ArrayList<>(backend.ran), "the cancelled request never ran");
  }

  /** Sends the request the backend blocks on, and waits until the instance is running it. */
  private ListenableFuture<ModelInferResponse> holdTheInstance() throws InterruptedException {
    ListenableFuture<ModelInferResponse> held = futures.modelInfer(request(TestBackend.HOLD));
    assertTrue(backend.holding.await(30, TimeUnit.SECONDS), "the held request reached the backend");
    return held;
  }

  /** Waits (bounded) until the model has exactly {@code expected} requests queued or running. */
  private void awaitInFlight(int expected) throws InterruptedException {
    IntSupplier inFlight = () -> gateway.repository().find("cached", null).inFlight();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (inFlight.getAsInt() != expected && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertEquals(expected, inFlight.getAsInt(), "requests in flight on 'cached'");
  }

  private static ModelInferRequest request(float marker) {
    return ModelInferRequest.newBuilder()
        .setModelName("cached")
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
            .addShape(1).addShape(2)
            .setContents(InferTensorContents.newBuilder().addFp32Contents(marker).addFp32Contents(0)))
        .build();
  }
}
