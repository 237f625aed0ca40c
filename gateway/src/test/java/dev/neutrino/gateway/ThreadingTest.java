package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.neutrino.runtime.ComputePriority;
import dev.neutrino.runtime.testing.ProcessThreads;
import dev.neutrino.runtime.testing.TestBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inference never runs on an event loop, and a failing model fails only its own requests. */
class ThreadingTest {
  @TempDir Path dir;

  @Test
  void inferenceRunsOnInstanceThreadsNeverOnEventLoops() throws IOException {
    Files.createDirectories(dir.resolve("echo/1"));
    Files.writeString(dir.resolve("echo/1/model.onnx"), "ok");
    Files.createDirectories(dir.resolve("failing/1"));
    Files.writeString(dir.resolve("failing/1/model.onnx"), "fail");
    TestBackend backend = new TestBackend();
    Gateway gateway = TestGateways.start(GatewayConfig.defaults().withModelRepository(dir), backend);
    backend.forget();
    try {
      TestClient client = TestGateways.client(gateway);
      String body = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}]}";
      List<CompletableFuture<TestClient.Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String model = i % 2 == 0 ? "echo" : "failing";
        replies.add(CompletableFuture.supplyAsync(() -> client.post("/v2/models/" + model + "/infer", body)));
      }
      for (int i = 0; i < replies.size(); i++) {
        TestClient.Reply reply = replies.get(i).join();
        if (i % 2 == 0) {
          assertEquals(200, reply.status());
          assertEquals("[1.0,2.0]", reply.json().get("outputs").get(0).get("data").toString());
        } else {
          assertEquals(500, reply.status());
          assertTrue(reply.error().contains("failed"), reply.error());
        }
      }
      // Both models batch (auto-complete gives them the dynamic batcher), so concurrent requests may share a run.
      assertTrue(backend.runThreads.size() >= 2 && backend.runThreads.size() <= 20, backend.runThreads.toString());
      for (String thread : backend.runThreads) {
        assertFalse(thread.contains("eventloop"), thread);
        assertTrue(thread.startsWith("neutrino-instance-"), thread);
      }
    } finally {
      TestGateways.stop(gateway);
    }
  }

  /**
   * Model instances run below the event loops' priority (the default nice 10), and no event loop is
   * ever lowered: not even one a model's load happened to start.
   */
  @Test
  void modelsRunBelowTheEventLoopsPriority() throws Exception {
    assumeTrue(ComputePriority.currentNice().isPresent(), "needs Linux's /proc/thread-self");
    int process = ComputePriority.currentNice().getAsInt();
    Files.createDirectories(dir.resolve("echo/1"));
    Files.writeString(dir.resolve("echo/1/model.onnx"), "ok");
    for (int nice : new int[] {GatewayConfig.RepositorySettings.DEFAULT_COMPUTE_NICE, 0}) {
      TestBackend backend = new TestBackend();
      GatewayConfig config = GatewayConfig.defaults().withModelRepository(dir);
      Gateway gateway = TestGateways.start(config.withRepository(config.repository().withComputeNice(nice)), backend);
      backend.forget();
      try {
        TestClient client = TestGateways.client(gateway);
        String body = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}]}";
        assertEquals(200, client.post("/v2/models/echo/infer", body).status());
        assertEquals(List.of(Math.max(nice, process)), List.copyOf(backend.runNices));
        Map<Long, Integer> eventLoops = ProcessThreads.nicesById(name -> name.startsWith("vert.x-eventloo"));
        assertFalse(eventLoops.isEmpty());
        eventLoops.forEach((tid, niceOfLoop) -> assertEquals(process, niceOfLoop, "" + tid));
      } finally {
        TestGateways.stop(gateway);
      }
    }
  }

  /** The start-up log says whether the model threads run below the event loops, and at which value. */
  @Test
  void theStartUpLogSaysWhereModelThreadsRun() throws Exception {
    assumeTrue(ComputePriority.currentNice().isPresent(), "needs Linux's /proc/thread-self");
    int process = ComputePriority.currentNice().getAsInt();
    assumeTrue(process < 10, "the process already runs at nice " + process);
    try (CapturedLog log = CapturedLog.of(Main.class.getName())) {
      Main.logComputePriority(10);
      Main.logComputePriority(0);
      assertEquals(List.of("model threads run at nice 10, below the event loops' " + process
          + ": a saturated CPU serves the front door first (--compute-nice)"), log.messages());
    }
  }
}
