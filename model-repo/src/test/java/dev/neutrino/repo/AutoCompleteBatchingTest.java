package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.batching.DynamicBatching;
import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Triton's auto-complete on a model folder with no configuration: a batchable model gets
 * {@code max_batch_size} 4 and the dynamic batcher, so requests that wait while the instance is busy
 * run as one batch. The runtime is wrapped only to hold one run and record the rows of each.
 */
@Timeout(120)
class AutoCompleteBatchingTest {
  @TempDir Path root;

  /** ONNX Runtime whose runs, once armed, are recorded; the first armed run waits for {@link #release}. */
  private static final class HoldingBackend implements Backend {
    final Backend runtime = OnnxRuntimeBackend.create();
    final AtomicBoolean armed = new AtomicBoolean();
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final List<Long> rows = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return runtime.name();
    }

    @Override
    public String platform() {
      return runtime.platform();
    }

    @Override
    public String defaultModelFileName() {
      return runtime.defaultModelFileName();
    }

    @Override
    public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
      LoadedModel model = runtime.load(modelFile, options);
      return new LoadedModel() {
        @Override
        public List<TensorSpec> inputs() {
          return model.inputs();
        }

        @Override
        public List<TensorSpec> outputs() {
          return model.outputs();
        }

        @Override
        public String device() {
          return model.device();
        }

        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
          if (armed.get()) {
            rows.add(inputs.get("INPUT0").shape()[0]);
            if (entered.getCount() > 0) {
              entered.countDown();
              try {
                release.await(60, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }
          return model.run(inputs, outputs);
        }

        @Override
        public void close() {
          model.close();
        }
      };
    }
  }

  private static InferenceRequest request(String id, float value) {
    return InferenceRequest.of(id, Map.of("INPUT0", Tensor.ofFloats(new long[] {1, 4}, value, value, value, value)));
  }

  @Test
  void aBatchableModelWithoutConfigurationBatchesRequestsThatWait() throws Exception {
    new OnnxModelBuilder("add")
        .input("INPUT0", DataType.FP32, -1, 4)
        .output("OUTPUT0", DataType.FP32, -1, 4)
        .initializer("c", new long[] {1}, new float[] {1f})
        .node("Add", List.of("INPUT0", "c"), List.of("OUTPUT0"))
        .writeTo(root.resolve("m").resolve("1").resolve("model.onnx"));
    assertTrue(Files.exists(root.resolve("m/1/model.onnx")));
    HoldingBackend backend = new HoldingBackend();
    try (ModelRepository repository = ModelRepository.open(root, new RepositoryOptions(1, SchedulerOptions.DEFAULT),
        backend)) {
      repository.loadAll();
      try (Lease lease = repository.acquire("m", null)) {
        ModelVersion version = lease.version();
        assertEquals(4, version.config().maxBatchSize());
        assertEquals(DynamicBatching.defaults(), version.config().dynamicBatching());
        backend.armed.set(true);
        CompletableFuture<InferenceResult> first = version.infer(request("a", 1f)).result().toCompletableFuture();
        assertTrue(backend.entered.await(60, TimeUnit.SECONDS), "the first request runs");
        CompletableFuture<InferenceResult> second = version.infer(request("b", 2f)).result().toCompletableFuture();
        CompletableFuture<InferenceResult> third = version.infer(request("c", 3f)).result().toCompletableFuture();
        backend.release.countDown();
        assertEquals(2f, first.get(60, TimeUnit.SECONDS).outputs().get("OUTPUT0").toFloatArray()[0]);
        assertEquals(3f, second.get(60, TimeUnit.SECONDS).outputs().get("OUTPUT0").toFloatArray()[0]);
        assertEquals(4f, third.get(60, TimeUnit.SECONDS).outputs().get("OUTPUT0").toFloatArray()[0]);
        assertEquals(List.of(1L, 2L), backend.rows, "the two requests that waited ran as one execution");
      }
    }
  }
}
