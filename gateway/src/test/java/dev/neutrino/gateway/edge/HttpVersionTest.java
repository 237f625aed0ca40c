package dev.neutrino.gateway.edge;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.TestGateways;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A request line of an HTTP version the gateway does not speak is answered 505, over raw sockets. */
class HttpVersionTest {
  @TempDir
  Path dir;
  private Gateway gateway;

  @BeforeEach
  void start() {
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    gateway = TestGateways.start(GatewayConfig.defaults().withHttpPort(0).withModelRepository(repo));
  }

  @AfterEach
  void stop() {
    TestGateways.stop(gateway);
  }

  @ParameterizedTest
  @ValueSource(strings = {"HTTP/2.0", "HTTP/9.9"})
  void unknownVersionIsAnswered505AndClosed(String version) throws IOException {
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      socket.getOutputStream().write(("GET /v2/health/live " + version + "\r\nHost: x\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      String answer = EdgeLimitsTest.readAll(socket); // until the server closes
      // Vert.x echoes the request's version in the status line.
      assertTrue(answer.startsWith(version + " 505 "), answer);
      assertTrue(answer.contains("HTTP version not supported"), answer);
    }
  }

  /** The WebSocket handler that lets such requests through refuses every handshake. */
  @Test
  void webSocketHandshakeIsRefused() throws IOException {
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      socket.getOutputStream().write(("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
          + "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      String answer = EdgeLimitsTest.readAll(socket);
      assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"HTTP/2.0", "HTTP/9.9"})
  void unknownVersionAfterAServedRequestIsAnswered505(String version) throws IOException {
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      socket.getOutputStream().write(("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n"
          + "GET /v2/health/live " + version + "\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      String answer = EdgeLimitsTest.readAll(socket);
      assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
      int second = answer.indexOf(version + " 505 ");
      assertTrue(second > 0, answer);
    }
  }
}
