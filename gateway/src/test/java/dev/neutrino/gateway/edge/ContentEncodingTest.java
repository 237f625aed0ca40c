package dev.neutrino.gateway.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.TestGateways;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request bodies with a Content-Encoding, sent over raw sockets: decoded within the request size
 * limit, and a body that is not what its encoding says answered 400 on a connection that stays
 * usable.
 */
class ContentEncodingTest {
  private static final long LIMIT = 1024 * 1024;
  private static final String SIMPLE = "{\"inputs\":["
      + "{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]},"
      + "{\"name\":\"INPUT1\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}]}";

  @TempDir
  Path dir;
  private Gateway gateway;

  @BeforeEach
  void start() {
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    gateway = TestGateways.start(GatewayConfig.defaults().withHttpPort(0).withModelRepository(repo)
        .withMaxRequestBytes(LIMIT));
  }

  @AfterEach
  void stop() {
    TestGateways.stop(gateway);
  }

  @Test
  void bodyThatIsNotGzipIsRefusedAndTheConnectionServesOn() throws Exception {
    try (Socket socket = connect()) {
      Answer bad = exchange(socket, "gzip", SIMPLE.getBytes(StandardCharsets.UTF_8));
      assertEquals(400, bad.status, bad.body);
      assertTrue(bad.body.contains("gzip"), "names the problem: " + bad.body);
      Answer next = exchange(socket, null, SIMPLE.getBytes(StandardCharsets.UTF_8));
      assertEquals(200, next.status, "the same connection answers its next request: " + next.body);
    }
  }

  @Test
  void truncatedGzipIsRefused() throws Exception {
    byte[] whole = gzip(SIMPLE.getBytes(StandardCharsets.UTF_8));
    try (Socket socket = connect()) {
      Answer answer = exchange(socket, "gzip", Arrays.copyOf(whole, whole.length / 2));
      assertEquals(400, answer.status, answer.body);
      assertTrue(answer.body.contains("truncated gzip"), answer.body);
    }
  }

  @Test
  void gzipAndDeflateBodiesAreDecoded() throws Exception {
    try (Socket socket = connect()) {
      assertEquals(200, exchange(socket, "gzip", gzip(SIMPLE.getBytes(StandardCharsets.UTF_8))).status);
      assertEquals(200, exchange(socket, "deflate", deflate(SIMPLE.getBytes(StandardCharsets.UTF_8))).status);
    }
  }

  @Test
  void gzipBombIsRefusedByItsDecodedSize() throws Exception {
    byte[] bomb = gzip(new byte[(int) (64 * LIMIT)]); // 64 MiB of zeros, some 64 KiB compressed
    assertTrue(bomb.length < LIMIT, "the compressed body is within the limit");
    try (Socket socket = connect()) {
      Answer answer = exchange(socket, "gzip", bomb);
      assertEquals(413, answer.status, answer.body);
      assertTrue(answer.body.contains("decoded"), answer.body);
    }
    EdgeLimitsTest.awaitTrue(() -> gateway.edge().bodies().reservedBytes() == 0, "the body gave its bytes back");
  }

  @Test
  void unsupportedEncodingIsRefused() throws Exception {
    try (Socket socket = connect()) {
      Answer answer = exchange(socket, "br", SIMPLE.getBytes(StandardCharsets.UTF_8));
      assertEquals(415, answer.status, answer.body);
      assertTrue(answer.body.contains("'br'"), answer.body);
    }
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket(gateway.host(), gateway.httpPort());
    socket.setSoTimeout(60_000);
    return socket;
  }

  private record Answer(int status, String body) {}

  /** One POST of {@code body} to the simple model, and its answer. */
  private static Answer exchange(Socket socket, String encoding, byte[] body) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(("POST /v2/models/simple/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + (encoding == null ? "" : "Content-Encoding: " + encoding + "\r\n")
        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed after: " + head);
      }
      head.append((char) b);
    }
    int status = Integer.parseInt(head.substring(9, 12));
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return new Answer(status, new String(in.readNBytes(length), StandardCharsets.UTF_8));
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      out.write(data);
    }
    return bytes.toByteArray();
  }

  private static byte[] deflate(byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DeflaterOutputStream out = new DeflaterOutputStream(bytes)) {
      out.write(data);
    }
    return bytes.toByteArray();
  }
}
