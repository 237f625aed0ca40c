package dev.neutrino.gateway.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.metrics.EdgeRefusals;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge holds what a careless or hostile client can take: bodies cost what arrived, not what was
 * declared; the body budget refuses with 503; slow headers and bodies are cut off; connections are
 * capped; gRPC framing the call cannot have is answered at once.
 */
class EdgeLimitsTest {
  private static final long MIB = 1024 * 1024;
  private static final String SIMPLE = "{\"inputs\":["
      + "{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]},"
      + "{\"name\":\"INPUT1\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}]}";

  @TempDir
  Path dir;

  private Gateway start(EdgeLimits limits, long maxRequestBytes) {
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    return TestGateways.start(GatewayConfig.defaults().withHttpPort(0).withModelRepository(repo)
        .withMaxRequestBytes(maxRequestBytes).withEdges(limits));
  }

  private static EdgeLimits limits(long budget, int connections, long headerMillis, long bodyMillis) {
    return new EdgeLimits(budget, connections, headerMillis, bodyMillis,
        EdgeLimits.DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS, EdgeLimits.DEFAULT_HTTP2_MAX_HEADER_LIST_SIZE);
  }

  @Test
  void bodiesDeclaredButAbsentHoldOnlyWhatArrived() throws Exception {
    Gateway gateway = start(EdgeLimits.DEFAULTS, 64 * MIB);
    List<Socket> sockets = new ArrayList<>();
    try {
      long before = usedHeapAfterGc();
      for (int i = 0; i < 200; i++) {
        Socket socket = new Socket(gateway.host(), gateway.httpPort());
        sockets.add(socket);
        socket.getOutputStream().write(("POST /v2/models/identity_fp32/infer HTTP/1.1\r\nHost: x\r\n"
            + "Content-Type: application/json\r\nContent-Length: " + 64 * MIB + "\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
      }
      awaitTrue(() -> gateway.edge().bodies().reservedBytes() == 200, "every socket's one byte arrived");
      assertEquals(200, post(gateway, "/v2/models/simple/infer", SIMPLE).statusCode(), "a well-behaved client");
      long grown = usedHeapAfterGc() - before;
      assertTrue(grown < 64 * MIB, "200 declared 64 MiB bodies grew the heap by " + grown / MIB + " MiB");
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
      awaitTrue(() -> gateway.edge().bodies().reservedBytes() == 0, "closed bodies give their bytes back");
      TestGateways.stop(gateway);
    }
  }

  @Test
  void h2cStreamsDeclaringLargeBodiesHoldOnlyWhatArrived() throws Exception {
    Gateway gateway = start(EdgeLimits.DEFAULTS, 64 * MIB);
    Vertx vertx = Vertx.vertx();
    try {
      long before = usedHeapAfterGc();
      var client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false).setHttp2MultiplexingLimit(16)); // one connection (the default pool of 1)
      List<HttpClientRequest> streams = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        HttpClientRequest request = client.request(new RequestOptions().setMethod(HttpMethod.POST)
            .setHost(gateway.host()).setPort(gateway.httpPort()).setURI("/v2/models/identity_fp32/infer"))
            .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        request.putHeader("content-length", Long.toString(64 * MIB)).putHeader("content-type", "application/json");
        request.write(Buffer.buffer("{")).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        streams.add(request);
      }
      awaitTrue(() -> gateway.edge().bodies().reservedBytes() == 16, "every stream's one byte arrived");
      assertEquals(200, post(gateway, "/v2/models/simple/infer", SIMPLE).statusCode(), "a well-behaved client");
      long grown = usedHeapAfterGc() - before;
      assertTrue(grown < 64 * MIB, "16 declared 64 MiB streams grew the heap by " + grown / MIB + " MiB");
      streams.forEach(r -> r.reset());
      awaitTrue(() -> gateway.edge().bodies().reservedBytes() == 0, "reset streams give their bytes back");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      TestGateways.stop(gateway);
    }
  }

  @Test
  void bodyOverTheBudgetGets503WithRetryAfter() throws Exception {
    Gateway gateway = start(limits(64 * 1024, 100, 10_000, 60_000), 64 * 1024);
    try (Socket holder = new Socket(gateway.host(), gateway.httpPort());
        Socket refused = new Socket(gateway.host(), gateway.httpPort())) {
      sendHead(holder, 60 * 1024, new byte[40 * 1024]);
      awaitTrue(() -> gateway.edge().bodies().reservedBytes() == 40 * 1024, "the first body's bytes arrived");
      sendHead(refused, 60 * 1024, new byte[40 * 1024]);
      String answer = readAll(refused);
      assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
      assertTrue(answer.toLowerCase().contains("retry-after: 1"), answer);
      assertTrue(answer.contains("too many request bodies"), answer);
      assertEquals(1, gateway.metrics().refusals().count(EdgeRefusals.Reason.BODY_BUDGET));
      holder.close();
      awaitTrue(() -> gateway.edge().bodies().reservedBytes() == 0, "a closed connection gives its bytes back");
      assertEquals(200, post(gateway, "/v2/models/simple/infer", SIMPLE).statusCode());
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void tricklingHeadersAreClosedByTheHeaderTimeout() throws Exception {
    Gateway gateway = start(limits(EdgeLimits.AUTO, 100, 300, 60_000), 64 * MIB);
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      // A kept-alive connection, answered once, then trickling its next headers (the first request's
      // are timed too: RequestFramingTest).
      socket.getOutputStream().write("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertTrue(readHead(socket).startsWith("HTTP/1.1 200"));
      byte[] head = "POST /v2/models/simple/infer HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
      CompletableFuture<Integer> closed = CompletableFuture.supplyAsync(() -> readUntilClosed(socket));
      OutputStream out = socket.getOutputStream();
      int sent = 0;
      try {
        // One byte at a time with a pause between, bounded: the server must close before the bytes run out.
        for (; sent < 2_000 && !closed.isDone(); sent++) {
          out.write(sent < head.length ? head[sent] : 'a');
          out.flush();
          Thread.sleep(20);
        }
      } catch (SocketException closedByServer) {
        // the write met the close
      }
      closed.get(60, TimeUnit.SECONDS);
      assertTrue(sent < 2_000, "still open after " + sent + " bytes");
      assertEquals(1, gateway.metrics().refusals().count(EdgeRefusals.Reason.HEADER_TIMEOUT));
      assertEquals(200, post(gateway, "/v2/models/simple/infer", SIMPLE).statusCode());
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void tricklingBodyIsRefusedByTheBodyTimeout() throws Exception {
    Gateway gateway = start(limits(EdgeLimits.AUTO, 100, 10_000, 300), 64 * MIB);
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      sendHead(socket, 100_000, new byte[0]);
      CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> readAll(socket));
      int sent = 0;
      try {
        for (; sent < 2_000 && !answer.isDone(); sent++) {
          socket.getOutputStream().write('0');
          socket.getOutputStream().flush();
          Thread.sleep(20);
        }
      } catch (SocketException closedByServer) {
        // the write met the close
      }
      String text = answer.get(60, TimeUnit.SECONDS);
      assertTrue(text.startsWith("HTTP/1.1 408"), text);
      assertTrue(sent < 2_000, "still open after " + sent + " bytes");
      assertEquals(1, gateway.metrics().refusals().count(EdgeRefusals.Reason.BODY_TIMEOUT));
      awaitTrue(() -> gateway.edge().bodies().reservedBytes() == 0, "the refused body gave its bytes back");
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void connectionsOverTheCapAreClosedAtOnce() throws Exception {
    Gateway gateway = start(limits(EdgeLimits.AUTO, 3, 10_000, 60_000), 64 * MIB);
    List<Socket> held = new ArrayList<>();
    try {
      // Three kept-alive connections, each answered once, so each is open and counted.
      for (int i = 0; i < 3; i++) {
        Socket socket = new Socket(gateway.host(), gateway.httpPort());
        held.add(socket);
        socket.getOutputStream().write("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertTrue(readHead(socket).startsWith("HTTP/1.1 200"));
      }
      try (Socket over = new Socket(gateway.host(), gateway.httpPort())) {
        over.getOutputStream().write("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("", readAll(over), "closed without an answer");
      }
      assertEquals(1, gateway.metrics().refusals().count(EdgeRefusals.Reason.MAX_CONNECTIONS));
      held.remove(0).close();
      awaitTrue(() -> gateway.edge().connections().openConnections() <= 2, "the closed connection is uncounted");
      try (Socket again = new Socket(gateway.host(), gateway.httpPort())) {
        again.getOutputStream().write("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertTrue(readHead(again).startsWith("HTTP/1.1 200"), "a place freed is taken");
      }
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
      TestGateways.stop(gateway);
    }
  }

  @Test
  void grpcCompressedMessageWithoutEncodingIsAnsweredInternal() throws Exception {
    Gateway gateway = start(EdgeLimits.DEFAULTS, 64 * MIB);
    Vertx vertx = Vertx.vertx();
    try {
      var client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false));
      HttpClientRequest request = client.request(new RequestOptions().setMethod(HttpMethod.POST)
          .setHost(gateway.host()).setPort(gateway.grpcPort()).setURI("/inference.GRPCInferenceService/ModelInfer"))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      request.putHeader("content-type", "application/grpc").putHeader("te", "trailers");
      CompletableFuture<String> status = new CompletableFuture<>();
      request.response().onSuccess(response -> {
        String inHeaders = response.getHeader("grpc-status");
        if (inHeaders != null) {
          status.complete(inHeaders);
        } else {
          response.endHandler(v -> status.complete(response.getTrailer("grpc-status")));
        }
      }).onFailure(status::completeExceptionally);
      // A compressed flag, a length of 3, three bytes; and no grpc-encoding on the call.
      request.end(Buffer.buffer(new byte[] {1, 0, 0, 0, 3, 1, 2, 3}));
      assertEquals("13", status.get(30, TimeUnit.SECONDS), "INTERNAL");
      awaitTrue(() -> gateway.edge().bodies().reservedBytes() == 0, "the call gave its bytes back");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      TestGateways.stop(gateway);
    }
  }

  static HttpResponse<String> post(Gateway gateway, String path, String body) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    return client.send(HttpRequest.newBuilder(URI.create("http://" + gateway.host() + ":" + gateway.httpPort() + path))
        .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void sendHead(Socket socket, long declared, byte[] body) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(("POST /v2/models/identity_fp32/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + declared + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
  }

  /** Everything the server sends until it closes (bounded by a generous read timeout). */
  static String readAll(Socket socket) {
    try {
      socket.setSoTimeout(60_000);
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      int n;
      try {
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
        }
      } catch (SocketException reset) {
        // a reset after the answer ends the stream too
      }
      return out.toString(StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int readUntilClosed(Socket socket) {
    return readAll(socket).length();
  }

  /** The status line and headers of one answer. */
  private static String readHead(Socket socket) throws IOException {
    socket.setSoTimeout(60_000);
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    return head.toString();
  }

  static long usedHeapAfterGc() {
    var memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  /** Waits, bounded, for something the server does on its own threads. */
  static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 60 s: " + what);
      }
      Thread.sleep(10);
    }
  }
}
