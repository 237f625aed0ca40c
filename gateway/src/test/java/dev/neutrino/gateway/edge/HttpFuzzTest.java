package dev.neutrino.gateway.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.TestGateways;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of seeded, mutated HTTP requests against every REST endpoint (methods, paths, headers,
 * bodies and declared lengths mutated), each on its own connection over a raw socket.
 *
 * <p>What must hold: every answer is one of {@link #ALLOWED} (or, for a request whose HTTP framing
 * itself is broken, the connection closes without one); every answer comes within
 * {@link #ANSWER_BOUND_MILLIS} (a generous bound that only catches a hang, not a speed); the server is
 * alive and serving afterwards; and the live heap after a collection is back near where it was.
 */
class HttpFuzzTest {
  static final long SEED = 20261206L;
  static final int REQUESTS = 5_000;
  static final int THREADS = 8;
  static final int ANSWER_BOUND_MILLIS = 30_000;
  /**
   * The statuses the REST front end may answer a fuzzed request with: 200; 400 bad request; 404 no
   * such endpoint or model; 405 method not allowed; 408 body not in time; 413 body too large; 431
   * headers too large; 501 a method Vert.x does not know; 503 model not ready or the body budget in
   * use; 505 an HTTP version other than 1.0/1.1; 403 a browser Origin on the repository API. Never a
   * 500. A request whose HTTP framing is broken (a bad Content-Length, a body that is not the gzip its
   * Content-Encoding says, an unknown HTTP version, a malformed request line, oversized headers) may
   * instead have its connection closed without an answer; any other request must be answered.
   */
  static final Set<Integer> ALLOWED = Set.of(200, 400, 403, 404, 405, 408, 413, 431, 501, 503, 505);

  private static final String SIMPLE = "{\"inputs\":["
      + "{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]},"
      + "{\"name\":\"INPUT1\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}]}";
  private static final String IDENTITY = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,4],\"datatype\":\"FP32\","
      + "\"data\":[1.0,2.5,-3,4e2]}],\"outputs\":[{\"name\":\"OUTPUT0\",\"parameters\":{\"binary_data\":true}}]}";
  private static final String[] PATHS = {
      "/v2", "/v2/health/live", "/v2/health/ready", "/v2/models/simple", "/v2/models/simple/ready",
      "/v2/models/simple/config", "/v2/models/simple/stats", "/v2/models/stats", "/v2/models/simple/infer",
      "/v2/models/simple/versions/1/infer", "/v2/models/simple/versions/1", "/v2/models/identity_fp32/infer",
      "/v2/models/recommender_mlp/infer", "/v2/repository/index", "/v2/repository/models/simple/load",
      "/v2/repository/models/nonexistent/unload", "/v2/models/nonexistent/infer", "/", "/metrics"};
  private static final String[] METHODS = {"GET", "POST", "POST", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH",
      "FOO", "get", "POST /x"};
  private static final String[] BODIES = {SIMPLE, IDENTITY, "{\"ready\":true}", "{}", "", "[]", "null",
      "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[4611686018427387904,4],\"datatype\":\"FP32\",\"data\":[1]}]}"};
  private static final String[] CONTENT_TYPES = {"application/json", "application/octet-stream", "text/plain",
      "application/x-www-form-urlencoded", ";;;", ""};

  @TempDir
  Path dir;

  @Test
  void mutatedRequestsGetDocumentedAnswersAndLeaveTheServerWell() throws Exception {
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    Gateway gateway = TestGateways.start(GatewayConfig.defaults().withHttpPort(0).withModelRepository(repo)
        .withMaxRequestBytes(64 * 1024)
        .withEdges(new EdgeLimits(EdgeLimits.AUTO, 1024, 1_000, 500, EdgeLimits.DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS,
            EdgeLimits.DEFAULT_HTTP2_MAX_HEADER_LIST_SIZE)));
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      Random seeds = new Random(SEED);
      runBatch(gateway, pool, seeds, 500); // warm up to the plateau
      long plateau = EdgeLimitsTest.usedHeapAfterGc();
      Map<String, Integer> seen = runBatch(gateway, pool, seeds, REQUESTS);
      long after = EdgeLimitsTest.usedHeapAfterGc();

      assertTrue(seen.keySet().stream().allMatch(k -> k.equals("closed (broken framing)")
              || k.matches("\\d+") && ALLOWED.contains(Integer.parseInt(k))),
          "undocumented answers: " + seen);
      assertEquals(200, EdgeLimitsTest.post(gateway, "/v2/models/simple/infer", SIMPLE).statusCode(), "still serving");
      assertTrue(after - plateau < 64L * 1024 * 1024, "live heap grew from " + plateau / 1024 / 1024 + " MiB to "
          + after / 1024 / 1024 + " MiB; answers " + seen);
      EdgeLimitsTest.awaitTrue(() -> gateway.edge().bodies().reservedBytes() == 0, "every body gave its bytes back");
    } finally {
      pool.shutdownNow();
      pool.awaitTermination(60, TimeUnit.SECONDS);
      TestGateways.stop(gateway);
    }
  }

  /** Sends {@code count} mutated requests; returns how often each answer came ("closed": none). */
  private static Map<String, Integer> runBatch(Gateway gateway, ExecutorService pool, Random seeds, int count)
      throws Exception {
    List<Future<String>> answers = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      Fuzzed request = mutated(new Random(seeds.nextLong()));
      answers.add(pool.submit(() -> {
        String answer = exchange(gateway, request.bytes());
        return answer.equals("closed") ? (request.framingBroken() ? "closed (broken framing)" : "closed") : answer;
      }));
    }
    Map<String, Integer> seen = new TreeMap<>();
    for (Future<String> answer : answers) {
      seen.merge(answer.get(2L * ANSWER_BOUND_MILLIS, TimeUnit.MILLISECONDS), 1, Integer::sum);
    }
    return seen;
  }

  /** One request on its own connection: the answer's status, or "closed" when none came. */
  private static String exchange(Gateway gateway, byte[] request) throws IOException {
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      socket.setSoTimeout(ANSWER_BOUND_MILLIS);
      try {
        socket.getOutputStream().write(request);
        socket.getOutputStream().flush();
      } catch (SocketException closedEarly) {
        // refused while sending: the answer, if any, is still readable
      }
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      try {
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
          line.write(b);
        }
      } catch (SocketTimeoutException hang) {
        throw new AssertionError("no answer within " + ANSWER_BOUND_MILLIS + " ms to:\n"
            + new String(request, 0, Math.min(request.length, 400), StandardCharsets.ISO_8859_1));
      } catch (SocketException reset) {
        // closed by the server
      }
      String status = line.toString(StandardCharsets.ISO_8859_1);
      return status.startsWith("HTTP/1.") && status.length() >= 12 ? status.substring(9, 12) : "closed";
    }
  }

  /** A mutated request, and whether its HTTP framing itself is broken. */
  record Fuzzed(byte[] bytes, boolean framingBroken) {}

  /** A request built from a valid one with a few random mutations. */
  static Fuzzed mutated(Random random) {
    boolean broken = false;
    String method = random.nextInt(4) == 0 ? pick(random, METHODS) : "POST";
    broken |= method.contains(" ");
    String path = pick(random, PATHS);
    if (random.nextInt(5) == 0) {
      path = mutatePath(random, path);
    }
    byte[] body = pick(random, BODIES).getBytes(StandardCharsets.UTF_8);
    if (random.nextInt(2) == 0) {
      body = mutateBytes(random, body);
    }
    StringBuilder head = new StringBuilder();
    String version = random.nextInt(40) == 0 ? pick(random, new String[] {"HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "HTTP/1"})
        : "HTTP/1.1";
    broken |= !version.equals("HTTP/1.1");
    head.append(method).append(' ').append(path).append(' ').append(version).append("\r\n");
    head.append("Host: fuzz\r\nConnection: close\r\n");
    if (random.nextInt(3) > 0) {
      head.append("Content-Type: ").append(pick(random, CONTENT_TYPES)).append("\r\n");
    }
    int length = random.nextInt(50);
    if (length == 0) {
      head.append("Content-Length: ").append(body.length + 1 + random.nextInt(100)).append("\r\n"); // more than sent
    } else if (length == 1) {
      head.append("Content-Length: ").append(random.nextInt(Math.max(1, body.length))).append("\r\n"); // less
    } else if (length == 2) {
      head.append("Content-Length: ").append(pick(random, new String[] {"-1", "abc", "99999999999999999999", ""}))
          .append("\r\n");
      broken = true;
    } else if (length == 3) {
      head.append("Content-Length: 999999999\r\n"); // over the limit
    } else if (length != 4) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    int header = random.nextInt(30);
    if (header == 0) {
      head.append("Inference-Header-Content-Length: ").append(random.nextInt(body.length + 10) - 5).append("\r\n");
    } else if (header == 1) {
      head.append("Content-Encoding: gzip\r\n");
      broken = true;
    } else if (header == 2) {
      head.append("X-Long: ").append("x".repeat(random.nextInt(100_000))).append("\r\n");
      broken = true;
    } else if (header == 3) {
      head.append("Origin: http://evil.example\r\n");
    } else if (header == 4) {
      head.append("Expect: 100-continue\r\n");
    } else if (header == 5) {
      head.append("Inference-Header-Content-Length: abc\r\n");
    }
    head.append("\r\n");
    byte[] start = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] out = new byte[start.length + body.length];
    System.arraycopy(start, 0, out, 0, start.length);
    System.arraycopy(body, 0, out, start.length, body.length);
    return new Fuzzed(out, broken);
  }

  private static String mutatePath(Random random, String path) {
    return switch (random.nextInt(6)) {
      case 0 -> path + "/" + "a".repeat(random.nextInt(300));
      case 1 -> path.replace("simple", "%2e%2e%2f" + "simple");
      case 2 -> path.substring(0, random.nextInt(path.length()) + 1);
      case 3 -> path + "%zz";
      case 4 -> path.replace("/v2", "/v2//");
      default -> path.replace("simple", "s%00imple");
    };
  }

  private static byte[] mutateBytes(Random random, byte[] body) {
    if (body.length == 0) {
      return new byte[] {(byte) random.nextInt(256)};
    }
    byte[] out = body.clone();
    return switch (random.nextInt(4)) {
      case 0 -> {
        for (int i = 0; i < 1 + random.nextInt(4); i++) {
          out[random.nextInt(out.length)] = (byte) random.nextInt(256);
        }
        yield out;
      }
      case 1 -> java.util.Arrays.copyOf(out, random.nextInt(out.length));
      case 2 -> {
        byte[] noise = new byte[random.nextInt(64)];
        random.nextBytes(noise);
        yield noise;
      }
      default -> (new String(out, StandardCharsets.ISO_8859_1).replace("16", "99999999").replace("1,", "1e400,"))
          .getBytes(StandardCharsets.ISO_8859_1);
    };
  }

  private static <T> T pick(Random random, T[] values) {
    return values[random.nextInt(values.length)];
  }
}
