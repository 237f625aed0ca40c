package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The naive server and the in-process limit answer correctly; their speed is not asserted. */
@Timeout(60)
class BaselinesTest {
  private static Path identityModel(Path dir) throws Exception {
    Path file = dir.resolve("model.onnx");
    Files.write(file, new OnnxModelBuilder("identity")
        .input("INPUT0", DataType.FP32, -1, 8)
        .output("OUTPUT0", DataType.FP32, -1, 8)
        .node("Identity", List.of("INPUT0"), List.of("OUTPUT0"))
        .toByteArray());
    return file;
  }

  @Test
  void naiveServerAnswersJsonAndBinaryInference(@TempDir Path dir) throws Exception {
    Path model = identityModel(dir);
    try (NaiveServer naive = NaiveServer.start(model, "identity", 2, 1)) {
      Endpoint endpoint = Endpoint.http("127.0.0.1", naive.port());
      for (Protocol protocol : List.of(Protocol.HTTP_JSON, Protocol.HTTP_BINARY)) {
        try (InferenceClient client = InferenceClients.connect(endpoint, ClientSettings.of("identity", protocol, 2),
            new CpuMeter())) {
          LevelResult result = new LoadGenerator(client, new CpuMeter())
              .run(LoadSpec.closed(2, Duration.ZERO, Duration.ofSeconds(30)).withMaxRequests(50));
          assertEquals(50, result.ok(), protocol + ": " + result.errors());
          assertTrue(result.server().isEmpty(), "the naive server has no statistics");
        }
      }
    }
  }

  @Test
  void limitCountsRowsOfEveryBatch(@TempDir Path dir) throws Exception {
    Path model = identityModel(dir);
    try (InProcessLimit limit = InProcessLimit.load(OnnxRuntimeBackend.create(), model,
        new InProcessLimit.Layout(1, 1))) {
      ModelMetadata metadata = new ModelMetadata("identity", List.of("1"), "onnxruntime_onnx",
          List.of(new dev.neutrino.runtime.TensorSpec("INPUT0", DataType.FP32, new long[] {-1, 8})), List.of());
      List<TensorData> row = InputData.prepare(metadata, new InputData.Zero(), Map.of(), 1).get(0);
      LevelResult result = limit.measure(row, 4, Duration.ZERO, Duration.ofMillis(200));

      assertTrue(limit.batchable());
      assertTrue(result.ok() > 0);
      assertEquals(0, result.ok() % 4, "whole batches of 4 rows");
      assertEquals(result.ok() / 4, result.latency().count(), "one latency per call");
      assertEquals(4.0, result.server().avgBatchSize());
    }
  }
}
