package dev.neutrino.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import dev.neutrino.runtime.testing.ProcessThreads;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lowering threads' priority for real, through the kernel: each test lowers only threads it starts
 * (a lowered thread cannot be raised again), and reads the values back from {@code /proc}.
 */
class ComputePriorityTest {
  @TempDir Path dir;

  @BeforeEach
  void linuxOnly() {
    assumeTrue(ComputePriority.currentThreadId().isPresent(), "needs Linux's /proc/thread-self");
  }

  @Test
  void aThreadLowersItselfAndNoOtherThread() throws Exception {
    int callerBefore = ComputePriority.currentNice().orElseThrow();
    ComputePriority.Result result = onNewThread(() -> ComputePriority.lowerCurrentThread(5));
    assertTrue(result.lowered(), String.valueOf(result.reason()));
    assertEquals(Math.max(5, callerBefore), result.nice());
    assertEquals(callerBefore, ComputePriority.currentNice().orElseThrow());
  }

  @Test
  void aThreadAlreadyLowerIsLeftWhereItIs() throws Exception {
    int[] nices = onNewThread(() -> {
      ComputePriority.lowerCurrentThread(7);
      ComputePriority.Result again = ComputePriority.lowerCurrentThread(3);
      return new int[] {again.lowered() ? 1 : 0, again.nice(), ComputePriority.currentNice().orElseThrow()};
    });
    assertEquals(1, nices[0]);
    assertEquals(7, nices[1]);
    assertEquals(7, nices[2]);
  }

  @Test
  void unchangedLeavesTheThreadAlone() throws Exception {
    int before = ComputePriority.currentNice().orElseThrow();
    ComputePriority.Result result = ComputePriority.lowerCurrentThread(ComputePriority.UNCHANGED);
    assertTrue(result.lowered());
    assertEquals(before, ComputePriority.currentNice().orElseThrow());
  }

  @Test
  void threadsStartedByALoweredTaskInheritItsPriority() throws Exception {
    int caller = ComputePriority.currentNice().orElseThrow();
    AtomicReference<Integer> child = new AtomicReference<>();
    String taskThread = ComputePriority.callLowered(6, "lowered-task", () -> {
      Thread started = new Thread(() -> child.set(ComputePriority.currentNice().orElse(-1)));
      started.start();
      started.join();
      return Thread.currentThread().getName();
    });
    assertEquals("lowered-task", taskThread);
    assertEquals(Math.max(6, caller), child.get());
    assertEquals(caller, ComputePriority.currentNice().orElseThrow());
  }

  @Test
  void aLoweredTaskFailsWithItsOwnException() {
    IOException thrown = assertThrows(IOException.class,
        () -> ComputePriority.callLowered(4, "failing-task", () -> {
          throw new IOException("the task's own failure");
        }));
    assertEquals("the task's own failure", thrown.getMessage());
  }

  @Test
  void unchangedRunsTheTaskOnTheCallersThread() throws Exception {
    String thread = ComputePriority.callLowered(ComputePriority.UNCHANGED, "unused",
        () -> Thread.currentThread().getName());
    assertEquals(Thread.currentThread().getName(), thread);
  }

  @Test
  void niceValuesOutsideTheKernelsRangeAreRefused() {
    for (int nice : new int[] {-1, 20}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ComputePriority.lowerCurrentThread(nice));
      assertTrue(e.getMessage().contains("between 0 and 19") && e.getMessage().contains(String.valueOf(nice)),
          e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> LoadOptions.cpu(1).withComputeNice(20));
  }

  @Test
  void theProbeLowersAThreadOfItsOwn() throws Exception {
    int caller = ComputePriority.currentNice().orElseThrow();
    ComputePriority.Result probe = ComputePriority.probe(9);
    assertTrue(probe.lowered(), String.valueOf(probe.reason()));
    assertEquals(Math.max(9, caller), probe.nice());
    assertEquals(caller, ComputePriority.currentNice().orElseThrow());
  }

  /**
   * ONNX Runtime starts a session's intra-op threads while it opens it; with a compute nice value
   * they start on a lowered thread and run at its priority, the wide session's too.
   */
  @Test
  void onnxRuntimesIntraOpThreadsRunAtTheComputeNiceValue() throws Exception {
    Path model = identityModel();
    int caller = ComputePriority.currentNice().orElseThrow();
    Map<Long, String> before = ProcessThreads.namesById();
    try (LoadedModel loaded = OnnxRuntimeBackend.create()
        .load(model, LoadOptions.cpu(2).withWideIntraOpThreads(3).withComputeNice(8))) {
      Map<Long, Integer> runtimeThreads = ProcessThreads.nicesById(name -> name.startsWith("neutrino-sessio"));
      runtimeThreads.keySet().removeAll(before.keySet());
      // one pool thread beside the caller's in the narrow session, two in the wide one
      assertTrue(runtimeThreads.size() >= 3, runtimeThreads.toString());
      runtimeThreads.values().forEach(nice -> assertEquals(Math.max(8, caller), nice));
      assertTrue(loaded.hasWideSession());
    }
    assertEquals(caller, ComputePriority.currentNice().orElseThrow());
  }

  @Test
  void withoutAComputeNiceValueSessionsOpenOnTheCallersThread() throws Exception {
    Path model = identityModel();
    Map<Long, String> before = ProcessThreads.namesById();
    try (LoadedModel loaded = OnnxRuntimeBackend.create().load(model, LoadOptions.cpu(2))) {
      assertFalse(ProcessThreads.namesById().entrySet().stream()
          .anyMatch(t -> !before.containsKey(t.getKey()) && t.getValue().startsWith("neutrino-sessio")));
    }
  }

  private Path identityModel() throws Exception {
    Path model = dir.resolve("model.onnx");
    new OnnxModelBuilder("identity").input("x", DataType.FP32, -1, 2).output("y", DataType.FP32, -1, 2)
        .node("Identity", List.of("x"), List.of("y")).writeTo(model);
    return model;
  }

  private static <T> T onNewThread(Callable<T> task) throws Exception {
    FutureTask<T> future = new FutureTask<>(task);
    Thread thread = new Thread(future, "compute-priority-test");
    thread.start();
    return future.get();
  }
}
