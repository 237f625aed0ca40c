package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The repository with real ONNX models: versions, modes, hot swap, failed reloads, residency, cache. */
class ModelRepositoryTest {
  @TempDir Path root;
  private final List<ModelRepository> opened = new ArrayList<>();

  @AfterEach
  void close() {
    opened.forEach(ModelRepository::close);
  }

  /** Writes {@code <model>/<version>/model.onnx}: OUTPUT0 = INPUT0 + constant, FP32 [-1,4]. */
  private void writeAddModel(String model, long version, float constant) throws IOException {
    new OnnxModelBuilder("add")
        .input("INPUT0", DataType.FP32, -1, 4)
        .output("OUTPUT0", DataType.FP32, -1, 4)
        .initializer("c", new long[] {1}, new float[] {constant})
        .node("Add", List.of("INPUT0", "c"), List.of("OUTPUT0"))
        .writeTo(root.resolve(model).resolve(Long.toString(version)).resolve("model.onnx"));
  }

  private ModelRepository open(RepositoryOptions options) throws IOException {
    ModelRepository repository = ModelRepository.open(root, options, OnnxRuntimeBackend.create());
    opened.add(repository);
    return repository;
  }

  private static RepositoryOptions explicit(String... startup) {
    return new RepositoryOptions(1, SchedulerOptions.DEFAULT)
        .withControlMode(ModelControlMode.EXPLICIT, RepositoryOptions.DEFAULT_POLL_INTERVAL, Set.of(startup));
  }

  private static InferenceRequest request(float value) {
    return InferenceRequest.of("r", Map.of("INPUT0", Tensor.ofFloats(new long[] {1, 4}, value, value, value, value)));
  }

  /** Leases, infers and releases, as the front ends do. */
  private static float infer(ModelRepository repository, String model, float value) {
    try (Lease lease = repository.acquire(model, null)) {
      InferenceResult result = lease.version().infer(request(value)).result().toCompletableFuture().join();
      return result.outputs().get("OUTPUT0").toFloatArray()[0];
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void servesNewestVersionAndNamedVersionsUnderPolicyAll() throws Exception {
    writeAddModel("m", 1, 1f);
    writeAddModel("m", 2, 2f);
    Files.writeString(root.resolve("m/config.yaml"), "version_policy:\n  all: {}\n");
    ModelRepository repository = open(explicit("m"));
    repository.loadAll();
    assertEquals(List.of("2", "1"), repository.readyVersions("m"));
    assertEquals(12f, infer(repository, "m", 10f));
    try (Lease lease = repository.acquire("m", "1")) {
      assertEquals(1, lease.version().version());
    }
    assertInstanceOf(InferenceException.NotFound.class, assertThrows(InferenceException.class,
        () -> repository.acquire("m", "3")));
    assertInstanceOf(InferenceException.NotFound.class, assertThrows(InferenceException.class,
        () -> repository.acquire("nope", null)));
  }

  @Test
  void hotSwapUnderLoadFailsNothingAndClosesTheOldVersion() throws Exception {
    writeAddModel("m", 1, 1f);
    ModelRepository repository = open(explicit("m"));
    repository.loadAll();
    ModelVersion old = repository.find("m", null);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong ok = new AtomicLong();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    Set<Float> answers = ConcurrentHashMap.newKeySet();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    List<Future<?>> loops = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      loops.add(clients.submit(() -> {
        for (int i = 0; i < 20_000 && running.get(); i++) {
          try {
            answers.add(infer(repository, "m", 10f));
            ok.incrementAndGet();
          } catch (RuntimeException e) {
            failures.add(e);
          }
        }
      }));
    }
    await(() -> ok.get() > 200, "traffic flows");
    writeAddModel("m", 2, 2f);
    repository.requestLoad("m", null).toCompletableFuture().get(60, TimeUnit.SECONDS);
    long afterSwap = ok.get();
    await(() -> ok.get() > afterSwap + 200, "traffic flows on the new version");
    running.set(false);
    for (Future<?> loop : loops) {
      loop.get(60, TimeUnit.SECONDS);
    }
    clients.shutdown();
    assertEquals(List.of(), failures, "no request may fail during a hot swap");
    assertEquals(Set.of(11f, 12f), answers, "both versions answered");
    assertEquals(2, repository.find("m", null).version());
    await(old::isClosed, "the old version's sessions are closed");
  }

  @Test
  void corruptNewVersionLeavesTheOldOneServing() throws Exception {
    writeAddModel("m", 1, 1f);
    ModelRepository repository = open(explicit("m"));
    repository.loadAll();
    Files.createDirectories(root.resolve("m/2"));
    Files.write(root.resolve("m/2/model.onnx"), new byte[] {8, 1, 2, 3});
    CompletionException failed = assertThrows(CompletionException.class,
        () -> repository.requestLoad("m", null).toCompletableFuture().join());
    assertInstanceOf(InferenceException.InvalidInput.class, failed.getCause());
    assertFalse(failed.getCause().getMessage().contains(root.toString()), failed.getCause().getMessage());
    assertEquals(11f, infer(repository, "m", 10f));
    ModelStatus v2 = repository.index(false).stream().filter(s -> s.version().equals("2")).findFirst().orElseThrow();
    assertEquals(ModelState.UNAVAILABLE, v2.state());
    assertFalse(v2.reason().isEmpty());
    assertTrue(repository.allReady(), "the model still serves");
    assertEquals(1, repository.loadCounts().get("m").failed());
  }

  @Test
  void newVersionWhoseInputsNoLongerMatchLeavesTheOldOneServing() throws Exception {
    writeAddModel("m", 1, 1f);
    Files.writeString(root.resolve("m/config.yaml"), "max_batch_size: 8\ninput:\n  - name: INPUT0\n    dims: [4]\n");
    ModelRepository repository = open(explicit("m"));
    repository.loadAll();
    new OnnxModelBuilder("renamed")
        .input("FEATURES", DataType.FP32, -1, 4)
        .output("OUTPUT0", DataType.FP32, -1, 4)
        .node("Identity", List.of("FEATURES"), List.of("OUTPUT0"))
        .writeTo(root.resolve("m/2/model.onnx"));
    assertThrows(CompletionException.class, () -> repository.requestLoad("m", null).toCompletableFuture().join());
    assertEquals(11f, infer(repository, "m", 10f));
    assertEquals(1, repository.find("m", null).version());
  }

  @Test
  void explicitReloadUnloadAndLoadAgain() throws Exception {
    writeAddModel("m", 1, 1f);
    ModelRepository repository = open(explicit());
    repository.loadAll();
    assertInstanceOf(InferenceException.NotFound.class, assertThrows(InferenceException.class,
        () -> repository.acquire("m", null)), "explicit mode loads nothing unless asked");
    repository.requestLoad("m", null).toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(11f, infer(repository, "m", 10f));
    // Reload with a configuration given in the request, as Triton's load accepts.
    repository.requestLoad("m", "{\"max_batch_size\": 2}").toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(2, repository.find("m", null).config().maxBatchSize());
    // Unload while a request holds a lease: that request completes, new ones are refused.
    Lease inFlight = repository.acquire("m", null);
    ModelVersion version = inFlight.version();
    repository.requestUnload("m").toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertInstanceOf(InferenceException.NotReady.class, assertThrows(InferenceException.class,
        () -> repository.acquire("m", null)));
    assertEquals(11f, version.infer(request(10f)).result().toCompletableFuture().join().outputs().get("OUTPUT0").toFloatArray()[0]);
    assertFalse(version.isClosed(), "a leased version stays open");
    inFlight.close();
    assertTrue(version.isClosed(), "closed when the last lease is released");
    assertTrue(repository.allReady(), "an unloaded model is not required to be ready");
    repository.requestLoad("m", null).toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(11f, infer(repository, "m", 10f));
  }

  @Test
  void loadAndUnloadAreRefusedOutsideExplicitMode() throws Exception {
    writeAddModel("m", 1, 1f);
    ModelRepository repository = open(new RepositoryOptions(1, SchedulerOptions.DEFAULT));
    repository.loadAll();
    CompletionException refused = assertThrows(CompletionException.class,
        () -> repository.requestLoad("m", null).toCompletableFuture().join());
    assertTrue(refused.getCause().getMessage().contains("not allowed"), refused.getCause().getMessage());
    assertThrows(CompletionException.class, () -> repository.requestUnload("m").toCompletableFuture().join());
    assertEquals(11f, infer(repository, "m", 10f));
  }

  @Test
  void severalRootsServeTogetherAndANameInTwoIsRefusedNamingBoth(@TempDir Path second) throws Exception {
    writeAddModel("m", 1, 1f);
    new OnnxModelBuilder("add")
        .input("INPUT0", DataType.FP32, -1, 4)
        .output("OUTPUT0", DataType.FP32, -1, 4)
        .initializer("c", new long[] {1}, new float[] {5f})
        .node("Add", List.of("INPUT0", "c"), List.of("OUTPUT0"))
        .writeTo(second.resolve("n/1/model.onnx"));
    // Polls are driven by the test; the scheduled ones are an hour apart, so none runs meanwhile.
    ModelRepository repository = ModelRepository.open(List.of(root, second), new RepositoryOptions(1,
        SchedulerOptions.DEFAULT).withControlMode(ModelControlMode.POLL, Duration.ofHours(1), Set.of()),
        OnnxRuntimeBackend.create());
    opened.add(repository);
    repository.loadAll();
    assertEquals(11f, infer(repository, "m", 10f));
    assertEquals(15f, infer(repository, "n", 10f));
    assertEquals(List.of("m", "n"), repository.index(true).stream().map(ModelStatus::name).toList());

    // "m" appears in the second root too: the poll that sees it settled tries to reload and refuses.
    Files.createDirectories(second.resolve("m/1"));
    Files.copy(second.resolve("n/1/model.onnx"), second.resolve("m/1/model.onnx"));
    repository.pollNow();
    repository.pollNow();
    assertEquals(1, repository.loadCounts().get("m").failed());
    assertEquals(11f, infer(repository, "m", 10f), "the version already serving keeps serving");
    // A new model in both roots from the start fails to load, its index row naming both folders.
    for (Path where : List.of(root, second)) {
      Files.createDirectories(where.resolve("d/1"));
      Files.copy(second.resolve("n/1/model.onnx"), where.resolve("d/1/model.onnx"));
    }
    repository.pollNow();
    repository.pollNow();
    ModelStatus d = repository.index(false).stream().filter(row -> row.name().equals("d")).findFirst().orElseThrow();
    assertEquals(ModelState.UNAVAILABLE, d.state());
    assertTrue(d.reason().contains("model 'd' is in more than one model repository: " + root.toRealPath() + " and "
        + second.toRealPath()), d.reason());
    assertThrows(IOException.class, () -> ModelRepository.open(List.of(root, root), explicit(), null));
  }

  @Test
  void pollModePicksUpNewVersionOnlyOnceItsFilesSettle() throws Exception {
    writeAddModel("m", 1, 1f);
    // Polls are driven by the test; the scheduled ones are an hour apart, so none runs meanwhile.
    ModelRepository repository = open(new RepositoryOptions(1, SchedulerOptions.DEFAULT)
        .withControlMode(ModelControlMode.POLL, Duration.ofHours(1), Set.of()));
    repository.loadAll();
    Path copy = root.resolve("m/2/model.onnx");
    byte[] model = new OnnxModelBuilder("add2")
        .input("INPUT0", DataType.FP32, -1, 4)
        .output("OUTPUT0", DataType.FP32, -1, 4)
        .initializer("c", new long[] {1}, new float[] {2f})
        .node("Add", List.of("INPUT0", "c"), List.of("OUTPUT0"))
        .toByteArray();
    Files.createDirectories(copy.getParent());
    // A copy in progress: each poll sees the file grown since the one before, so it is never loaded.
    for (int written = 8; written < model.length; written += Math.max(8, model.length / 4)) {
      Files.write(copy, java.util.Arrays.copyOf(model, written));
      repository.pollNow();
      assertEquals(1, repository.find("m", null).version());
      assertEquals(0, repository.loadCounts().get("m").failed(), "a half-written model was loaded");
    }
    Files.write(copy, model);
    repository.pollNow();
    assertEquals(1, repository.find("m", null).version(), "the first poll that sees the whole file waits");
    repository.pollNow();
    assertEquals(2, repository.find("m", null).version(), "the settled version 2 is served");
    assertEquals(12f, infer(repository, "m", 10f));
    assertEquals(0, repository.loadCounts().get("m").failed());
    assertEquals(2, repository.loadCounts().get("m").loaded());
    repository.pollNow();
    assertEquals(2, repository.loadCounts().get("m").loaded(), "nothing changed, nothing reloaded");
  }

  @Test
  void loadUnloadStressWithConcurrentInferenceOnlyDocumentedFailures() throws Exception {
    writeAddModel("m", 1, 1f);
    ModelRepository repository = open(explicit("m"));
    repository.loadAll();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Throwable> undocumented = new java.util.concurrent.CopyOnWriteArrayList<>();
    ExecutorService clients = Executors.newFixedThreadPool(3);
    List<Future<?>> loops = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      loops.add(clients.submit(() -> {
        while (running.get()) {
          try {
            infer(repository, "m", 1f);
          } catch (InferenceException.NotReady | InferenceException.NotFound expected) {
            // documented while the model is unloaded or reloading
          } catch (CompletionException e) {
            if (!(e.getCause() instanceof InferenceException.NotReady)) {
              undocumented.add(e);
            }
          } catch (RuntimeException e) {
            undocumented.add(e);
          }
        }
      }));
    }
    for (int i = 0; i < 15; i++) {
      repository.requestUnload("m").toCompletableFuture().get(60, TimeUnit.SECONDS);
      repository.requestLoad("m", null).toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
    running.set(false);
    for (Future<?> loop : loops) {
      loop.get(60, TimeUnit.SECONDS);
    }
    clients.shutdown();
    assertEquals(List.of(), undocumented);
    assertEquals(11f, infer(repository, "m", 10f));
  }

  @Test
  void residencyEvictsLeastRecentlyUsedAndReloadsOnDemand() throws Exception {
    for (String name : List.of("a", "b", "c")) {
      writeAddModel(name, 1, 1f);
    }
    long modelBytes = Files.size(root.resolve("a/1/model.onnx"));
    // A budget for two models by file size; measured footprints may be larger, so measure first.
    ModelRepository probe = open(explicit("a"));
    probe.loadAll();
    long footprint = probe.residentFootprints().getOrDefault("a", modelBytes);
    probe.close();
    opened.remove(probe);
    ModelRepository repository = open(new RepositoryOptions(1, SchedulerOptions.DEFAULT)
        .withMemoryBudget(Math.max(footprint, modelBytes) * 5 / 2));
    repository.loadAll();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (String name : List.of("a", "b")) {
      repository.acquireAsync(name, null, deadline).toCompletableFuture().get(60, TimeUnit.SECONDS).close();
    }
    infer(repository, "a", 1f); // a is now more recently used than b
    repository.acquireAsync("c", null, deadline).toCompletableFuture().get(60, TimeUnit.SECONDS).close();
    await(() -> repository.residentFootprints().keySet().equals(Set.of("a", "c")), "b is evicted");
    assertInstanceOf(InferenceException.NotReady.class, assertThrows(InferenceException.class,
        () -> repository.acquire("b", null)));
    CompletionException noDeadline = assertThrows(CompletionException.class,
        () -> repository.acquireAsync("b", null, InferenceRequest.NO_DEADLINE).toCompletableFuture().join());
    InferenceException.NotReady notReady = assertInstanceOf(InferenceException.NotReady.class, noDeadline.getCause());
    assertTrue(notReady.retryAfter() != null, "a retry-after comes with it");
    await(() -> repository.readyVersions("b").size() == 1, "the request brought b back");
    assertEquals(11f, infer(repository, "b", 10f));
    assertEquals(2, repository.residentFootprints().size(), "still two models within the budget");
  }

  @Test
  void responseCacheHitsReturnIdenticalBytesAndSkipTheBackend() throws Exception {
    writeAddModel("m", 1, 1f);
    Files.writeString(root.resolve("m/config.yaml"), "response_cache:\n  enable: true\n");
    ModelRepository repository = open(new RepositoryOptions(1, SchedulerOptions.DEFAULT).withResponseCache(1 << 20));
    repository.loadAll();
    byte[] first;
    try (Lease lease = repository.acquire("m", null)) {
      first = bytes(lease.version().infer(request(3f)).result().toCompletableFuture().join());
    }
    long dispatchedBefore = repository.find("m", null).schedulerStats().dispatched();
    byte[] second;
    try (Lease lease = repository.acquire("m", null)) {
      second = bytes(lease.version().infer(request(3f)).result().toCompletableFuture().join());
    }
    assertArrayEquals(first, second);
    assertEquals(dispatchedBefore, repository.find("m", null).schedulerStats().dispatched(), "the hit skipped the queue");
    ResponseCache.Stats stats = repository.find("m", null).cacheStats();
    assertEquals(1, stats.hits());
    assertEquals(1, stats.misses());
    assertTrue(stats.hitNanos() > 0, "the hit's lookup was timed: " + stats);
    assertTrue(stats.missNanos() > 0, "the miss's lookup and insertion were timed: " + stats);
    assertEquals(14f, infer(repository, "m", 13f), "a different request misses and runs");
    ResponseCache.Stats after = repository.find("m", null).cacheStats();
    assertEquals(1, after.hits());
    assertEquals(2, after.misses());
    assertEquals(stats.hitNanos(), after.hitNanos(), "a miss adds no hit time");
    assertTrue(after.missNanos() > stats.missNanos());
  }

  private static byte[] bytes(InferenceResult result) {
    java.nio.ByteBuffer data = result.outputs().get("OUTPUT0").data();
    byte[] out = new byte[data.remaining()];
    data.get(out);
    return out;
  }

  @Test
  void traversalAndEscapingSymlinksAreRefused(@TempDir Path outside) throws Exception {
    writeAddModel("m", 1, 1f);
    new OnnxModelBuilder("outside")
        .input("INPUT0", DataType.FP32, -1, 4)
        .output("OUTPUT0", DataType.FP32, -1, 4)
        .node("Identity", List.of("INPUT0"), List.of("OUTPUT0"))
        .writeTo(outside.resolve("1/model.onnx"));
    Files.createSymbolicLink(root.resolve("escape"), outside);
    ModelRepository repository = open(explicit());
    repository.loadAll();
    for (String name : List.of("..", "../m", "m/../m", "/etc", "a\\b", "%2e%2e")) {
      CompletionException refused = assertThrows(CompletionException.class,
          () -> repository.requestLoad(name, null).toCompletableFuture().join(), name);
      assertInstanceOf(InferenceException.InvalidInput.class, refused.getCause(), name);
    }
    CompletionException escaped = assertThrows(CompletionException.class,
        () -> repository.requestLoad("escape", null).toCompletableFuture().join());
    assertTrue(escaped.getCause().getMessage().contains("outside the repository"), escaped.getCause().getMessage());
    assertFalse(escaped.getCause().getMessage().contains(outside.toString()), escaped.getCause().getMessage());
    assertInstanceOf(InferenceException.NotReady.class, assertThrows(InferenceException.class,
        () -> repository.acquire("escape", null)));
  }
}
