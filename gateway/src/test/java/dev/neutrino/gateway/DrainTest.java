package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.GatewayConfig.ShutdownSettings;
import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ServerReadyRequest;
import dev.neutrino.runtime.testing.TestBackend;
import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.vertx.core.Future;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The drain's phases against a real gateway, with a request held in the model and the delays passed
 * by hand: not ready at once while still serving, then listeners closed while the held request goes
 * on, then the outcome.
 */
class DrainTest {
  private static final ShutdownSettings SHUTDOWN = new ShutdownSettings(5, 30);

  @TempDir
  Path dir;
  private final TestBackend backend = new TestBackend();
  private final ManualDelays delays = new ManualDelays();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private Gateway gateway;

  @BeforeEach
  void start() throws IOException {
    Path repository = dir.resolve("repo");
    Files.createDirectories(repository.resolve("gated").resolve("1"));
    Files.writeString(repository.resolve("gated").resolve("1").resolve("model.onnx"), "gated");
    Files.writeString(repository.resolve("gated").resolve("config.yaml"), "max_batch_size: 8\n");
    gateway = TestGateways.start(GatewayConfig.defaults().withModelRepository(repository).withShutdown(SHUTDOWN),
        backend);
  }

  @AfterEach
  void stop() {
    backend.release();
    TestGateways.stop(gateway);
  }

  @Test
  void failsReadinessAtOnceKeepsServingThenClosesListenersAndAnswersWhatIsInFlight() throws Exception {
    CompletableFuture<HttpResponse<String>> held = infer(TestBackend.HOLD);
    assertTrue(backend.holding.await(30, TimeUnit.SECONDS));
    Future<Drain.Outcome> outcome = gateway.drain(delays);

    HttpResponse<String> ready = get("/v2/health/ready");
    assertEquals(503, ready.statusCode());
    assertEquals("close", ready.headers().firstValue("connection").orElse(""), "HTTP/1.1 answers ask to close");
    assertFalse(grpcServerReady());
    assertEquals(200, get("/v2/health/live").statusCode(), "still live");
    assertEquals(200, get("/v2/models/gated/ready").statusCode(), "and still serving");

    delays.pass(SHUTDOWN.drainDelay());
    awaitRefused(gateway.httpPort());
    awaitRefused(gateway.grpcPort());
    assertFalse(held.isDone());
    assertFalse(outcome.isComplete(), "the held request is still in flight");

    backend.release();
    assertEquals(200, held.get(30, TimeUnit.SECONDS).statusCode());
    Drain.Outcome drained = outcome.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(Drain.Outcome.DRAINED, drained.exitCode(), drained.reason());
  }

  @Test
  void exitsNonZeroWhenRequestsOutlastTheExitTimeout() throws Exception {
    CompletableFuture<HttpResponse<String>> held = infer(TestBackend.HOLD);
    assertTrue(backend.holding.await(30, TimeUnit.SECONDS));
    Future<Drain.Outcome> outcome = gateway.drain(delays);
    delays.pass(SHUTDOWN.drainDelay());
    awaitRefused(gateway.httpPort());
    assertFalse(outcome.isComplete());

    delays.pass(SHUTDOWN.exitTimeout());
    Drain.Outcome timedOut = outcome.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(Drain.Outcome.TIMED_OUT, timedOut.exitCode());
    assertTrue(timedOut.reason().contains("--exit-timeout-secs"), timedOut.reason());
    ExecutionException dropped = assertThrows(ExecutionException.class, () -> held.get(30, TimeUnit.SECONDS));
    assertTrue(dropped.getCause() instanceof IOException, String.valueOf(dropped.getCause()));
  }

  @Test
  void grpcConnectionsGetAGoawayOnceTheListenersCloseAndFinishTheirCalls() throws Exception {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress(gateway.host(), gateway.grpcPort(),
        InsecureChannelCredentials.create()).build();
    try {
      ListenableFuture<ModelInferResponse> held = GRPCInferenceServiceGrpc.newFutureStub(channel)
          .withDeadlineAfter(60, TimeUnit.SECONDS)
          .modelInfer(ModelInferRequest.newBuilder().setModelName("gated")
              .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
                  .addShape(1).addShape(2)
                  .setContents(InferTensorContents.newBuilder().addFp32Contents(TestBackend.HOLD).addFp32Contents(0)))
              .build());
      assertTrue(backend.holding.await(30, TimeUnit.SECONDS));
      assertEquals(ConnectivityState.READY, channel.getState(false));
      Future<Drain.Outcome> outcome = gateway.drain(delays);
      assertEquals(ConnectivityState.READY, channel.getState(false), "the connection stays during the delay");

      delays.pass(SHUTDOWN.drainDelay());
      // grpc-java leaves READY when the GOAWAY arrives; the call on the connection goes on.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (channel.getState(false) == ConnectivityState.READY && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertFalse(channel.getState(false) == ConnectivityState.READY, "GOAWAY received");
      assertFalse(held.isDone());
      backend.release();
      assertEquals(TestBackend.HOLD, held.get(30, TimeUnit.SECONDS).getOutputs(0).getContents().getFp32Contents(0));
      assertEquals(Drain.Outcome.DRAINED,
          outcome.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).exitCode());
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void drainingTwiceIsOneDrain() throws Exception {
    Future<Drain.Outcome> first = gateway.drain(delays);
    assertEquals(first, gateway.drain());
    delays.pass(SHUTDOWN.drainDelay());
    Drain.Outcome drained = first.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(Drain.Outcome.DRAINED, drained.exitCode(), "nothing was in flight");
  }

  @Test
  void shutdownSettingsComeFromTheirFlags() throws Exception {
    GatewayConfig config = GatewayConfig.fromArgs(new String[] {"--drain-delay", "0", "--exit-timeout-secs", "12"});
    assertEquals(new ShutdownSettings(0, 12), config.shutdown());
    assertEquals(ShutdownSettings.DEFAULTS, GatewayConfig.defaults().shutdown());
    String negative = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--drain-delay", "-1"})).getMessage();
    assertTrue(negative.contains("drain_delay"), negative);
  }

  private CompletableFuture<HttpResponse<String>> infer(float first) {
    String body = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[" + first
        + ",0]}]}";
    return http.sendAsync(HttpRequest.newBuilder(uri("/v2/models/gated/infer")).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://" + gateway.host() + ":" + gateway.httpPort() + path);
  }

  private boolean grpcServerReady() throws InterruptedException {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress(gateway.host(), gateway.grpcPort(),
        InsecureChannelCredentials.create()).build();
    try {
      return GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .serverReady(ServerReadyRequest.getDefaultInstance()).getReady();
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** Waits (bounded) until {@code port} refuses connections: the listener is closed. */
  private void awaitRefused(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(gateway.host(), port), 5_000);
      } catch (ConnectException refused) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("port " + port + " still accepts connections");
  }
}
