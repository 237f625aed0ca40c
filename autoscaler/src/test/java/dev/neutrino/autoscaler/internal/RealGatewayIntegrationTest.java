package dev.neutrino.autoscaler.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.autoscaler.ActuationException;
import dev.neutrino.autoscaler.AutoscalerConfig;
import dev.neutrino.autoscaler.replay.ChildOutput;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The autoscaler against the REAL gateway: the packaged gateway jar as a child process serving the example
 * repository's {@code text_encoder} in explicit mode, a real Prometheus scraping its metrics port every
 * second, the test putting the gateway under load, and the autoscaler's own loop (real clock) scaling the
 * model's instances through the gateway's repository API. Asserts the instance count rises above 1 under
 * load with every load request answered 200 (no failures while the model reloads), and that it comes back
 * to 1 once the load stops. Every wait is bounded; there are no timing assertions.
 *
 * <p>Finds the gateway's shaded jar and the example repository beside the artifacts of the gateway and
 * model-repo, which the autoscaler declares as test dependencies, so a reactor {@code mvn verify} (also
 * with {@code -T}) packages both before this test runs.
 */
class RealGatewayIntegrationTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = "text_encoder";
  private static final int LOAD_THREADS = 24;
  private static final Duration GATEWAY_READY_WITHIN = Duration.ofSeconds(60);
  private static final Pattern LISTENING = Pattern.compile("neutrino listening http=\\S*:(\\d+) .*metrics=\\S*:(\\d+)");
  private static final Duration SCALE_UP_WITHIN = Duration.ofSeconds(30);
  private static final Duration SCALE_DOWN_WITHIN = Duration.ofSeconds(40);
  private static final Duration GATEWAY_MAX_LIFETIME = Duration.ofMinutes(4);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void scalesTheRealGatewaysModelInstancesUpUnderLoadWithoutFailedRequestsAndBackDown() throws Exception {
    Path jar = buildFolderOf("dev.neutrino.gateway.Main").resolve("neutrino-gateway.jar");
    Path repository = buildFolderOf("dev.neutrino.repo.examples.ExampleModels").resolve("example-repository");
    if (!Files.isRegularFile(jar) || !Files.isDirectory(repository.resolve(MODEL))) {
      fail("this test runs the real gateway and needs " + jar + " and " + repository.resolve(MODEL)
          + "; run mvn verify (or ./neutrino test) from the project's root, which packages gateway and model-repo "
          + "before the autoscaler's tests");
    }
    Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "real-gateway-it-");
    Path gatewayLog = dir.resolve("gateway.log");
    Process gatewayProcess = null;
    LocalPrometheus prometheus = null;
    Autoscaler autoscaler = null;
    ExecutorService load = null;
    AtomicBoolean loading = new AtomicBoolean(true);
    try {
      gatewayProcess = startGateway(jar, repository, gatewayLog);
      Matcher ports = awaitListening(gatewayProcess, gatewayLog);
      URI gateway = URI.create("http://127.0.0.1:" + ports.group(1));
      int metricsPort = Integer.parseInt(ports.group(2));
      awaitReady(gatewayProcess, gateway, gatewayLog);
      assertEquals(2, instances(gateway), "the example text_encoder starts with two instances");

      prometheus = LocalPrometheus.start("127.0.0.1:" + metricsPort, dir.resolve("prometheus"));
      AutoscalerConfig config = AutoscalerConfig.parse("""
          interval: 1s
          stale_after: 10s
          metrics_host: 127.0.0.1
          metrics_port: 0
          prometheus:
            url: %s
            timeout: 2s
          retry:
            initial: 1s
            max: 5s
          targets:
            - name: encoder
              model: %s
              min_replicas: 1
              max_replicas: 3
              scale:
                kind: local
                gateway: %s
              metrics:
                source: prometheus
                demand: 'sum(neutrino_inflight_requests{model="%s"})'
              policy:
                name: kpa
                target: 2
                stable_window: 6s
          """.formatted(prometheus.url(), MODEL, gateway, MODEL));
      autoscaler = Autoscaler.create(config, Clock.systemUTC(), false);
      autoscaler.start(config);

      // Load: LOAD_THREADS clients in closed loops, each recording every status it gets.
      byte[] body = inferBody();
      AtomicLong ok = new AtomicLong();
      Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
      load = Executors.newFixedThreadPool(LOAD_THREADS, r -> {
        Thread t = new Thread(r, "real-gateway-load");
        t.setDaemon(true);
        return t;
      });
      HttpRequest infer = HttpRequest.newBuilder(gateway.resolve("/v2/models/" + MODEL + "/infer"))
          .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
      List<Future<?>> clients = new ArrayList<>();
      for (int i = 0; i < LOAD_THREADS; i++) {
        clients.add(load.submit(() -> {
          while (loading.get()) {
            try {
              HttpResponse<String> r = http.send(infer, HttpResponse.BodyHandlers.ofString());
              if (r.statusCode() == 200) {
                ok.incrementAndGet();
              } else {
                failures.computeIfAbsent("HTTP " + r.statusCode() + ": " + abbreviate(r.body()),
                    k -> new AtomicLong()).incrementAndGet();
              }
            } catch (IOException e) {
              failures.computeIfAbsent(e.toString(), k -> new AtomicLong()).incrementAndGet();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
          }
        }));
      }

      // Scale-up: bounded wait for the gateway's instance count to rise above the example's 2.
      int peak = awaitInstances(gateway, n -> n > 2, SCALE_UP_WITHIN);
      // Keep the load on briefly after the reload so requests against the new instances are counted too.
      Thread.sleep(2000);
      loading.set(false);
      for (Future<?> c : clients) {
        c.get(40, TimeUnit.SECONDS);
      }
      String gatewayTail = tail(gatewayLog);
      assertTrue(peak > 2, "the autoscaler never raised text_encoder's instances above 2 within " + SCALE_UP_WITHIN
          + " under load (" + ok.get() + " requests answered); gateway log:\n" + gatewayTail);
      assertTrue(ok.get() > 0, "no load request was answered");
      assertTrue(failures.isEmpty(), "load requests failed while the autoscaler reloaded the model ("
          + ok.get() + " answered 200): " + failures + "\ngateway log:\n" + gatewayTail);
      System.out.println("RealGatewayIntegrationTest: scaled 2 -> " + peak + " under load, " + ok.get()
          + " requests all answered 200");

      // Scale-down: with the load gone, demand drops to 0 and the count must come back to 1 (bounded).
      int after = awaitInstances(gateway, n -> n == 1, SCALE_DOWN_WITHIN);
      assertEquals(1, after, "the autoscaler did not bring text_encoder back to 1 instance within "
          + SCALE_DOWN_WITHIN + " after the load stopped; gateway log:\n" + tail(gatewayLog));
      System.out.println("RealGatewayIntegrationTest: back to 1 instance after the load stopped");
    } finally {
      loading.set(false);
      if (load != null) {
        load.shutdownNow();
      }
      if (autoscaler != null) {
        autoscaler.close();
      }
      if (prometheus != null) {
        prometheus.close();
      }
      if (gatewayProcess != null) {
        stop(gatewayProcess);
      }
    }
  }

  @Test
  void localTargetScalesTheRealGatewaysModelToZeroAndBack() throws Exception {
    Path jar = buildFolderOf("dev.neutrino.gateway.Main").resolve("neutrino-gateway.jar");
    Path repository = buildFolderOf("dev.neutrino.repo.examples.ExampleModels").resolve("example-repository");
    if (!Files.isRegularFile(jar) || !Files.isDirectory(repository.resolve(MODEL))) {
      fail("this test runs the real gateway and needs " + jar + " and " + repository.resolve(MODEL)
          + "; run mvn verify (or ./neutrino test) from the project's root");
    }
    Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "real-gateway-zero-");
    Path gatewayLog = dir.resolve("gateway.log");
    Process gatewayProcess = null;
    try {
      gatewayProcess = startGateway(jar, repository, gatewayLog);
      URI gateway = URI.create("http://127.0.0.1:" + awaitListening(gatewayProcess, gatewayLog).group(1));
      awaitReady(gatewayProcess, gateway, gatewayLog);
      LocalGatewayActuator actuator = new LocalGatewayActuator(http, gateway, MODEL, "KIND_CPU",
          Duration.ofSeconds(60));
      assertEquals(2, actuator.read().current(), "the example text_encoder starts with two instances");

      actuator.apply(0);
      assertEquals(0, actuator.read().current(), "unloaded: zero instances");
      HttpResponse<String> notReady = http.send(HttpRequest.newBuilder(
          gateway.resolve("/v2/models/" + MODEL + "/ready")).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertTrue(notReady.statusCode() != 200, "the model must not be ready at zero: " + notReady.statusCode());

      actuator.apply(1);
      assertEquals(1, actuator.read().current(), "loaded again");
      HttpResponse<String> answer = http.send(HttpRequest.newBuilder(
              gateway.resolve("/v2/models/" + MODEL + "/infer")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(inferBody())).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, answer.statusCode(), answer.body());

      LocalGatewayActuator unknown = new LocalGatewayActuator(http, gateway, "no_such_model", null,
          Duration.ofSeconds(10));
      ActuationException refused = assertThrows(ActuationException.class, unknown::read);
      assertTrue(refused.getMessage().contains("no_such_model"), refused.getMessage());
    } finally {
      if (gatewayProcess != null) {
        stop(gatewayProcess);
      }
    }
  }

  /**
   * The build folder ({@code target/}) of the module that holds {@code className}, found through the
   * test dependency that puts that module's artifact (or, before packaging, its classes) on the class path.
   */
  private static Path buildFolderOf(String className) throws Exception {
    Class<?> type = Class.forName(className, false, RealGatewayIntegrationTest.class.getClassLoader());
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
  }

  /**
   * Starts the packaged gateway on ports the system picks (0): a port chosen here and freed before the
   * gateway binds it can be taken by anything else in between.
   */
  private static Process startGateway(Path jar, Path repository, Path log) throws IOException {
    List<String> command = new ArrayList<>();
    Path timeout = Path.of("/usr/bin/timeout");
    if (Files.isExecutable(timeout)) {
      // Bounds the gateway's life even if this JVM dies before the finally block runs.
      command.addAll(List.of(timeout.toString(), Long.toString(GATEWAY_MAX_LIFETIME.toSeconds())));
    }
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar.toString(),
        "--host", "127.0.0.1",
        "--http-port", "0",
        "--grpc-port", "0",
        "--metrics-port", "0",
        "--model-repository", repository.toString(),
        "--model-control-mode", "explicit",
        "--load-model", MODEL,
        "--log-level", "warn"));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** The line the gateway prints once it listens: group 1 its HTTP port, group 2 its metrics port. */
  private static Matcher awaitListening(Process process, Path log) throws IOException, InterruptedException {
    return ChildOutput.await(process, log, LISTENING, GATEWAY_READY_WITHIN, "the gateway");
  }

  private void awaitReady(Process process, URI gateway, Path log) throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(GATEWAY_READY_WITHIN);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        fail("the gateway exited with " + process.exitValue() + " before it was ready:\n" + tail(log));
      }
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(gateway.resolve("/v2/health/ready"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    fail("the gateway was not ready within " + GATEWAY_READY_WITHIN + ":\n" + tail(log));
  }

  /** The model's instance count, {@code instance_group[0].count} of its config. */
  private int instances(URI gateway) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(gateway.resolve("/v2/models/" + MODEL + "/config"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), () -> "GET config: " + r.body());
    JsonNode count = JSON.readTree(r.body()).path("instance_group").path(0).path("count");
    assertTrue(count.isNumber(), () -> "no instance_group[0].count in " + r.body());
    return count.asInt();
  }

  /** Polls the instance count until {@code ok} holds or {@code within} passes; returns the last count seen. */
  private int awaitInstances(URI gateway, java.util.function.IntPredicate ok, Duration within)
      throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(within);
    int n = instances(gateway);
    while (!ok.test(n) && Instant.now().isBefore(deadline)) {
      Thread.sleep(250);
      n = instances(gateway);
    }
    return n;
  }

  private static byte[] inferBody() throws IOException {
    List<Integer> ids = IntStream.range(0, 128).map(i -> 1 + (i * 37) % 1000).boxed().collect(Collectors.toList());
    return JSON.writeValueAsBytes(Map.of("inputs", List.of(Map.of(
        "name", "input_ids", "shape", List.of(1, 128), "datatype", "INT64", "data", ids))));
  }

  private static void stop(Process process) {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no gateway log: " + e + ")";
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
