package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.neutrino.repo.ModelControlMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models that scale to zero, over HTTP on a real gateway: idleness is judged on a clock the test moves,
 * so nothing waits for the idle time; loads are held by the test where it needs a slow one.
 */
class IdleUnloadEndToEndTest {
  private static final String MODEL = "identity_fp32";
  private static final Duration IDLE = Duration.ofSeconds(30);

  @TempDir Path dir;

  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final HeldLoadBackend backend = new HeldLoadBackend();

  private Gateway start() {
    return start(IDLE.toSeconds(), null);
  }

  /** A gateway serving {@value #MODEL} alone, with {@code config} as its config.yaml when not null. */
  private Gateway start(long idleSeconds, String config) {
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    try (Stream<Path> models = Files.list(repo)) {
      for (Path model : models.filter(m -> !m.getFileName().toString().equals(MODEL)).toList()) {
        try (Stream<Path> files = Files.walk(model)) {
          for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(file);
          }
        }
      }
      if (config != null) {
        Files.writeString(repo.resolve(MODEL).resolve("config.yaml"), config);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    GatewayConfig settings = TestGateways.freePorts(GatewayConfig.defaults().withHttpPort(0)
        .withModelRepository(repo)
        .withRepository(new GatewayConfig.RepositorySettings(ModelControlMode.NONE, 15, List.of(), 0, 0)
            .withIdleUnloadSecs(idleSeconds)));
    return TestGateways.await(Gateway.create(settings, backend, clock::get, Duration.ofMillis(10)).start()
        .toCompletionStage().toCompletableFuture());
  }

  private static String infer(long timeoutMicros) {
    return "{\"parameters\":{\"timeout\":" + timeoutMicros + "},\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],"
        + "\"datatype\":\"FP32\",\"data\":[1,2]}]}";
  }

  private static JsonNode indexRow(TestClient client) {
    for (JsonNode row : client.post("/v2/repository/index", "{}").json()) {
      if (row.path("name").asText().equals(MODEL)) {
        return row;
      }
    }
    throw new AssertionError("no index row for " + MODEL);
  }

  /** Waits (bounded) until the index row satisfies {@code until}: the sweep runs on its own thread. */
  private static JsonNode awaitRow(TestClient client, Predicate<JsonNode> until) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    JsonNode row = indexRow(client);
    while (!until.test(row) && System.nanoTime() < deadline) {
      Thread.sleep(10);
      row = indexRow(client);
    }
    return row;
  }

  private static double scaledToZero(Gateway gateway) {
    return Scrapes.value(Scrapes.scrape(gateway), Scrapes.key("neutrino_model_scaled_to_zero", "model", MODEL));
  }

  private void idleOut(Gateway gateway, TestClient client) throws InterruptedException {
    idleOut(gateway, client, IDLE);
  }

  private void idleOut(Gateway gateway, TestClient client, Duration idle) throws InterruptedException {
    clock.addAndGet(idle.toNanos());
    JsonNode row = awaitRow(client, r -> r.path("state").asText().equals("UNAVAILABLE"));
    assertEquals("UNAVAILABLE", row.path("state").asText(), row.toString());
    assertTrue(row.path("reason").asText().contains("scaled to zero"), row.toString());
    assertEquals(1.0, scaledToZero(gateway));
  }

  @Test
  void anIdleModelIsUnloadedAndItsNextRequestLoadsIt() throws InterruptedException {
    Gateway gateway = start();
    try {
      TestClient client = TestGateways.client(gateway);
      assertEquals(200, client.post("/v2/models/" + MODEL + "/infer", infer(0)).status());
      assertEquals(0.0, scaledToZero(gateway));
      clock.addAndGet(IDLE.toNanos() - 1);
      assertEquals(200, client.post("/v2/models/" + MODEL + "/infer", infer(0)).status(), "a use restarts the time");
      clock.addAndGet(IDLE.toNanos() - 1);
      assertEquals("READY", indexRow(client).path("state").asText(), "used one nanosecond short of 30 s ago");

      idleOut(gateway, client);
      assertEquals(200, client.get("/v2/health/ready").status(), "a model scaled to zero leaves the server ready");
      int loadsBefore = backend.loads();
      TestClient.Reply loaded = client.post("/v2/models/" + MODEL + "/infer", infer(60_000_000));
      assertEquals(200, loaded.status(), new String(loaded.body()));
      assertTrue(backend.loads() > loadsBefore, "the request loaded the model again");
      assertEquals("READY", indexRow(client).path("state").asText());
      assertEquals(0.0, scaledToZero(gateway));
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void aLoadThatOutlastsTheRequestsTimeoutAnswers503WithRetryAfter() throws InterruptedException {
    Gateway gateway = start();
    CountDownLatch release = null;
    try {
      TestClient client = TestGateways.client(gateway);
      idleOut(gateway, client);
      release = backend.hold();
      TestClient.Reply late = client.post("/v2/models/" + MODEL + "/infer", infer(50_000));
      assertEquals(503, late.status(), new String(late.body()));
      assertTrue(late.headers().firstValue("Retry-After").isPresent(), "503 carries Retry-After");
      assertTrue(late.error().contains(MODEL), late.error());
      release.countDown();
      JsonNode row = awaitRow(client, r -> r.path("state").asText().equals("READY"));
      assertEquals("READY", row.path("state").asText(), "the load the request started goes on: " + row);
      assertEquals(200, client.post("/v2/models/" + MODEL + "/infer", infer(0)).status());
    } finally {
      if (release != null) {
        release.countDown();
      }
      TestGateways.stop(gateway);
    }
  }

  @Test
  void aModelsOwnIdleTimeAppliesWithoutTheFlag() throws InterruptedException {
    Gateway gateway = start(0, "parameters:\n  idle_unload_secs: \"5\"\n");
    try {
      TestClient client = TestGateways.client(gateway);
      assertEquals(200, client.post("/v2/models/" + MODEL + "/infer", infer(0)).status());
      idleOut(gateway, client, Duration.ofSeconds(5));
      assertTrue(indexRow(client).path("reason").asText().contains("5 s"));
      assertEquals(200, client.post("/v2/models/" + MODEL + "/infer", infer(60_000_000)).status());
    } finally {
      TestGateways.stop(gateway);
    }
  }

  @Test
  void aBadIdleTimeFailsTheLoadNamingTheParameter() {
    Gateway gateway = start(0, "parameters:\n  idle_unload_secs: \"soon\"\n");
    try {
      JsonNode row = indexRow(TestGateways.client(gateway));
      assertEquals("UNAVAILABLE", row.path("state").asText(), row.toString());
      assertTrue(row.path("reason").asText().contains("idle_unload_secs"), row.toString());
    } finally {
      TestGateways.stop(gateway);
    }
  }
}
