package dev.neutrino.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.GraphCacheResult;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OptimizedGraphCacheTest {
  private static final LoadOptions CPU = LoadOptions.cpu(1);

  @TempDir Path dir;

  /** y = relu(x · W + b): MatMul, Add and Relu, which ORT's basic and extended levels fuse. */
  private Path mlp(String name, float bias) throws Exception {
    Path file = dir.resolve(name).resolve("model.onnx");
    Files.createDirectories(file.getParent());
    new OnnxModelBuilder("mlp")
        .input("x", DataType.FP32, -1, 3)
        .output("y", DataType.FP32, -1, 2)
        .initializer("w", new long[] {3, 2}, new float[] {0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f})
        .initializer("b", new long[] {2}, new float[] {bias, -bias})
        .node("MatMul", List.of("x", "w"), List.of("xw"))
        .node("Add", List.of("xw", "b"), List.of("z"))
        .node("Relu", List.of("z"), List.of("y"))
        .writeTo(file);
    return file;
  }

  private static float[] run(LoadedModel model) {
    Tensor x = Tensor.ofFloats(new long[] {2, 3}, 1f, 2f, 3f, -4f, 0.5f, 6f);
    return model.run(Map.of("x", x), Set.of("y")).get("y").toFloatArray();
  }

  private static long entries(Path cacheDir) throws Exception {
    try (Stream<Path> files = Files.list(cacheDir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".onnx")).count();
    }
  }

  @Test
  void keyChangesWithTheFileTheOrtVersionAndTheLevel() throws Exception {
    String a = OptimizedGraphCache.fileDigest(mlp("a", 0.1f));
    String b = OptimizedGraphCache.fileDigest(mlp("b", 0.2f));
    assertNotEquals(a, b);
    assertEquals(a, OptimizedGraphCache.fileDigest(mlp("a2", 0.1f)));
    String key = OptimizedGraphCache.key(a, "1.23.2", "extended");
    assertEquals(key, OptimizedGraphCache.key(a, "1.23.2", "extended"));
    assertNotEquals(key, OptimizedGraphCache.key(b, "1.23.2", "extended"));
    assertNotEquals(key, OptimizedGraphCache.key(a, "1.24.0", "extended"));
    assertNotEquals(key, OptimizedGraphCache.key(a, "1.23.2", "basic"));
  }

  @Test
  void secondLoadUsesTheCachedGraphAndAnswersTheSame() throws Exception {
    Path model = mlp("m", 0.3f);
    Path cacheDir = dir.resolve("cache");
    float[] uncached;
    try (LoadedModel plain = OnnxRuntimeBackend.create().load(model, CPU)) {
      uncached = run(plain);
      assertEquals(GraphCacheResult.NOT_USED, plain.graphCacheResult());
    }
    OnnxRuntimeBackend cached = OnnxRuntimeBackend.create(cacheDir);
    try (LoadedModel first = cached.load(model, CPU)) {
      assertEquals(0, cached.optimizedGraphCacheHits());
      assertEquals(GraphCacheResult.MISS, first.graphCacheResult());
      assertEquals(1, entries(cacheDir));
      assertArrayEquals(uncached, run(first));
    }
    // A new backend, as after a restart: the graph comes from the folder, not from memory.
    OnnxRuntimeBackend restarted = OnnxRuntimeBackend.create(cacheDir);
    try (LoadedModel second = restarted.load(model, CPU)) {
      assertEquals(1, restarted.optimizedGraphCacheHits());
      assertEquals(GraphCacheResult.HIT, second.graphCacheResult());
      assertEquals(1, entries(cacheDir));
      assertArrayEquals(uncached, run(second));
      assertEquals(List.of("x"), second.inputs().stream().map(s -> s.name()).toList());
    }
  }

  @Test
  void adaptiveInstanceSaysWhatTheCacheDidAndItsWideSessionAnswersTheSame() throws Exception {
    Path model = mlp("m", 0.3f);
    Path cacheDir = dir.resolve("cache");
    LoadOptions adaptive = CPU.withWideIntraOpThreads(CPU.intraOpThreads() + 1);
    float[] uncached;
    try (LoadedModel plain = OnnxRuntimeBackend.create().load(model, CPU)) {
      uncached = run(plain);
    }
    try (LoadedModel first = OnnxRuntimeBackend.create(cacheDir).load(model, adaptive)) {
      assertTrue(first.hasWideSession());
      assertEquals(GraphCacheResult.MISS, first.graphCacheResult());
      assertEquals(1, entries(cacheDir));
    }
    try (LoadedModel second = OnnxRuntimeBackend.create(cacheDir).load(model, adaptive)) {
      assertEquals(GraphCacheResult.HIT, second.graphCacheResult());
      assertArrayEquals(uncached, run(second));
    }
  }

  @Test
  void changedModelFileIsOptimizedAgain() throws Exception {
    Path model = mlp("m", 0.3f);
    Path cacheDir = dir.resolve("cache");
    OnnxRuntimeBackend backend = OnnxRuntimeBackend.create(cacheDir);
    backend.load(model, CPU).close();
    Files.copy(mlp("other", -2f), model, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    float[] expected;
    try (LoadedModel plain = OnnxRuntimeBackend.create().load(model, CPU)) {
      expected = run(plain);
    }
    try (LoadedModel reloaded = backend.load(model, CPU)) {
      assertEquals(0, backend.optimizedGraphCacheHits());
      assertEquals(2, entries(cacheDir));
      assertArrayEquals(expected, run(reloaded));
    }
  }

  @Test
  void corruptEntryIsReplacedAndTheModelStillLoads() throws Exception {
    Path model = mlp("m", 0.3f);
    Path cacheDir = dir.resolve("cache");
    OnnxRuntimeBackend backend = OnnxRuntimeBackend.create(cacheDir);
    float[] expected;
    try (LoadedModel first = backend.load(model, CPU)) {
      expected = run(first);
    }
    Path entry = new OptimizedGraphCache(cacheDir, ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion())
        .entry(model);
    assertTrue(Files.isRegularFile(entry));
    Files.write(entry, new byte[] {1, 2, 3});
    try (LoadedModel reloaded = backend.load(model, CPU)) {
      assertEquals(0, backend.optimizedGraphCacheHits());
      assertEquals(GraphCacheResult.ERROR, reloaded.graphCacheResult(), "the cached graph could not be used");
      assertTrue(Files.size(entry) > 3);
      assertArrayEquals(expected, run(reloaded));
    }
  }

  @Test
  void unusableCacheFolderIsCountedAsAnErrorAndTheModelStillLoads() throws Exception {
    Path model = mlp("m", 0.3f);
    Path notAFolder = Files.writeString(dir.resolve("cache"), "a file where the cache folder should be");
    float[] expected;
    try (LoadedModel plain = OnnxRuntimeBackend.create().load(model, CPU)) {
      expected = run(plain);
    }
    try (LoadedModel loaded = OnnxRuntimeBackend.create(notAFolder).load(model, CPU)) {
      assertEquals(GraphCacheResult.ERROR, loaded.graphCacheResult());
      assertArrayEquals(expected, run(loaded));
    }
  }

  @Test
  void anInstanceWithAWideSessionReportsWhatTheCacheDidForItsFirstSession() throws Exception {
    Path model = mlp("m", 0.3f);
    Path cacheDir = dir.resolve("cache");
    LoadOptions adaptive = CPU.withWideIntraOpThreads(2);
    try (LoadedModel first = OnnxRuntimeBackend.create(cacheDir).load(model, adaptive)) {
      assertTrue(first.hasWideSession());
      assertEquals(GraphCacheResult.MISS, first.graphCacheResult());
    }
    try (LoadedModel second = OnnxRuntimeBackend.create(cacheDir).load(model, adaptive)) {
      assertEquals(GraphCacheResult.HIT, second.graphCacheResult());
    }
  }
}
