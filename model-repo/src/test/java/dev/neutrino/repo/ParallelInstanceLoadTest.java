package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.batching.InferenceRequest;
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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model's instances after the first are created at once, not one after another. */
class ParallelInstanceLoadTest {
  @TempDir Path root;
  private ModelRepository repository;

  /**
   * ONNX Runtime, where every load after the first waits until {@code together} loads have arrived:
   * loads made one after another never get past the first of them (it fails after a bounded wait).
   * Instances it hands out record their closing.
   */
  private static final class Rendezvous extends OrtTestBackend {
    private final CountDownLatch together;
    private final AtomicInteger loads = new AtomicInteger();
    private final int failing;
    final ConcurrentLinkedQueue<String> threads = new ConcurrentLinkedQueue<>();
    final AtomicInteger open = new AtomicInteger();

    /** {@code failing}: the load (counted from 1) that fails once the rendezvous is reached; 0 for none. */
    Rendezvous(int together, int failing) {
      this.together = new CountDownLatch(together);
      this.failing = failing;
    }

    @Override
    public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
      int n = loads.incrementAndGet();
      if (n > 1) {
        threads.add(Thread.currentThread().getName());
        together.countDown();
        try {
          if (!together.await(60, TimeUnit.SECONDS)) {
            throw new ModelLoadException("instance " + n + " was loaded alone");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ModelLoadException("interrupted");
        }
        if (n == failing) {
          throw new ModelLoadException("instance " + n + " cannot be created");
        }
      }
      return new CountedModel(ort.load(modelFile, options), open);
    }
  }

  @BeforeEach
  void model() throws IOException {
    AddOneModel.writeTo(root.resolve("m/1/model.onnx"));
    Files.writeString(root.resolve("m/config.yaml"), "instance_group:\n  - kind: KIND_CPU\n    count: 3\n");
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
  void createsTheInstancesAfterTheFirstAtOnceAndServesFromAllOfThem() throws Exception {
    Rendezvous backend = new Rendezvous(2, 0);
    open(backend).requestLoad("m", null).toCompletableFuture().join();
    assertEquals(2, backend.threads.size());
    assertEquals(2, Set.copyOf(backend.threads).size(), "each instance on a thread of its own");
    assertEquals(3, backend.open.get());
    try (Lease lease = repository.acquire("m", null)) {
      assertEquals(3, lease.version().instanceCount());
      float[] out = lease.version().infer(InferenceRequest.of("r", Map.of("INPUT0",
          Tensor.ofFloats(new long[] {1, 4}, 1, 2, 3, 4)))).result().toCompletableFuture().join()
          .outputs().get("OUTPUT0").toFloatArray();
      assertEquals(List.of(2f, 3f, 4f, 5f), List.of(out[0], out[1], out[2], out[3]));
    }
  }

  @Test
  void oneFailedInstanceFailsTheLoadAndClosesTheOthers() throws Exception {
    Rendezvous backend = new Rendezvous(2, 3);
    CompletionException e = assertThrows(CompletionException.class,
        () -> open(backend).requestLoad("m", null).toCompletableFuture().join());
    assertInstanceOf(InferenceException.class, e.getCause());
    assertTrue(e.getCause().getMessage().contains("instance 3 cannot be created"), e.getCause().getMessage());
    assertEquals(0, backend.open.get(), "every instance created for the failed load is closed");
  }
}
