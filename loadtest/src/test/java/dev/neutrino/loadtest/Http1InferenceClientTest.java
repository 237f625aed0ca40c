package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator's HTTP/1.1 client: against a real gateway and a scripted server its answers and error
 * codes are those of Vert.x's client; against a raw socket server it reads chunked answers, answers
 * split anywhere and bodies that run to the connection's end, honours {@code Connection: close}, and
 * turns a connection cut mid-answer or an answer it cannot read into an error of that request alone.
 */
@Timeout(120)
class Http1InferenceClientTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static ClientSettings settings(String model, Protocol protocol, InputData.Source input, int connections,
      Duration timeout) {
    return new ClientSettings(model, "", protocol, input, Map.of(), 1, connections, ClientSettings.Http.HTTP1, timeout, 1);
  }

  /** Sends prepared request {@code payload} and waits for its error code (null: success). */
  private static String call(InferenceClient client, int payload) throws Exception {
    CompletableFuture<String> code = new CompletableFuture<>();
    client.infer(payload, code::complete);
    return code.get(60, TimeUnit.SECONDS);
  }

  private static Http1InferenceClient connect(RawHttpServer server, int connections) throws Exception {
    return Http1InferenceClient.connect(server.endpoint(),
        settings("m", Protocol.HTTP_JSON, new InputData.Random(1), connections, TIMEOUT), new CpuMeter());
  }

  // ---------------------------------------------------------------------------------------------
  // The same answers as Vert.x's client

  @Test
  void answersAsTheVertxClientDoesAgainstAGateway(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("inputs.json");
    String values = IntStream.range(0, 16).mapToObj(Integer::toString).collect(Collectors.joining(","));
    String wrong = IntStream.range(0, 16).mapToObj(i -> Integer.toString(i == 15 ? 99 : i))
        .collect(Collectors.joining(","));
    Files.writeString(file, "{\"data\": [{\"INPUT0\": [" + values + "]}, {\"INPUT0\": [" + values + "]}],"
        + " \"validation_data\": [{\"OUTPUT0\": [" + values + "]}, {\"OUTPUT0\": [" + wrong + "]}]}");
    Gateway gateway = IdentityGateway.start(dir.resolve("repo"), "identity",
        "--model-control-mode", "explicit", "--load-model", "identity");
    try {
      Endpoint endpoint = Endpoint.http("127.0.0.1", gateway.httpPort());
      List<InferenceClient> clients = new ArrayList<>();
      try {
        for (Protocol protocol : List.of(Protocol.HTTP_JSON, Protocol.HTTP_BINARY)) {
          ClientSettings s = settings("identity", protocol, new InputData.FromFile(file), 2, TIMEOUT);
          clients.add(HttpInferenceClient.connect(endpoint, s, new CpuMeter()));
          clients.add(Http1InferenceClient.connect(endpoint, s, new CpuMeter()));
        }
        for (InferenceClient client : clients) {
          assertNull(call(client, 0), client.getClass().getSimpleName());
          assertEquals(ErrorCodes.VALIDATION, call(client, 1), client.getClass().getSimpleName());
        }

        HttpResponse<String> unloaded = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + gateway.httpPort() + "/v2/repository/models/identity/unload"))
            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, unloaded.statusCode(), unloaded.body());

        String vertx = call(clients.get(0), 0);
        assertNotNull(vertx, "the model is gone");
        for (InferenceClient client : clients) {
          assertEquals(vertx, call(client, 0), client.getClass().getSimpleName());
        }
      } finally {
        clients.forEach(InferenceClient::close);
      }
    } finally {
      IdentityGateway.stop(gateway);
    }
  }

  @Test
  void countsEachStatusAsTheVertxClientDoes() throws Exception {
    int[] statuses = {400, 429, 503, 200, 404};
    List<List<String>> codes = new ArrayList<>();
    for (boolean raw : new boolean[] {false, true}) {
      try (ScriptedServer server = new ScriptedServer(call -> call == 0 ? 200 : statuses[(int) (call - 1)], false)) {
        ClientSettings s = settings("m", Protocol.HTTP_BINARY, new InputData.Random(1), 1, TIMEOUT);
        try (InferenceClient client = raw ? Http1InferenceClient.connect(server.endpoint(), s, new CpuMeter())
            : HttpInferenceClient.connect(server.endpoint(), s, new CpuMeter())) {
          List<String> got = new ArrayList<>();
          for (int i = 0; i < statuses.length; i++) {
            got.add(call(client, 0));
          }
          codes.add(got);
        }
      }
    }

    assertEquals(java.util.Arrays.asList("400", "429", "503", null, "404"), codes.get(1));
    assertEquals(codes.get(0), codes.get(1));
  }

  // ---------------------------------------------------------------------------------------------
  // Framing

  @Test
  void readsChunkedAnswersAndChecksTheirOutputs(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("inputs.json");
    Files.writeString(file, """
        {"data": [{"INPUT0": [1, 2, 3, 4]}, {"INPUT0": [1, 2, 3, 4]}],
         "validation_data": [{"OUTPUT0": [0, 0, 0, 0]}, {"OUTPUT0": [1, 1, 1, 1]}]}""");
    byte[] body = RawHttpServer.OUTPUT.getBytes(StandardCharsets.UTF_8);
    int half = body.length / 2;
    try (RawHttpServer server = new RawHttpServer((call, out) -> {
      out.write(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(half) + "\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(body, 0, half);
      out.write(("\r\n" + Integer.toHexString(body.length - half) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body, half, body.length - half);
      out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      return true;
    });
        InferenceClient client = Http1InferenceClient.connect(server.endpoint(),
            settings("m", Protocol.HTTP_JSON, new InputData.FromFile(file), 1, TIMEOUT), new CpuMeter())) {
      assertNull(call(client, 0), "the chunks hold the expected outputs");
      assertEquals(ErrorCodes.VALIDATION, call(client, 1), "a wrong answer is caught");
      assertNull(call(client, 0), "the connection carries on after chunks");
      assertEquals(2, server.accepted(), "one connection for the set-up, one for the load");
    }
  }

  @Test
  void readsAnAnswerSplitAcrossReadsByteByByte() throws Exception {
    try (RawHttpServer server = new RawHttpServer((call, out) -> {
      RawHttpServer.trickle(out, RawHttpServer.response(call % 2 == 0 ? 200 : 503, "", RawHttpServer.OUTPUT));
      return true;
    });
        InferenceClient client = connect(server, 1)) {
      assertEquals("503", call(client, 0));
      assertNull(call(client, 0));
      assertEquals("503", call(client, 0));
    }
  }

  @Test
  void honoursConnectionCloseAndReplacesTheConnection() throws Exception {
    try (RawHttpServer server = new RawHttpServer((call, out) -> {
      out.write(RawHttpServer.response(200, "Connection: close\r\n", RawHttpServer.OUTPUT));
      return false;
    });
        InferenceClient client = connect(server, 1)) {
      for (int i = 0; i < 3; i++) {
        assertNull(call(client, 0), "call " + i);
      }
      assertTrue(server.accepted() >= 4, "each answer closed its connection and the next call had a new one: "
          + server.accepted() + " accepted");
    }
  }

  @Test
  void readsABodyThatRunsToTheConnectionsEnd() throws Exception {
    try (RawHttpServer server = new RawHttpServer((call, out) -> {
      out.write(("HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n\r\n" + RawHttpServer.OUTPUT)
          .getBytes(StandardCharsets.UTF_8));
      return false;
    });
        InferenceClient client = connect(server, 1)) {
      assertNull(call(client, 0));
      assertNull(call(client, 0));
    }
  }

  @Test
  void aConnectionCutMidAnswerFailsOnlyItsRequest() throws Exception {
    try (RawHttpServer server = new RawHttpServer((call, out) -> {
      byte[] whole = RawHttpServer.response(200, "", RawHttpServer.OUTPUT);
      if (call == 1) {
        out.write(whole, 0, whole.length - 10);
        return false;
      }
      out.write(whole);
      return true;
    });
        InferenceClient client = connect(server, 1)) {
      assertEquals(ErrorCodes.CONNECTION_CLOSED, call(client, 0));
      assertNull(call(client, 0), "the connection was replaced");
    }
  }

  @Test
  void anAnswerItCannotReadIsABadResponse() throws Exception {
    try (RawHttpServer server = new RawHttpServer((call, out) -> {
      if (call == 1) {
        out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return false;
      }
      if (call == 2) {
        out.write("garbage\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return false;
      }
      out.write(RawHttpServer.response(200, "", RawHttpServer.OUTPUT));
      return true;
    });
        InferenceClient client = connect(server, 1)) {
      assertEquals(ErrorCodes.BAD_RESPONSE, call(client, 0));
      assertEquals(ErrorCodes.BAD_RESPONSE, call(client, 0));
      assertNull(call(client, 0));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Connections

  /**
   * Ten times more requests than connections, sent at once from a foreign thread: they wait in the
   * FIFO and all complete, on the client's event loop, over no more connections than it has.
   */
  @Test
  void moreRequestsThanConnectionsAllCompleteOnTheClientsEventLoop() throws Exception {
    CpuMeter meter = new CpuMeter();
    try (RawHttpServer server = new RawHttpServer((call, out) -> {
      out.write(RawHttpServer.response(200, "", RawHttpServer.OUTPUT));
      return true;
    });
        InferenceClient client = Http1InferenceClient.connect(server.endpoint(),
            settings("m", Protocol.HTTP_BINARY, new InputData.Random(1), 3, TIMEOUT), meter)) {
      int n = 30;
      CountDownLatch done = new CountDownLatch(n);
      List<String> codes = Collections.synchronizedList(new ArrayList<>());
      Set<Long> threads = ConcurrentHashMap.newKeySet();
      for (int i = 0; i < n; i++) {
        client.infer(i % client.payloads(), code -> {
          codes.add(code);
          threads.add(Thread.currentThread().getId());
          done.countDown();
        });
      }
      assertTrue(done.await(60, TimeUnit.SECONDS), "every request completed");

      assertEquals(Collections.nCopies(n, null), codes);
      assertEquals(1 + n, server.calls(), "each request reached the server once, after the check");
      assertEquals(1 + 3, server.accepted(), "the set-up's connection and the client's three");
      assertTrue(threads.stream().allMatch(meter::registered), "outcomes run on the client's metered event loop");
    }
  }

  /** With two event loops, requests from a foreign thread go to each in turn, over each one's own connections. */
  @Test
  void spreadsRequestsAndConnectionsOverItsEventLoops() throws Exception {
    CpuMeter meter = new CpuMeter();
    try (RawHttpServer server = new RawHttpServer((call, out) -> {
      out.write(RawHttpServer.response(200, "", RawHttpServer.OUTPUT));
      return true;
    });
        InferenceClient client = Http1InferenceClient.connect(server.endpoint(), new ClientSettings("m", "",
            Protocol.HTTP_JSON, new InputData.Random(1), Map.of(), 1, 5, ClientSettings.Http.HTTP1, TIMEOUT, 2), meter)) {
      int n = 20;
      CountDownLatch done = new CountDownLatch(n);
      List<String> codes = Collections.synchronizedList(new ArrayList<>());
      Set<Long> threads = ConcurrentHashMap.newKeySet();
      for (int i = 0; i < n; i++) {
        client.infer(0, code -> {
          codes.add(code);
          threads.add(Thread.currentThread().getId());
          done.countDown();
        });
      }
      assertTrue(done.await(60, TimeUnit.SECONDS), "every request completed");

      assertEquals(Collections.nCopies(n, null), codes);
      assertEquals(2, threads.size(), "answered on both event loops");
      assertTrue(threads.stream().allMatch(meter::registered), "both event loops are metered");
      assertEquals(1 + 5, server.accepted(), "the set-up's connection and five split over the loops (3 + 2)");
    }
  }

  @Test
  void aRequestUnansweredPastTheTimeoutFails() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (RawHttpServer server = new RawHttpServer((call, out) -> {
      try {
        release.await(60, TimeUnit.SECONDS); // never answers while the client waits
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return false;
    });
        InferenceClient client = Http1InferenceClient.connect(server.endpoint(),
            settings("m", Protocol.HTTP_JSON, new InputData.Random(1), 1, Duration.ofMillis(300)), new CpuMeter())) {
      assertEquals(ErrorCodes.TIMEOUT, call(client, 0));
      assertEquals(ErrorCodes.TIMEOUT, call(client, 0), "and so does the next, on a new connection");
    } finally {
      release.countDown();
    }
  }

  @Test
  void closingFailsOutstandingRequests() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch arrived = new CountDownLatch(1);
    CompletableFuture<String> code = new CompletableFuture<>();
    try (RawHttpServer server = new RawHttpServer((call, out) -> {
      arrived.countDown();
      try {
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return false;
    })) {
      InferenceClient client = connect(server, 1);
      client.infer(0, code::complete);
      assertTrue(arrived.await(60, TimeUnit.SECONDS));
      client.close();

      assertEquals(ErrorCodes.CONNECTION_CLOSED, code.get(60, TimeUnit.SECONDS));
      CompletableFuture<String> after = new CompletableFuture<>();
      client.infer(0, after::complete);
      assertEquals(ErrorCodes.CONNECTION_CLOSED, after.get(60, TimeUnit.SECONDS), "a closed client sends nothing");
      client.close(); // a second close does nothing (the prepared requests' buffers are released once)
    } finally {
      release.countDown();
    }
  }

  @Test
  void encodesEachRequestCompletelyOnce() {
    io.netty.buffer.ByteBuf request = Http1InferenceClient.encode("/v2/models/m/infer", "127.0.0.1:8000",
        new HttpPayloads.Body("{}abcd".getBytes(StandardCharsets.US_ASCII), 2));
    try {
      assertEquals("POST /v2/models/m/infer HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
          + "Content-Type: application/octet-stream\r\nContent-Length: 6\r\n"
          + "Inference-Header-Content-Length: 2\r\n\r\n{}abcd", request.toString(StandardCharsets.US_ASCII));
      assertTrue(request.isDirect());
    } finally {
      request.release();
    }
  }
}
