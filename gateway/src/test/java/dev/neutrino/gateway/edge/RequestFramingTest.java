package dev.neutrino.gateway.edge;

import static dev.neutrino.gateway.edge.EdgeLimitsTest.awaitTrue;
import static dev.neutrino.gateway.edge.EdgeLimitsTest.readAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.RawHttp2;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.metrics.EdgeRefusals;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the edge sees from a connection's first byte on, on the port that speaks HTTP/1.1 and h2c:
 * request smuggling's framing refused on the first request as on any other, {@code Upgrade: h2c}
 * upgraded or refused (never left hanging), and connections that send nothing counted and closed at
 * the header timeout. Raw sockets, so that the bytes are exactly these.
 */
class RequestFramingTest {
  private static final String SMUGGLING = "POST /v2/models/simple/infer HTTP/1.1\r\nHost: x\r\n"
      + "Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
      + "0\r\n\r\nGET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n";

  @TempDir Path dir;
  Gateway gateway;

  @AfterEach
  void stop() {
    TestGateways.stop(gateway);
  }

  private Gateway start(EdgeLimits limits) {
    gateway = TestGateways.start(GatewayConfig.defaults().withHttpPort(0).withModelRepository(dir).withEdges(limits));
    return gateway;
  }

  private static EdgeLimits limits(int connections, long headerMillis) {
    return new EdgeLimits(EdgeLimits.AUTO, connections, headerMillis, EdgeLimits.DEFAULT_BODY_READ_TIMEOUT_MILLIS,
        EdgeLimits.DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS, EdgeLimits.DEFAULT_HTTP2_MAX_HEADER_LIST_SIZE);
  }

  @Test
  void contentLengthWithChunkedIsRefusedOnTheFirstRequestAndTheConnectionClosed() throws Exception {
    start(EdgeLimits.DEFAULTS);
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      send(socket, SMUGGLING);
      String answer = readAll(socket); // returns once the server closed the connection
      assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
      assertTrue(answer.contains("Content-Length and Transfer-Encoding"), answer);
      assertEquals(1, count(answer, "HTTP/1.1 "), "the smuggled request was not answered: " + answer);
    }
  }

  @Test
  void contentLengthWithChunkedIsRefusedAfterAServedRequest() throws Exception {
    start(EdgeLimits.DEFAULTS);
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      send(socket, "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n");
      assertTrue(readHead(socket).startsWith("HTTP/1.1 200"));
      send(socket, SMUGGLING);
      String answer = readAll(socket);
      assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
      assertEquals(1, count(answer, "HTTP/1.1 "), answer);
    }
  }

  @Test
  void h2cUpgradeWithValidSettingsIsAnswered101ThenHttp2() throws Exception {
    start(EdgeLimits.DEFAULTS);
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      // HTTP2-Settings: SETTINGS_MAX_CONCURRENT_STREAMS (3) = 100, base64url.
      send(socket, "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
          + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n");
      String head = readHead(socket);
      assertTrue(head.startsWith("HTTP/1.1 101"), head);
      try (RawHttp2 http2 = new RawHttp2(socket, true)) {
        http2.awaitEnded(List.of(1)); // the upgrade's request is stream 1, answered over HTTP/2
        assertTrue(http2.sentHeaders(1), "HTTP/2 HEADERS on stream 1");
        assertTrue(http2.ended(1), "stream 1 ended");
        assertFalse(http2.closed(), "the connection stays open");
      }
    }
  }

  @Test
  void h2cUpgradeWithoutValidSettingsIsRefusedAndClosed() throws Exception {
    start(EdgeLimits.DEFAULTS);
    for (String settings : List.of("HTTP2-Settings: !!!\r\n", "HTTP2-Settings: AAMAA\r\n", "")) {
      try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
        send(socket, "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
            + "Upgrade: h2c\r\n" + settings + "\r\n");
        String answer = readAll(socket); // returns once the server closed the connection
        assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
        assertTrue(answer.contains("HTTP2-Settings"), answer);
      }
    }
  }

  @Test
  void silentConnectionIsCountedThenClosedByTheHeaderTimeout() throws Exception {
    start(limits(100, 300));
    try (Socket silent = new Socket(gateway.host(), gateway.httpPort())) {
      awaitTrue(() -> gateway.edge().connections().openConnections() == 1, "the silent connection is counted");
      assertEquals("", readAll(silent), "closed without an answer");
      awaitTrue(() -> gateway.edge().connections().openConnections() == 0, "the closed connection is uncounted");
      assertEquals(1, gateway.metrics().refusals().count(EdgeRefusals.Reason.HEADER_TIMEOUT));
    }
  }

  @Test
  void silentConnectionsCountAgainstTheCap() throws Exception {
    start(limits(2, 60_000));
    try (Socket first = new Socket(gateway.host(), gateway.httpPort());
        Socket second = new Socket(gateway.host(), gateway.httpPort())) {
      awaitTrue(() -> gateway.edge().connections().openConnections() == 2, "both silent connections are counted");
      try (Socket over = new Socket(gateway.host(), gateway.httpPort())) {
        assertEquals("", readAll(over), "closed at once, unanswered");
      }
      assertEquals(1, gateway.metrics().refusals().count(EdgeRefusals.Reason.MAX_CONNECTIONS));
      send(first, "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n");
      assertTrue(readHead(first).startsWith("HTTP/1.1 200"), "a counted connection is served");
    }
  }

  private static void send(Socket socket, String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
  }

  /** The status line and headers of one answer, read byte by byte so that nothing after them is taken. */
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

  private static int count(String text, String part) {
    int n = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
      n++;
    }
    return n;
  }
}
