package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request limit applies to what a body decodes to, not only to its bytes: a JSON body under
 * the 64 MiB default whose FP32 tensor decodes to 126 MiB is refused with 413 before the tensor is
 * allocated, and so is a small body whose shape claims a huge tensor. (That nothing is allocated is
 * shown at the codec, {@code HttpInferenceCodecTest}, where the heap measures decoding alone.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DecodedSizeLimitTest {
  private static final int ZEROS = 33_000_000;

  Gateway gateway;
  TestClient client;

  @BeforeAll
  void start(@TempDir Path dir) {
    gateway = TestGateways.start(TestGateways.exampleRepository(dir.resolve("repo")));
    client = TestGateways.client(gateway);
  }

  @AfterAll
  void stop() {
    TestGateways.stop(gateway);
  }

  @Test
  void jsonBodyOf33MillionZerosIs413NamingTheInput() throws IOException {
    String head = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1," + ZEROS + "],\"datatype\":\"FP32\",\"data\":[";
    String tail = "]}]}";
    long length = head.length() + 2L * ZEROS - 1 + tail.length();
    assertTrue(length < GatewayConfig.defaults().maxRequestBytes(), "the body itself is under the limit");

    String response;
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      socket.setSoTimeout(120_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v2/models/identity_fp32/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + length + "\r\nConnection: close\r\n\r\n" + head).getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = new byte[64 * 1024];
      for (int i = 0; i < chunk.length; i += 2) {
        chunk[i] = '0';
        chunk[i + 1] = ',';
      }
      long zerosLeft = ZEROS - 1; // each "0," of a chunk; the last zero goes without its comma
      while (zerosLeft > 0) {
        int n = (int) Math.min(chunk.length / 2, zerosLeft);
        out.write(chunk, 0, 2 * n);
        zerosLeft -= n;
      }
      out.write(("0" + tail).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      response = readAll(socket.getInputStream());
    }

    assertTrue(response.startsWith("HTTP/1.1 413"), response.substring(0, Math.min(200, response.length())));
    assertTrue(response.contains("INPUT0") && response.contains("[1,33000000]"), response);
  }

  @Test
  void smallBodyClaimingAHugeTensorIs413NamingTheInput() {
    String body = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1," + ZEROS + "],\"datatype\":\"FP32\",\"data\":[0]}]}";
    for (int i = 0; i < 100; i++) {
      TestClient.Reply reply = client.post("/v2/models/identity_fp32/infer", body);
      assertEquals(413, reply.status(), new String(reply.body(), StandardCharsets.UTF_8));
      assertTrue(reply.error().contains("INPUT0"), reply.error());
    }
    TestClient.Reply served = client.post("/v2/models/identity_fp32/infer",
        "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}]}");
    assertEquals(200, served.status(), "still serving");
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    return out.toString(StandardCharsets.UTF_8);
  }
}
