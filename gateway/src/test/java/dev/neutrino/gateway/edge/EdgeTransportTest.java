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
 * The transports under the gateway's sockets: by default io_uring for the HTTP front end and epoll for
 * the gRPC front end on Linux x86_64 (the build ships both libraries), each falling back to the other
 * and then to Java NIO; one of them for both, or NIO, when asked. On any of them both front ends serve
 * and every accepted connection is guarded by the edge.
 */
class EdgeTransportTest {
  private static final boolean LINUX_X86 = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
      && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
  /** This build ships epoll's library for Linux on x86_64 only. */
  private static final String EPOLL_HERE = LINUX_X86 ? "epoll" : "nio";
  /** And io_uring's, which also needs a kernel that allows it (a container's seccomp profile may not). */
  private static final String IO_URING_HERE = LINUX_X86 && Transport.IO_URING != null && Transport.IO_URING.available()
      ? "io_uring" : EPOLL_HERE;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Gateway gateway;

  @AfterEach
  void stop() {
    TestGateways.stop(gateway);
  }

  @Test
  void nativeIsTheDefaultAndServesHttpOnIoUringAndGrpcOnEpoll() throws Exception {
    assertEquals(TransportPreference.NATIVE, GatewayConfig.defaults().transport());
    servesOn(GatewayConfig.defaults(), IO_URING_HERE, EPOLL_HERE);
  }

  @Test
  void epollServesBothFrontEnds() throws Exception {
    servesOn(GatewayConfig.defaults().withTransport(TransportPreference.EPOLL), EPOLL_HERE, EPOLL_HERE);
  }

  @Test
  void ioUringServesBothFrontEnds() throws Exception {
    String expected = IO_URING_HERE.equals("io_uring") ? "io_uring" : "nio";
    servesOn(GatewayConfig.defaults().withTransport(TransportPreference.IO_URING), expected, expected);
  }

  @Test
  void nioServesOnNio() throws Exception {
    servesOn(GatewayConfig.defaults().withTransport(TransportPreference.NIO), "nio", "nio");
  }

  /** A gateway started with {@code config} serves HTTP on {@code http} and gRPC on {@code grpc}, guarded. */
  private void servesOn(GatewayConfig config, String http, String grpc) throws Exception {
    start(config);
    assertEquals(http, gateway.transport());
    assertEquals(grpc, gateway.grpcTransport());
    guardsEveryAcceptedConnection(); // first: the clients below keep their connections open
    servesHttpAndGrpcInference();
  }

  @Test
  void eachFrontEndTriesItsCandidatesInOrder() {
    // kqueue, last, exists only where Vert.x knows it (not on Linux)
    assertEquals(present(Transport.IO_URING, Transport.EPOLL, Transport.KQUEUE),
        TransportPreference.NATIVE.candidates(TransportPreference.FrontEnd.HTTP));
    assertEquals(present(Transport.EPOLL, Transport.IO_URING, Transport.KQUEUE),
        TransportPreference.NATIVE.candidates(TransportPreference.FrontEnd.GRPC));
    for (TransportPreference.FrontEnd frontEnd : TransportPreference.FrontEnd.values()) {
      assertEquals(List.of(Transport.EPOLL), TransportPreference.EPOLL.candidates(frontEnd));
      assertEquals(List.of(Transport.IO_URING), TransportPreference.IO_URING.candidates(frontEnd));
      assertEquals(List.of(), TransportPreference.NIO.candidates(frontEnd));
    }
  }

  @Test
  void aCandidateThatDoesNotLoadGivesWayToTheNext() throws Exception {
    start(GatewayConfig.defaults());
    ConnectionGuard guard = gateway.edge().connections();
    Transport noUring = forbiddenIoUring();
    Transport epoll = new TransportInternal("epoll", true, null, new EpollTransport());
    EdgeTransport.Choice next = EdgeTransport.choose(TransportPreference.NATIVE, guard, List.of(noUring, epoll));
    assertEquals("epoll", next.name());
    assertNull(next.nativeUnavailable());
    assertEquals("network transport: epoll (passed over: io_uring: io_uring_setup: Operation not permitted)",
        next.describe());
  }

  @Test
  void nativeFallsBackToGuardedNioNamingWhyWhenNoCandidateLoads() throws Exception {
    start(GatewayConfig.defaults());
    ConnectionGuard guard = gateway.edge().connections();
    Transport noUring = forbiddenIoUring();
    Transport broken = new TransportInternal("epoll", false,
        new UnsatisfiedLinkError("no netty_transport_native_epoll_x86_64 in java.library.path"), new EpollTransport());
    EdgeTransport.Choice fellBack = EdgeTransport.choose(TransportPreference.NATIVE, guard, List.of(noUring, broken));
    assertEquals("nio", fellBack.name());
    assertEquals("network transport: nio, because the native transport is unavailable "
        + "(io_uring: io_uring_setup: Operation not permitted; epoll: no netty_transport_native_epoll_x86_64 in "
        + "java.library.path)",
        fellBack.describe());
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

    EdgeTransport.Choice none = EdgeTransport.choose(TransportPreference.NATIVE, guard, List.of());
    assertEquals("nio", none.name());
    assertTrue(none.describe().contains("Netty has no native transport for " + System.getProperty("os.name")),
        none.describe());
    EdgeTransport.Choice nio = EdgeTransport.choose(TransportPreference.NIO, TransportPreference.FrontEnd.HTTP, guard);
    assertNull(nio.nativeUnavailable());
    assertEquals("network transport: nio", nio.describe());
  }

  @Test
  void vertxReportsTheChoiceAsNativeOrNot() throws Exception {
    start(GatewayConfig.defaults());
    ConnectionGuard guard = gateway.edge().connections();
    EdgeTransport.Choice http = EdgeTransport.choose(TransportPreference.NATIVE, TransportPreference.FrontEnd.HTTP,
        guard);
    assertEquals(IO_URING_HERE, http.name(), http.describe());
    assertEquals(!http.name().equals("nio"), nativeEnabled(http));
    EdgeTransport.Choice grpc = EdgeTransport.choose(TransportPreference.NATIVE, TransportPreference.FrontEnd.GRPC,
        guard);
    assertEquals(EPOLL_HERE, grpc.name(), grpc.describe());
    assertEquals(!grpc.name().equals("nio"), nativeEnabled(grpc));
    assertFalse(nativeEnabled(EdgeTransport.choose(TransportPreference.NIO, TransportPreference.FrontEnd.GRPC, guard)));
  }

  @Test
  void theFlagAndTheFileKeyChooseTheTransport() throws Exception {
    assertEquals("native", GatewayConfig.defaults().describe().get("transport"));
    assertEquals(TransportPreference.NIO, GatewayConfig.fromArgs(new String[] {"--transport", "nio"}).transport());
    assertEquals(TransportPreference.EPOLL, GatewayConfig.fromArgs(new String[] {"--transport", "epoll"}).transport());
    assertEquals(TransportPreference.IO_URING,
        GatewayConfig.fromArgs(new String[] {"--transport", "io_uring"}).transport());
    Path file = dir.resolve("neutrino.yaml");
    Files.writeString(file, "transport: nio\n");
    assertEquals(TransportPreference.NIO, GatewayConfig.fromArgs(new String[] {"--config", file.toString()}).transport());
    assertEquals(TransportPreference.NATIVE, GatewayConfig.fromArgs(new String[] {
        "--config", file.toString(), "--transport=native"}).transport());
    assertEquals("transport must be native, epoll, io_uring or nio, got 'kqueue'",
        assertThrows(IllegalArgumentException.class,
            () -> GatewayConfig.fromArgs(new String[] {"--transport", "kqueue"})).getMessage());
    java.io.StringWriter help = new java.io.StringWriter();
    GatewayConfig.commandLine().usage(new java.io.PrintWriter(help));
    String text = help.toString().replaceAll("\\s+", " ");
    assertTrue(text.contains("--transport=<transport> native (HTTP on Netty's io_uring, gRPC on its epoll, each "
        + "falling back to the other, then to Java NIO, saying why), epoll, io_uring or nio (default native)"), text);
  }

  /** io_uring as Vert.x reports it where a seccomp profile forbids it. */
  private static Transport forbiddenIoUring() {
    return new TransportInternal("io_uring", false,
        new UnsupportedOperationException("io_uring_setup: Operation not permitted"), new EpollTransport());
  }

  private static List<Transport> present(Transport... transports) {
    return java.util.Arrays.stream(transports).filter(java.util.Objects::nonNull).toList();
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
