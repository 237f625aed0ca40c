package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.runtime.testing.TestBackend;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a real gateway process with 16 requests in flight: readiness answers 503 before the
 * listeners close, every request is answered 200, and the process exits 0. The gateway runs as a
 * child JVM ({@link DrainChild}: {@link Main} on a gated test backend, on this test's classpath); its
 * model holds the first run until the test writes to its standard input, so the requests stay in
 * flight exactly as long as the test says, and the drain delay is long next to the few requests the
 * test makes before it.
 */
class DrainProcessTest {
  private static final int CLIENTS = 16;
  private static final int GRPC_CLIENTS = 4;
  private static final int DRAIN_DELAY_SECONDS = 10;
  private static final Pattern LISTENING =
      Pattern.compile("neutrino listening http=([^:]+):(\\d+) grpc=[^:]+:(\\d+) metrics=[^:]+:(\\d+)");
  private static final Pattern INFLIGHT =
      Pattern.compile("(?m)^neutrino_inflight_requests\\{model=\"gated\"[^}]*\\} (\\S+)$");

  @TempDir
  Path dir;
  private Process process;
  private final List<String> output = new ArrayList<>();

  @AfterEach
  void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void sigtermWithSixteenRequestsInFlightAnswersThemAllAndExitsZero() throws Exception {
    Path repository = dir.resolve("repo");
    Files.createDirectories(repository.resolve("gated").resolve("1"));
    Files.writeString(repository.resolve("gated").resolve("1").resolve("model.onnx"), "gated");
    Files.writeString(repository.resolve("gated").resolve("config.yaml"), "max_batch_size: 16\n");
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    process = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        DrainChild.class.getName(), "--model-repository", repository.toString(), "--http-port", "0",
        "--grpc-port", "0", "--metrics-port", "0", "--drain-delay", Integer.toString(DRAIN_DELAY_SECONDS),
        "--exit-timeout-secs", "60")
        .redirectErrorStream(true)
        .start();
    Thread reader = new Thread(this::readOutput, "drain-child-output");
    reader.setDaemon(true);
    reader.start();

    Matcher listening = LISTENING.matcher(awaitLine(line -> LISTENING.matcher(line).find()));
    assertTrue(listening.find());
    String host = listening.group(1);
    int httpPort = Integer.parseInt(listening.group(2));
    int grpcPort = Integer.parseInt(listening.group(3));
    int metricsPort = Integer.parseInt(listening.group(4));
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    URI ready = URI.create("http://" + host + ":" + httpPort + "/v2/health/ready");
    awaitStatus(http, ready, 200);

    // The first request holds the model's only instance; the others queue behind it.
    List<CompletableFuture<Integer>> answers = new ArrayList<>();
    answers.add(infer(http, host, httpPort, TestBackend.HOLD));
    awaitLine(line -> line.equals(DrainChild.HOLDING));
    for (int i = 1; i < CLIENTS - GRPC_CLIENTS; i++) {
      answers.add(infer(http, host, httpPort, i));
    }
    ManagedChannel channel = Grpc.newChannelBuilderForAddress(host, grpcPort, InsecureChannelCredentials.create())
        .build();
    GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub grpc = GRPCInferenceServiceGrpc.newFutureStub(channel)
        .withDeadlineAfter(120, TimeUnit.SECONDS);
    for (int i = 0; i < GRPC_CLIENTS; i++) {
      answers.add(inferGrpc(grpc, 100 + i));
    }
    awaitInflight(http, URI.create("http://" + host + ":" + metricsPort + "/metrics"), CLIENTS);

    long signalled = System.nanoTime();
    // SIGTERM. Through the handle: Process.destroy() would also close the pipes this test still reads
    // and writes.
    assertTrue(process.toHandle().destroy());
    awaitStatus(http, ready, 503);
    assertTrue(linesSoFar().stream().noneMatch(line -> line.contains("drain: listeners closed")),
        "readiness answered 503 before the listeners closed");
    awaitLine(line -> line.contains("drain: listeners closed"));

    try (Writer stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
      stdin.write(DrainChild.RELEASE + "\n");
    }
    int answered = 0;
    for (CompletableFuture<Integer> answer : answers) {
      assertEquals(200, answer.get(120, TimeUnit.SECONDS));
      answered++;
    }
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the process exits");
    double seconds = (System.nanoTime() - signalled) / 1e9;
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    assertEquals(0, process.exitValue(), String.join("\n", linesSoFar()));
    assertInOrder("received SIGTERM", "drain: not ready", "drain: listeners closed", "drain: every request answered",
        "drain: stopped, exit code 0");
    System.out.printf("drain figures: SIGTERM to exit %.2f s (drain delay %d s), answered %d, dropped %d%n",
        seconds, DRAIN_DELAY_SECONDS, answered, CLIENTS - answered);
  }

  private CompletableFuture<Integer> infer(HttpClient http, String host, int port, float first) {
    String body = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[" + first
        + ",0]}]}";
    return http.sendAsync(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/v2/models/gated/infer"))
        .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())
        .thenApply(HttpResponse::statusCode);
  }

  private static CompletableFuture<Integer> inferGrpc(GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub grpc,
      float first) {
    ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("gated")
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
            .addShape(1).addShape(2)
            .setContents(InferTensorContents.newBuilder().addFp32Contents(first).addFp32Contents(0)))
        .build();
    CompletableFuture<Integer> status = new CompletableFuture<>();
    com.google.common.util.concurrent.ListenableFuture<ModelInferResponse> call = grpc.modelInfer(request);
    call.addListener(() -> {
      try {
        call.get();
        status.complete(200);
      } catch (Exception e) {
        status.completeExceptionally(e);
      }
    }, Runnable::run);
    return status;
  }

  private void awaitStatus(HttpClient http, URI uri, int wanted) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int last = -1;
    while (System.nanoTime() < deadline) {
      last = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
      if (last == wanted) {
        return;
      }
      Thread.sleep(10);
    }
    throw new AssertionError(uri + " answered " + last + ", not " + wanted);
  }

  private void awaitInflight(HttpClient http, URI metrics, int wanted) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    double last = -1;
    while (System.nanoTime() < deadline) {
      String body = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      Matcher m = INFLIGHT.matcher(body);
      last = m.find() ? Double.parseDouble(m.group(1)) : -1;
      if (last == wanted) {
        return;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("in flight: " + last + ", not " + wanted);
  }

  private void readOutput() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        synchronized (output) {
          output.add(line);
          output.notifyAll();
        }
      }
    } catch (java.io.IOException e) {
      // the process ended
    }
  }

  private List<String> linesSoFar() {
    synchronized (output) {
      return List.copyOf(output);
    }
  }

  private String awaitLine(Predicate<String> wanted) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    synchronized (output) {
      while (true) {
        for (String line : output) {
          if (wanted.test(line)) {
            return line;
          }
        }
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0 || !process.isAlive() && output.stream().noneMatch(wanted)) {
          throw new AssertionError("the gateway never printed the line awaited"
              + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")") + ":\n"
              + String.join("\n", output));
        }
        output.wait(Math.min(left, 1000));
      }
    }
  }

  private void assertInOrder(String... fragments) {
    List<String> lines = linesSoFar();
    int at = 0;
    for (String fragment : fragments) {
      while (at < lines.size() && !lines.get(at).contains(fragment)) {
        at++;
      }
      assertTrue(at < lines.size(), "no '" + fragment + "' after the previous phase:\n" + String.join("\n", lines));
    }
  }
}
