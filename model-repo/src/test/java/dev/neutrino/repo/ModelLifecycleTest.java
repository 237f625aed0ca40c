package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loads through the lifecycle: what failed loads leave behind, and what a slow load holds up. */
class ModelLifecycleTest {
  @TempDir Path root;
  private final GatedBackend backend = new GatedBackend();
  private final List<ModelRepository> opened = new ArrayList<>();

  @AfterEach
  void close() {
    opened.forEach(ModelRepository::close);
  }

  /** Writes {@code <model>/1/model.onnx}: OUTPUT0 = INPUT0 + constant, FP32 [-1,4]. */
  private void writeAddModel(String model, float constant) throws IOException {
    new OnnxModelBuilder("add")
        .input("INPUT0", DataType.FP32, -1, 4)
        .output("OUTPUT0", DataType.FP32, -1, 4)
        .initializer("c", new long[] {1}, new float[] {constant})
        .node("Add", List.of("INPUT0", "c"), List.of("OUTPUT0"))
        .writeTo(root.resolve(model).resolve("1").resolve("model.onnx"));
  }

  private ModelRepository open(String... startup) throws IOException {
    ModelRepository repository = ModelRepository.open(root, new RepositoryOptions(1, SchedulerOptions.DEFAULT)
        .withControlMode(ModelControlMode.EXPLICIT, RepositoryOptions.DEFAULT_POLL_INTERVAL, Set.of(startup)),
        backend);
    opened.add(repository);
    repository.loadAll();
    return repository;
  }

  private static float infer(ModelRepository repository, String model, float value) {
    try (Lease lease = repository.acquire(model, null)) {
      InferenceRequest request = InferenceRequest.of("r",
          Map.of("INPUT0", Tensor.ofFloats(new long[] {1, 4}, value, value, value, value)));
      return lease.version().infer(request).result().toCompletableFuture().join().outputs().get("OUTPUT0").toFloatArray()[0];
    }
  }

  @Test
  void loadsOfNamesNotInTheRepositoryLeaveTheIndexUnchanged() throws Exception {
    writeAddModel("m", 1f);
    ModelRepository repository = open("m");
    List<ModelStatus> index = repository.index(false);
    List<ModelStatus> known = repository.knownVersions();
    SplittableRandom random = new SplittableRandom(7);
    List<CompletableFuture<ModelStatus>> loads = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      loads.add(repository.requestLoad("ghost_" + Long.toHexString(random.nextLong()), null).toCompletableFuture());
    }
    for (CompletableFuture<ModelStatus> load : loads) {
      ExecutionException failed = assertThrows(ExecutionException.class, () -> load.get(60, TimeUnit.SECONDS));
      InferenceException.InvalidInput refused = assertInstanceOf(InferenceException.InvalidInput.class, failed.getCause());
      assertTrue(refused.getMessage().contains("not found"), refused.getMessage());
    }
    assertEquals(index, repository.index(false), "no row for a name that is not in the repository");
    assertEquals(known, repository.knownVersions());
    assertEquals(Set.of("m"), repository.loadCounts().keySet(), "no counters, so no metric labels, for them");
    assertTrue(repository.allReady(), "a failed load of an unknown name does not make the server unready");
    assertEquals(0, repository.busyModels(), "nothing queued is left behind");
    assertInstanceOf(InferenceException.NotFound.class, assertThrows(InferenceException.class,
        () -> repository.find("ghost_0", null)));
    assertEquals(11f, infer(repository, "m", 10f));
  }

  @Test
  void unloadedModelWhoseFolderIsGoneLeavesNoRowAfterAFailedLoad() throws Exception {
    writeAddModel("gone", 1f);
    ModelRepository repository = open("gone");
    repository.requestUnload("gone").toCompletableFuture().get(60, TimeUnit.SECONDS);
    try (var files = java.nio.file.Files.walk(root.resolve("gone"))) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
    assertThrows(CompletionException.class, () -> repository.requestLoad("gone", null).toCompletableFuture().join());
    assertEquals(List.of(), repository.index(false));
    assertEquals(Map.of(), repository.loadCounts());
  }

  @Test
  void slowLoadDoesNotHoldUpAnotherModelsLoad() throws Exception {
    writeAddModel("slow", 1f);
    writeAddModel("fast", 2f);
    ModelRepository repository = open();
    GatedBackend.Gate gate = backend.hold("slow");
    CompletableFuture<ModelStatus> slow = repository.requestLoad("slow", null).toCompletableFuture();
    assertTrue(gate.awaitEntered(), "the slow load reached the backend");
    // While the slow load is held inside the backend, another model loads and serves.
    repository.requestLoad("fast", null).toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(12f, infer(repository, "fast", 10f));
    assertFalse(slow.isDone(), "the slow load is still held");
    assertEquals(ModelState.LOADING, repository.index(false).stream()
        .filter(row -> row.name().equals("slow")).findFirst().orElseThrow().state());
    // A second change of the slow model waits for the first: one model's changes stay in order.
    CompletableFuture<ModelStatus> unload = repository.requestUnload("slow").toCompletableFuture();
    assertFalse(unload.isDone());
    gate.open();
    assertEquals(ModelState.READY, slow.get(60, TimeUnit.SECONDS).state());
    unload.get(60, TimeUnit.SECONDS);
    assertEquals(List.of(), repository.readyVersions("slow"), "the unload ran after the load");
    assertEquals(12f, infer(repository, "fast", 10f));
  }
}
