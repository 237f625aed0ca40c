package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.batching.DynamicBatching;
import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Triton's auto-complete on a model folder with no configuration: a batchable model gets
 * {@code max_batch_size} 4 and the dynamic batcher, so requests that wait while the instance is busy
 * run as one batch. The runtime ({@link RunGateBackend}) holds a run and records the rows of each.
 */
@Timeout(120)
class AutoCompleteBatchingTest {
  @TempDir Path root;

  private static InferenceRequest request(String id, float value) {
    return InferenceRequest.of(id, Map.of("INPUT0", Tensor.ofFloats(new long[] {1, 4}, value, value, value, value)));
  }

  @Test
  void aBatchableModelWithoutConfigurationBatchesRequestsThatWait() throws Exception {
    AddOneModel.writeTo(root.resolve("m").resolve("1").resolve("model.onnx"));
    assertTrue(Files.exists(root.resolve("m/1/model.onnx")));
    RunGateBackend backend = new RunGateBackend();
    try (ModelRepository repository = ModelRepository.open(root, new RepositoryOptions(1, SchedulerOptions.DEFAULT),
        backend)) {
      repository.loadAll();
      try (Lease lease = repository.acquire("m", null)) {
        ModelVersion version = lease.version();
        assertEquals(4, version.config().maxBatchSize());
        assertEquals(DynamicBatching.defaults(), version.config().dynamicBatching());
        int warmUp = backend.rows("m").size();
        RunGateBackend.Gate gate = backend.hold("m");
        CompletableFuture<InferenceResult> first = version.infer(request("a", 1f)).result().toCompletableFuture();
        assertTrue(gate.awaitEntered(), "the first request runs");
        CompletableFuture<InferenceResult> second = version.infer(request("b", 2f)).result().toCompletableFuture();
        CompletableFuture<InferenceResult> third = version.infer(request("c", 3f)).result().toCompletableFuture();
        gate.open();
        assertEquals(2f, first.get(60, TimeUnit.SECONDS).outputs().get("OUTPUT0").toFloatArray()[0]);
        assertEquals(3f, second.get(60, TimeUnit.SECONDS).outputs().get("OUTPUT0").toFloatArray()[0]);
        assertEquals(4f, third.get(60, TimeUnit.SECONDS).outputs().get("OUTPUT0").toFloatArray()[0]);
        List<Long> rows = backend.rows("m");
        assertEquals(List.of(1L, 2L), rows.subList(warmUp, rows.size()),
            "the two requests that waited ran as one execution");
      }
    }
  }
}
