package dev.neutrino.gateway;

import static dev.neutrino.gateway.Scrapes.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.repo.ConfigCompletion;
import dev.neutrino.repo.ModelControlMode;
import dev.neutrino.repo.RepositoryOptions;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's cold start in the metrics of a real gateway on ONNX Runtime: what the optimized-graph
 * cache did for its instances (counted across unloads) and how long its serving version's load took.
 */
@Timeout(180)
class ColdStartMetricsTest {
  @TempDir Path dir;

  private static final String MODEL = "mlp";

  private Gateway start() throws Exception {
    Path repository = dir.resolve("repo");
    new OnnxModelBuilder("mlp")
        .input("INPUT0", DataType.FP32, -1, 3)
        .output("OUTPUT0", DataType.FP32, -1, 2)
        .initializer("w", new long[] {3, 2}, new float[] {0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f})
        .initializer("b", new long[] {2}, new float[] {0.1f, -0.1f})
        .node("MatMul", List.of("INPUT0", "w"), List.of("xw"))
        .node("Add", List.of("xw", "b"), List.of("z"))
        .node("Relu", List.of("z"), List.of("OUTPUT0"))
        .writeTo(repository.resolve(MODEL).resolve("1").resolve("model.onnx"));
    Files.writeString(repository.resolve(MODEL).resolve("config.yaml"),
        "instance_group:\n  - kind: KIND_CPU\n    count: 1\n");
    GatewayConfig config = GatewayConfig.defaults().withHttpPort(0).withModelRepository(repository)
        .withRepository(new GatewayConfig.RepositorySettings(ModelControlMode.EXPLICIT, 15, List.of(), 0, 0,
            RepositoryOptions.DEFAULT_LOADER_THREADS, true, ConfigCompletion.DEFAULT_MAX_BATCH_SIZE, 0,
            dir.resolve("graphs")));
    return TestGateways.start(config);
  }

  private static double cache(Map<String, Double> scrape, String result) {
    return scrape.getOrDefault(key("neutrino_model_cache_total", "model", MODEL, "result", result), -1.0);
  }

  private static String loadSeconds(String phase) {
    return key("neutrino_model_load_seconds", "model", MODEL, "phase", phase, "version", "1");
  }

  @Test
  void countsAMissThenAHitAcrossAnUnloadAndShowsTheLastLoadsDuration() throws Exception {
    Gateway gateway = start();
    try {
      TestClient client = TestGateways.client(gateway);
      Map<String, Double> before = Scrapes.scrape(gateway);
      assertEquals(-1.0, cache(before, "miss"), "no series for a model never loaded");
      assertFalse(before.containsKey(loadSeconds("create")));

      assertEquals(200, client.post("/v2/repository/models/" + MODEL + "/load", "").status());
      Map<String, Double> first = Scrapes.scrape(gateway);
      assertEquals(1, cache(first, "miss"), "the first load optimizes and saves the graph");
      assertEquals(0, cache(first, "hit"));
      assertEquals(0, cache(first, "error"));
      assertTrue(first.get(loadSeconds("create")) > 0, "creating the instance took time");
      assertTrue(first.get(loadSeconds("warmup")) > 0, "warming it up took time");

      assertEquals(200, client.post("/v2/repository/models/" + MODEL + "/unload", "").status());
      Map<String, Double> unloaded = Scrapes.scrape(gateway);
      assertFalse(unloaded.containsKey(loadSeconds("create")), "no load duration for a version not serving");
      assertEquals(1, cache(unloaded, "miss"), "counts outlive the unload");

      assertEquals(200, client.post("/v2/repository/models/" + MODEL + "/load", "").status());
      Map<String, Double> reloaded = Scrapes.scrape(gateway);
      assertEquals(1, cache(reloaded, "miss"));
      assertEquals(1, cache(reloaded, "hit"), "the reload reads the saved graph");
      assertEquals(0, cache(reloaded, "error"));
      assertTrue(reloaded.containsKey(loadSeconds("create")));
    } finally {
      TestGateways.stop(gateway);
    }
  }
}
