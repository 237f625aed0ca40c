package dev.neutrino.gateway.edge;

import static dev.neutrino.gateway.edge.EdgeLimitsTest.awaitTrue;
import static dev.neutrino.gateway.edge.EdgeLimitsTest.readAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.metrics.EdgeRefusals;
import dev.neutrino.runtime.testing.TestBackend;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.impl.transports.EpollTransport;
import io.vertx.core.impl.transports.TransportInternal;
import io.vertx.core.transport.Transport;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transport under the gateway's sockets: Netty's native epoll transport by default on Linux
 * x86_64 (the build ships its library), Java NIO when asked or when the native one does not load; on
 * either, both front ends serve and every accepted connection is guarded by the edge.
 */
class EdgeTransportTest {
  /** This build ships epoll's library for Linux on x86_64 only; elsewhere native falls back to NIO. */
  private static final String NATIVE_HERE = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
      && List.of("amd64", "x86_64").contains(System.getProperty("os.arch")) ? "epoll" : "nio";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Gateway gateway;

  @AfterEach
  void stop() {
    TestGateways.stop(gateway);
  }

  @Test
  void nativeIsTheDefaultAndServesOnEpoll() throws Exception {
    assertEquals(TransportPreference.NATIVE, GatewayConfig.defaults().transport());
    start(GatewayConfig.defaults());
    assertEquals(NATIVE_HERE, gateway.transport());
    guardsEveryAcceptedConnection(); // first: the clients below keep their connections open
    servesHttpAndGrpcInference();
  }

  @Test
  void nioServesOnNio() throws Exception {
    start(GatewayConfig.defaults().withTransport(TransportPreference.NIO));
    assertEquals("nio", gateway.transport());
    guardsEveryAcceptedConnection(); // first: the clients below keep their connections open
    servesHttpAndGrpcInference();
  }

  @Test
  void nativeFallsBackToGuardedNioNamingWhyWhenItsLibraryDoesNotLoad() throws Exception {
    start(GatewayConfig.defaults());
    ConnectionGuard guard = gateway.edge().connections();
    Transport broken = new TransportInternal("epoll", false,
        new UnsatisfiedLinkError("no netty_transport_native_epoll_x86_64 in java.library.path"), new EpollTransport());
    EdgeTransport.Choice fellBack = EdgeTransport.choose(TransportPreference.NATIVE, guard, broken);
    assertEquals("nio", fellBack.name());
    assertEquals("network transport: nio, because the native transport is unavailable "
        + "(no netty_transport_native_epoll_x86_64 in java.library.path)", fellBack.describe());
    Vertx vertx = vertx(fellBack);
    try {
      assertFalse(vertx.isNativeTransportEnabled());
      // The NIO it falls back to still hands every accepted connection to the guard.
      HttpServer server = TestGateways.await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1"))
          .requestHandler(request -> request.response().end()).listen(0).toCompletionStage().toCompletableFuture());
      try (Socket silent = new Socket("127.0.0.1", server.actualPort())) {
        awaitTrue(() -> guard.openConnections() == 1, "the fallback's silent connection is counted");
      }
      awaitTrue(() -> guard.openConnections() == 0, "the closed connection is uncounted");
    } finally {
      TestGateways.await(vertx.close().toCompletionStage().toCompletableFuture());
    }

    EdgeTransport.Choice none = EdgeTransport.choose(TransportPreference.NATIVE, guard, null);
    assertEquals("nio", none.name());
    assertTrue(none.describe().contains("Netty has no native transport for " + System.getProperty("os.name")),
        none.describe());
    EdgeTransport.Choice nio = EdgeTransport.choose(TransportPreference.NIO, guard);
    assertNull(nio.nativeUnavailable());
    assertEquals("network transport: nio", nio.describe());
  }

  @Test
  void vertxReportsTheChoiceAsNativeOrNot() throws Exception {
    start(GatewayConfig.defaults());
    ConnectionGuard guard = gateway.edge().connections();
    EdgeTransport.Choice chosen = EdgeTransport.choose(TransportPreference.NATIVE, guard);
    assertEquals(NATIVE_HERE, chosen.name(), chosen.describe());
    assertEquals(!chosen.name().equals("nio"), nativeEnabled(chosen));
    assertFalse(nativeEnabled(EdgeTransport.choose(TransportPreference.NIO, guard)));
  }

  @Test
  void theFlagAndTheFileKeyChooseTheTransport() throws Exception {
    assertEquals("native", GatewayConfig.defaults().describe().get("transport"));
    assertEquals(TransportPreference.NIO, GatewayConfig.fromArgs(new String[] {"--transport", "nio"}).transport());
    Path file = dir.resolve("neutrino.yaml");
    Files.writeString(file, "transport: nio\n");
    assertEquals(TransportPreference.NIO, GatewayConfig.fromArgs(new String[] {"--config", file.toString()}).transport());
    assertEquals(TransportPreference.NATIVE, GatewayConfig.fromArgs(new String[] {
        "--config", file.toString(), "--transport=native"}).transport());
    assertEquals("transport must be native or nio, got 'epoll'", assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--transport", "epoll"})).getMessage());
    java.io.StringWriter help = new java.io.StringWriter();
    GatewayConfig.commandLine().usage(new java.io.PrintWriter(help));
    String text = help.toString().replaceAll("\\s+", " ");
    assertTrue(text.contains("--transport=<transport> native (Netty's epoll where it loads, else Java NIO, saying why) "
        + "or nio (default native)"), text);
  }

  /** Whether a Vert.x built on {@code chosen} says it runs on a native transport. */
  private static boolean nativeEnabled(EdgeTransport.Choice chosen) {
    Vertx vertx = vertx(chosen);
    try {
      return vertx.isNativeTransportEnabled();
    } finally {
      TestGateways.await(vertx.close().toCompletionStage().toCompletableFuture());
    }
  }

  private static Vertx vertx(EdgeTransport.Choice chosen) {
    return Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(1)).withTransport(chosen.transport()).build();
  }

  private void start(GatewayConfig config) throws Exception {
    Files.createDirectories(dir.resolve("echo/1"));
    Files.writeString(dir.resolve("echo/1/model.onnx"), "ok");
    gateway = TestGateways.start(config.withModelRepository(dir), new TestBackend());
  }

  /** The echo model answers a JSON request over HTTP and a typed-contents request over gRPC. */
  private void servesHttpAndGrpcInference() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> reply = http.send(HttpRequest.newBuilder(
            URI.create("http://" + gateway.host() + ":" + gateway.httpPort() + "/v2/models/echo/infer"))
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}"))
        .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, reply.statusCode(), reply.body());
    JsonNode output = JSON.readTree(reply.body()).get("outputs").get(0);
    assertEquals("[1.0,2.0,3.0]", output.get("data").toString());

    ManagedChannel channel = Grpc.newChannelBuilderForAddress(gateway.host(), gateway.grpcPort(),
        InsecureChannelCredentials.create()).build();
    try {
      ModelInferResponse answer = GRPCInferenceServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(60, TimeUnit.SECONDS)
          .modelInfer(ModelInferRequest.newBuilder().setModelName("echo")
              .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
                  .addShape(1).addShape(3)
                  .setContents(InferTensorContents.newBuilder().addFp32Contents(4).addFp32Contents(5)
                      .addFp32Contents(6)))
              .build());
      assertEquals("OUTPUT0", answer.getOutputs(0).getName());
      assertEquals(List.of(4f, 5f, 6f), answer.getOutputs(0).getContents().getFp32ContentsList());
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** A connection that sends nothing is counted by the edge, and uncounted once closed. */
  private void guardsEveryAcceptedConnection() throws Exception {
    ConnectionGuard guard = gateway.edge().connections();
    try (Socket silent = new Socket(gateway.host(), gateway.httpPort())) {
      awaitTrue(() -> guard.openConnections() == 1, "the silent connection is counted");
      silent.shutdownOutput();
      assertEquals("", readAll(silent), "closed without an answer");
    }
    awaitTrue(() -> guard.openConnections() == 0, "the closed connection is uncounted");
    assertEquals(0, gateway.metrics().refusals().count(EdgeRefusals.Reason.MAX_CONNECTIONS));
  }
}
