package dev.neutrino.loadtest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;

/**
 * A tiny Open Inference Protocol server whose answers the test scripts: model metadata for one FP32
 * model {@code m} ({@code INPUT0 [-1,4]}), an infer endpoint answering each call with the status the
 * script gives for its index (0 for the generator's first, checking request), an optional stall, and
 * optional statistics that grow by known amounts per call.
 */
final class ScriptedServer implements AutoCloseable {
  static {
    // Without it the JDK server's separate header and body writes wait on delayed acknowledgements.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private static final byte[] METADATA = """
      {"name":"m","versions":["1"],"platform":"test",
       "inputs":[{"name":"INPUT0","datatype":"FP32","shape":[-1,4]}],
       "outputs":[{"name":"OUTPUT0","datatype":"FP32","shape":[-1,4]}]}
      """.getBytes(StandardCharsets.UTF_8);
  private static final byte[] OUTPUT = """
      {"model_name":"m","model_version":"1","outputs":[{"name":"OUTPUT0","datatype":"FP32","shape":[1,4],"data":[0,0,0,0]}]}
      """.getBytes(StandardCharsets.UTF_8);

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "scripted-server");
    t.setDaemon(true);
    return t;
  });
  private final LongUnaryOperator statusOfCall;
  private final boolean stats;
  private final AtomicLong inferCalls = new AtomicLong();
  private volatile long stallAtCall = -1;
  private volatile long stallMillis;
  private volatile long stallUntilNanos;

  /**
   * @param statusOfCall the HTTP status to answer the infer call of each index with
   * @param stats whether {@code GET /v2/models/m/stats} answers
   */
  ScriptedServer(LongUnaryOperator statusOfCall, boolean stats) throws IOException {
    this.statusOfCall = statusOfCall;
    this.stats = stats;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  static ScriptedServer ok() throws IOException {
    return new ScriptedServer(call -> 200, false);
  }

  /** From the infer call of index {@code call} on, every call arriving in the next {@code millis} waits for its end. */
  ScriptedServer stallAt(long call, long millis) {
    stallMillis = millis;
    stallAtCall = call;
    return this;
  }

  Endpoint endpoint() {
    return Endpoint.http("127.0.0.1", server.getAddress().getPort());
  }

  long inferCalls() {
    return inferCalls.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      String path = exchange.getRequestURI().getPath();
      switch (path) {
        case "/v2/models/m" -> send(exchange, 200, METADATA);
        case "/v2/models/m/stats" -> {
          if (stats) {
            // Per call: one inference, half an execution, 1 us queued, 2 us computing.
            long n = inferCalls.get();
            String body = "{\"model_stats\":[{\"name\":\"m\",\"version\":\"1\",\"inference_count\":" + n
                + ",\"execution_count\":" + (n / 2) + ",\"inference_stats\":{\"queue\":{\"count\":" + n
                + ",\"ns\":" + (n * 1000) + "},\"compute_input\":{\"count\":" + n + ",\"ns\":0},"
                + "\"compute_infer\":{\"count\":" + n + ",\"ns\":" + (n * 2000) + "},"
                + "\"compute_output\":{\"count\":" + n + ",\"ns\":0}}}]}";
            send(exchange, 200, body.getBytes(StandardCharsets.UTF_8));
          } else {
            send(exchange, 404, "{\"error\":\"no such endpoint\"}".getBytes(StandardCharsets.UTF_8));
          }
        }
        case "/v2/models/m/infer" -> {
          long call = inferCalls.getAndIncrement();
          if (call == stallAtCall) {
            stallUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(stallMillis);
          }
          long until = stallUntilNanos;
          long now;
          while (until != 0 && (now = System.nanoTime()) < until) {
            TimeUnit.NANOSECONDS.sleep(until - now);
          }
          int status = (int) statusOfCall.applyAsLong(call);
          send(exchange, status, status == 200 ? OUTPUT
              : "{\"error\":\"scripted\"}".getBytes(StandardCharsets.UTF_8));
        }
        default -> send(exchange, 404, "{\"error\":\"no such endpoint\"}".getBytes(StandardCharsets.UTF_8));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
