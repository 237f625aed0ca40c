package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad requests get 400/413 with a message naming the problem, and the server keeps serving. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MalformedRequestTest {
  private static final long LIMIT = 64 * 1024;
  Gateway gateway;
  TestClient client;

  @BeforeAll
  void start(@TempDir Path dir) {
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    gateway = TestGateways.start(GatewayConfig.defaults().withHttpPort(0).withModelRepository(repo)
        .withMaxRequestBytes(LIMIT));
    client = TestGateways.client(gateway);
  }

  @AfterAll
  void stop() {
    TestGateways.stop(gateway);
  }

  private static final String GOOD1 = "{\"name\":\"INPUT1\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":"
      + HttpEndpointsTest.ints(0, 16, 0) + "}";

  private static String with(String input0) {
    return "{\"inputs\":[" + input0 + "," + GOOD1 + "]}";
  }

  static Stream<Arguments> badJsonRequests() {
    String sixteen = HttpEndpointsTest.ints(0, 16, 1);
    return Stream.of(
        Arguments.of("wrong shape for the data",
            with("{\"name\":\"INPUT0\",\"shape\":[1,15],\"datatype\":\"INT32\",\"data\":" + sixteen + "}"), "INPUT0"),
        Arguments.of("shape not the model's",
            with("{\"name\":\"INPUT0\",\"shape\":[2,8],\"datatype\":\"INT32\",\"data\":" + sixteen + "}"), "INPUT0"),
        Arguments.of("wrong datatype",
            with("{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"FP32\",\"data\":" + sixteen + "}"), "INPUT0"),
        Arguments.of("unknown datatype",
            with("{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT33\",\"data\":" + sixteen + "}"), "INT33"),
        Arguments.of("negative dimension",
            with("{\"name\":\"INPUT0\",\"shape\":[-1,16],\"datatype\":\"INT32\",\"data\":" + sixteen + "}"), "INPUT0"),
        Arguments.of("overflowing dimensions",
            with("{\"name\":\"INPUT0\",\"shape\":[4611686018427387904,4611686018427387904],\"datatype\":\"INT32\",\"data\":"
                + sixteen + "}"), "INPUT0"),
        Arguments.of("missing input", "{\"inputs\":[" + GOOD1 + "]}", "INPUT0"),
        Arguments.of("unknown input", "{\"inputs\":[" + GOOD1.replace("INPUT1", "INPUT7") + ","
            + GOOD1.replace("INPUT1", "INPUT0") + "," + GOOD1 + "]}", "INPUT7"),
        Arguments.of("unknown output", "{\"inputs\":[" + GOOD1.replace("INPUT1", "INPUT0") + "," + GOOD1
            + "],\"outputs\":[{\"name\":\"OUTPUT9\"}]}", "OUTPUT9"),
        Arguments.of("batch over max_batch_size",
            "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[9,16],\"datatype\":\"INT32\",\"data\":"
                + HttpEndpointsTest.ints(0, 144, 0) + "},{\"name\":\"INPUT1\",\"shape\":[9,16],\"datatype\":\"INT32\",\"data\":"
                + HttpEndpointsTest.ints(0, 144, 0) + "}]}", "max_batch_size"),
        Arguments.of("float in an integer tensor",
            with("{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":[1.5" + ",0".repeat(15) + "]}"), "INPUT0"),
        Arguments.of("malformed JSON", "{\"inputs\":[{\"name\":", "JSON"),
        Arguments.of("not an object", "[1,2,3]", ""),
        Arguments.of("no inputs", "{\"id\":\"x\"}", "inputs"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badJsonRequests")
  void badJsonGets400NamingTheProblem(String what, String body, String named) {
    TestClient.Reply reply = client.post("/v2/models/simple/infer", body);
    assertEquals(400, reply.status(), what + ": " + new String(reply.body()));
    assertTrue(reply.error().contains(named), what + ": " + reply.error());
    assertFalse(reply.error().contains("Exception"), what + ": " + reply.error());
    assertFalse(reply.error().contains("dev.neutrino"), what + ": " + reply.error());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"[1,99999999999]", "[1,20000]"})
  void shapeThatDecodesPastTheLimitIs413NamingTheInput(String shape) {
    // A body of a few hundred bytes whose shape claims more than the 64 KiB limit once decoded.
    TestClient.Reply reply = client.post("/v2/models/simple/infer",
        with("{\"name\":\"INPUT0\",\"shape\":" + shape + ",\"datatype\":\"INT32\",\"data\":"
            + HttpEndpointsTest.ints(0, 16, 1) + "}"));
    assertEquals(413, reply.status(), new String(reply.body()));
    assertTrue(reply.error().contains("INPUT0"), reply.error());
    assertTrue(reply.error().contains(shape), reply.error());
  }

  @Test
  void binaryPartShorterThanDeclaredIs400() {
    String header = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT32\",\"parameters\":{\"binary_data_size\":64}},"
        + GOOD1 + "]}";
    TestClient.Reply reply = client.postBinary("/v2/models/simple/infer", header, new byte[40]);
    assertEquals(400, reply.status());
    assertTrue(reply.error().contains("INPUT0"), reply.error());
  }

  @Test
  void binarySizeThatDisagreesWithShapeIs400() {
    String header = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT32\",\"parameters\":{\"binary_data_size\":60}},"
        + GOOD1 + "]}";
    TestClient.Reply reply = client.postBinary("/v2/models/simple/infer", header, new byte[60]);
    assertEquals(400, reply.status());
    assertTrue(reply.error().contains("INPUT0"), reply.error());
  }

  @Test
  void headerLengthBeyondTheBodyIs400() throws IOException {
    String json = with("{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":"
        + HttpEndpointsTest.ints(0, 16, 1) + "}");
    String response = rawExchange("POST /v2/models/simple/infer HTTP/1.1\r\nHost: x\r\n"
        + "Inference-Header-Content-Length: 99999\r\nContent-Length: " + json.length() + "\r\n\r\n" + json);
    assertTrue(response.startsWith("HTTP/1.1 400"), response);
  }

  @Test
  void declaredBodyOverTheLimitIs413BeforeReading() throws IOException {
    String response = rawExchange("POST /v2/models/simple/infer HTTP/1.1\r\nHost: x\r\nContent-Length: "
        + (LIMIT + 1) + "\r\n\r\n{");
    assertTrue(response.startsWith("HTTP/1.1 413"), response);
    assertTrue(response.contains("limit"), response);
  }

  @Test
  void chunkedBodyGrowingPastTheLimitIs413() throws IOException {
    StringBuilder request = new StringBuilder(
        "POST /v2/models/simple/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    String chunk = "a".repeat(8192);
    for (int i = 0; i < 10; i++) {
      request.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
    }
    request.append("0\r\n\r\n");
    String response = rawExchange(request.toString());
    assertTrue(response.startsWith("HTTP/1.1 413"), response);
  }

  @Test
  void everyWholeBodyOverTheLimitGetsIts413() {
    // The client writes the whole body while the server answers early: the answer must survive.
    String big = "{\"inputs\":[{\"name\":\"INPUT0\",\"data\":[" + "1,".repeat((int) LIMIT) + "1]}]}";
    for (int i = 0; i < 40; i++) {
      TestClient.Reply reply = client.post("/v2/models/simple/infer", big);
      assertEquals(413, reply.status(), "attempt " + i);
      assertTrue(new String(reply.body(), StandardCharsets.UTF_8).contains("limit"), "attempt " + i);
    }
    assertEquals(200, client.post("/v2/models/simple/infer", HttpEndpointsTest.simpleRequest("")).status());
  }

  @Test
  void serverStillServesAfterBadInput() {
    for (int i = 0; i < 50; i++) {
      client.post("/v2/models/simple/infer", "{\"inputs\":[{\"name\":");
    }
    assertEquals(200, client.post("/v2/models/simple/infer", HttpEndpointsTest.simpleRequest("")).status());
  }

  /** Sends raw bytes and reads what the server answers until it closes or stops sending. */
  private String rawExchange(String request) throws IOException {
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      } catch (IOException closedEarly) {
        // the server may refuse and close before the whole body is sent
      }
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      byte[] buffer = new byte[4096];
      try {
        int n;
        while ((n = in.read(buffer)) > 0) {
          received.write(buffer, 0, n);
          if (received.toString(StandardCharsets.ISO_8859_1).contains("\"}")) {
            break;
          }
        }
      } catch (IOException timeoutOrReset) {
        // whatever arrived is the answer
      }
      return received.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
