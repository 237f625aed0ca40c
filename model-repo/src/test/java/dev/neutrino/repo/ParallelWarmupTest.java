package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model's instances warm up at once, each running every warm-up sample once, in order. */
class ParallelWarmupTest {
  private static final int INSTANCES = 3;
  /** Instances that must warm up at once: two, since warm-ups run on at least two threads (at most one per core). */
  private static final int TOGETHER = 2;

  @TempDir Path root;
  private ModelRepository repository;

  /**
   * ONNX Runtime whose instances record the rows of each run and the thread it ran on. The first run
   * of every instance waits until {@code together} instances have started one: warm-ups made one
   * after another never get past the first (it fails after a bounded wait). The instance loaded
   * {@code failing}-th (from 1; 0 for none) fails its runs.
   */
  private static final class Recording extends OrtTestBackend {
    private final CountDownLatch together;
    private final int failing;
    private final AtomicInteger loads = new AtomicInteger();
    final List<List<Long>> rowsByInstance = new CopyOnWriteArrayList<>();
    final List<String> firstRunThreads = new CopyOnWriteArrayList<>();
    final AtomicInteger open = new AtomicInteger();

    Recording(int together, int failing) {
      this.together = new CountDownLatch(together);
      this.failing = failing;
    }

    @Override
    public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
      boolean fails = loads.incrementAndGet() == failing;
      LoadedModel model = ort.load(modelFile, options);
      List<Long> rows = new CopyOnWriteArrayList<>();
      rowsByInstance.add(rows);
      return new CountedModel(model, open) {

        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
          if (rows.isEmpty()) {
            firstRunThreads.add(Thread.currentThread().getName());
            together.countDown();
            try {
              if (!together.await(60, TimeUnit.SECONDS)) {
                throw new InferenceException.BackendFailure("an instance warmed up alone", null);
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new InferenceException.BackendFailure("interrupted", e);
            }
          }
          rows.add(inputs.get("INPUT0").shape()[0]);
          if (fails) {
            throw new InferenceException.BackendFailure("this instance cannot run (as the test asked)", null);
          }
          return model.run(inputs, outputs);
        }
      };
    }
  }

  @BeforeEach
  void model() throws IOException {
    AddOneModel.writeTo(root.resolve("m/1/model.onnx"));
    Files.writeString(root.resolve("m/config.pbtxt"), """
        max_batch_size: 4
        instance_group [ { kind: KIND_CPU count: %d } ]
        model_warmup [
          {
            name: "single"
            batch_size: 1
            count: 2
            inputs { key: "INPUT0" value: { data_type: TYPE_FP32 dims: [ 4 ] zero_data: true } }
          },
          {
            name: "pair"
            batch_size: 2
            inputs { key: "INPUT0" value: { data_type: TYPE_FP32 dims: [ 4 ] random_data: true } }
          }
        ]
        """.formatted(INSTANCES));
  }

  @AfterEach
  void close() {
    if (repository != null) {
      repository.close();
    }
  }

  private ModelRepository open(Backend backend) throws IOException {
    repository = ModelRepository.open(root, new RepositoryOptions(4, SchedulerOptions.DEFAULT)
        .withControlMode(ModelControlMode.EXPLICIT, RepositoryOptions.DEFAULT_POLL_INTERVAL, Set.of()), backend);
    return repository;
  }

  @Test
  void warmsEveryInstanceAtOnceRunningEachSampleOnceInOrder() throws Exception {
    Recording backend = new Recording(TOGETHER, 0);
    open(backend).requestLoad("m", null).toCompletableFuture().join();

    assertEquals(INSTANCES, backend.rowsByInstance.size());
    for (List<Long> rows : backend.rowsByInstance) {
      assertEquals(List.of(1L, 1L, 2L), rows, "sample 'single' twice, then 'pair' once");
    }
    assertTrue(Set.copyOf(backend.firstRunThreads).size() >= TOGETHER, "warm-ups on threads of their own: "
        + backend.firstRunThreads);
    try (Lease lease = repository.acquire("m", null)) {
      LoadTimes times = lease.version().loadTimes();
      assertTrue(times.createNanos() > 0 && times.warmupNanos() > 0, times.toString());
    }
  }

  @Test
  void oneFailedWarmUpFailsTheLoadAndClosesEveryInstance() throws Exception {
    Recording backend = new Recording(TOGETHER, 2);
    CompletionException e = assertThrows(CompletionException.class,
        () -> open(backend).requestLoad("m", null).toCompletableFuture().join());
    assertInstanceOf(InferenceException.class, e.getCause());
    assertTrue(e.getCause().getMessage().contains("warm-up failed"), e.getCause().getMessage());
    assertTrue(e.getCause().getMessage().contains("cannot run (as the test asked)"), e.getCause().getMessage());
    assertEquals(INSTANCES, backend.rowsByInstance.size());
    for (List<Long> rows : backend.rowsByInstance) {
      assertTrue(!rows.isEmpty(), "every instance's warm-up ran: " + backend.rowsByInstance);
    }
    assertEquals(0, backend.open.get(), "every instance created for the failed load is closed");
  }
}
