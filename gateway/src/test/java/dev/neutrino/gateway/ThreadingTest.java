package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.neutrino.runtime.testing.TestBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inference never runs on an event loop, a failing model fails only its own requests, and the models'
 * threads run below the event loops.
 */
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

  @Test
  void modelThreadsRunBelowTheEventLoops() throws IOException {
    assumeTrue(Files.isSymbolicLink(Path.of("/proc/thread-self")), "threads are lowered on Linux only");
    Files.createDirectories(dir.resolve("echo/1"));
    Files.writeString(dir.resolve("echo/1/model.onnx"), "ok");
    Gateway gateway = TestGateways.start(GatewayConfig.defaults().withModelRepository(dir), new TestBackend());
    try {
      String body = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}]}";
      assertEquals(200, TestGateways.client(gateway).post("/v2/models/echo/infer", body).status());
      Map<String, List<Integer>> niceness = nicenessByThreadName();
      List<Integer> instances = niceness.getOrDefault("neutrino-instan", List.of());
      List<Integer> eventLoops = niceness.getOrDefault("vert.x-eventloo", List.of());
      assertFalse(instances.isEmpty() || eventLoops.isEmpty(), niceness.toString());
      assertTrue(instances.stream().allMatch(n -> n >= 10), "instance threads at niceness 10: " + niceness);
      assertTrue(eventLoops.stream().allMatch(n -> n < 10), "event loops at the process's priority: " + niceness);
    } finally {
      TestGateways.stop(gateway);
    }
  }

  /** Each thread of this process by its kernel name (15 characters at most), with its niceness. */
  private static Map<String, List<Integer>> nicenessByThreadName() throws IOException {
    Map<String, List<Integer>> byName = new TreeMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        try {
          String name = Files.readString(task.resolve("comm")).strip();
          String stat = Files.readString(task.resolve("stat"));
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
          byName.computeIfAbsent(name, k -> new ArrayList<>()).add(Integer.parseInt(fields[19 - 3]));
        } catch (IOException e) {
          // the thread ended while the folder was read
        }
      }
    }
    return byName;
  }
}
