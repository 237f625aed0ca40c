package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overload scenario's child processes: a real gateway started from this JVM's class path (pinned
 * with taskset to one core where taskset exists, or warming up on every core first), answering over
 * HTTP, and gone after close.
 */
@Timeout(180)
class GatewayProcessTest {
  private static Path repository(Path dir) throws Exception {
    Path model = dir.resolve("identity").resolve("1").resolve("model.onnx");
    Files.createDirectories(model.getParent());
    Files.write(model, new OnnxModelBuilder("identity")
        .input("INPUT0", DataType.FP32, -1, 4)
        .output("OUTPUT0", DataType.FP32, -1, 4)
        .node("Identity", List.of("INPUT0"), List.of("OUTPUT0"))
        .toByteArray());
    return dir;
  }

  @Test
  void childGatewayAnswersAndIsGoneAfterClose(@TempDir Path dir) throws Exception {
    Optional<Path> taskset = Cpus.taskset();
    List<Integer> core = taskset.isPresent()
        ? List.of(Cpus.allowed(taskset.get(), ProcessHandle.current().pid()).get(0)) : List.of();
    ProcessHandle handle;
    try (GatewayProcess gateway = GatewayProcess.start(GatewayProcess.javaCommand(List.of()), taskset, core,
        repository(dir), List.of())) {
      handle = gateway.handle();
      assertTrue(handle.isAlive());
      assertEquals(ProcessHandle.current().pid(), handle.parent().map(ProcessHandle::pid).orElse(-1L),
          "a child of this JVM");
      if (taskset.isPresent()) {
        assertEquals(core, Cpus.allowed(taskset.get(), handle.pid()), "pinned to the core it was given");
      }
      HttpResponse<String> answer = infer(gateway);
      assertEquals(200, answer.statusCode(), answer.body());
      assertTrue(answer.body().contains("4.5"), answer.body());
    }
    assertFalse(handle.isAlive(), "the gateway is gone once closed");
    assertFalse(ProcessHandle.current().children().anyMatch(ProcessHandle::isAlive), "no child left behind");
  }

  @Test
  void childWarmingUpOnEveryCoreIsSizedForItsOwnAndPinnedThereWithAllItsThreads(@TempDir Path dir)
      throws Exception {
    Optional<Path> taskset = Cpus.taskset();
    assumeTrue(taskset.isPresent(), "taskset (util-linux) is not installed");
    List<Integer> allowed = Cpus.allowed(taskset.get(), ProcessHandle.current().pid());
    assumeTrue(allowed.size() >= 2, "this process may use one core only");
    List<Integer> own = List.of(allowed.get(allowed.size() - 1));
    // with JVM options of its own (--gateway-java-options): a collector the JVM would not pick for one core
    try (GatewayProcess gateway = GatewayProcess.start(GatewayProcess.javaCommand(List.of("-XX:+UseZGC")),
        taskset, own, allowed, repository(dir), List.of())) {
      long pid = gateway.handle().pid();
      assertTrue(gateway.warmingUp());
      assertEquals(allowed, Cpus.allowed(taskset.get(), pid), "on every core while it warms up");
      List<String> commandLine = List.of(Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"))
          .split("\0"));
      assertTrue(commandLine.contains("-XX:ActiveProcessorCount=1"), "sized for its one core: " + commandLine);
      assertTrue(gateway.description().contains("then pinned to core(s) " + own.get(0)), gateway.description());

      gateway.pinToItsCores();
      assertFalse(gateway.warmingUp());
      List<Path> threads;
      try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
        threads = tasks.toList();
      }
      assertTrue(threads.size() > 1);
      List<String> names = new ArrayList<>();
      for (Path thread : threads) {
        String status = Files.readString(thread.resolve("status"));
        assertTrue(status.contains("Cpus_allowed_list:\t" + own.get(0) + "\n"), thread + ": every thread pinned");
        names.add(Files.readString(thread.resolve("comm")).trim());
      }
      assertTrue(names.stream().anyMatch(name -> name.startsWith("ZDirector")), "runs ZGC: " + names);
      assertEquals(200, infer(gateway).statusCode(), "still answering once pinned");
    }
  }

  private static HttpResponse<String> infer(GatewayProcess gateway) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + gateway.http().port() + "/v2/models/identity/infer"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\":[{\"name\":\"INPUT0\",\"datatype\":\"FP32\","
            + "\"shape\":[1,4],\"data\":[1,2,3,4.5]}]}"))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void gatewayThatCannotStartIsReportedWithItsOutputAndLeavesNothing(@TempDir Path dir) throws Exception {
    IOException failure = assertThrows(IOException.class, () -> GatewayProcess.start(
        GatewayProcess.javaCommand(List.of()), Optional.empty(), List.of(), repository(dir), List.of("--no-such-flag", "1")));

    assertTrue(failure.getMessage().contains("exited") && failure.getMessage().contains("no-such-flag"),
        failure.getMessage());
    assertFalse(ProcessHandle.current().children().anyMatch(ProcessHandle::isAlive), "no child left behind");
  }

  @Test
  void cpuListsReadAsTasksetWritesThem() {
    assertEquals(List.of(0, 1, 2, 3, 6), Cpus.parseList("0-3,6"));
    assertEquals("1,3", Cpus.list(List.of(1, 3)));
    assertThrows(IllegalArgumentException.class, () -> Cpus.parseList("a-b"));
  }
}
