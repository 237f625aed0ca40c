package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The models' threads run below the serving threads, and the caller's thread is never lowered. */
class ComputePriorityTest {
  @TempDir Path root;

  /** ONNX Runtime whose loads and runs record the niceness of the thread they run on. */
  private static final class Recording extends OrtTestBackend {
    final ConcurrentLinkedQueue<Integer> loads = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Integer> runs = new ConcurrentLinkedQueue<>();

    @Override
    public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
      loads.add(currentNiceness());
      return new ForwardingModel(ort.load(modelFile, options)) {
        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
          runs.add(currentNiceness());
          return super.run(inputs, outputs);
        }
      };
    }
  }

  private static int currentNiceness() {
    return ComputePriority.niceness(ComputePriority.currentThreadId().orElseThrow()).orElseThrow();
  }

  @BeforeEach
  void model() throws IOException {
    assumeTrue(Files.isSymbolicLink(Path.of("/proc/thread-self")), "threads are lowered on Linux only");
    new OnnxModelBuilder("add")
        .input("INPUT0", DataType.FP32, -1, 4)
        .output("OUTPUT0", DataType.FP32, -1, 4)
        .initializer("c", new long[] {1}, new float[] {1f})
        .node("Add", List.of("INPUT0", "c"), List.of("OUTPUT0"))
        .writeTo(root.resolve("m/1/model.onnx"));
    Files.writeString(root.resolve("m/config.yaml"), """
        max_batch_size: 8
        dynamic_batching: {}
        instance_group:
          - kind: KIND_CPU
            count: 2
        """);
  }

  @Test
  void lowersTheCallingThreadAndEveryThreadItStartsAfterwards() throws Exception {
    AtomicReference<String> failure = new AtomicReference<>("not run");
    AtomicReference<Integer> lowered = new AtomicReference<>();
    AtomicReference<Integer> child = new AtomicReference<>();
    Thread thread = new Thread(() -> {
      failure.set(new ComputePriority(6).lowerCurrentThread());
      lowered.set(currentNiceness());
      Thread started = new Thread(() -> child.set(currentNiceness()));
      started.start();
      try {
        started.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    int before = currentNiceness();
    thread.start();
    thread.join();
    assertNull(failure.get());
    assertEquals(Math.max(6, before), lowered.get());
    assertEquals(Math.max(6, before), child.get(), "a thread inherits its creator's niceness");
    assertEquals(before, currentNiceness(), "only the thread that asked is lowered");
  }

  @Test
  void loadsAndRunsTheModelsBelowTheCallersPriority() throws Exception {
    int caller = currentNiceness();
    assumeTrue(caller < 7, "the test runs below niceness 7");
    Recording backend = new Recording();
    try (ModelRepository repository = ModelRepository.open(root, new RepositoryOptions(2, SchedulerOptions.DEFAULT)
        .withComputePriority(new ComputePriority(7)), backend)) {
      repository.loadAll();
      serveOnce(repository);
    }
    assertEquals(List.of(7, 7), List.copyOf(backend.loads), "every instance is created on a lowered thread");
    assertTrue(!backend.runs.isEmpty() && backend.runs.stream().allMatch(n -> n == 7),
        "the instances run at niceness 7: " + backend.runs);
    assertEquals(caller, currentNiceness(), "the caller's thread keeps its priority");
  }

  @Test
  void leavesEveryThreadAtTheProcessPriorityWhenUnchanged() throws Exception {
    int caller = currentNiceness();
    Recording backend = new Recording();
    try (ModelRepository repository = ModelRepository.open(root, new RepositoryOptions(2, SchedulerOptions.DEFAULT),
        backend)) {
      repository.loadAll();
      serveOnce(repository);
    }
    assertTrue(backend.loads.stream().allMatch(n -> n == caller), "loads: " + backend.loads);
    assertTrue(!backend.runs.isEmpty() && backend.runs.stream().allMatch(n -> n == caller), "runs: " + backend.runs);
  }

  @Test
  void rejectsANicenessLinuxDoesNotHave() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ComputePriority(20));
    assertTrue(e.getMessage().contains("between 0 and 19"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ComputePriority(-1));
  }

  private static void serveOnce(ModelRepository repository) {
    try (Lease lease = repository.acquire("m", null)) {
      float[] out = lease.version().infer(InferenceRequest.of("r", Map.of("INPUT0",
          Tensor.ofFloats(new long[] {1, 4}, 1, 2, 3, 4)))).result().toCompletableFuture().join()
          .outputs().get("OUTPUT0").toFloatArray();
      assertEquals(List.of(2f, 3f, 4f, 5f), List.of(out[0], out[1], out[2], out[3]));
    }
  }
}
