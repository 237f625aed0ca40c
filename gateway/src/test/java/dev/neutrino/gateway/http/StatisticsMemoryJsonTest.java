package dev.neutrino.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.gateway.metrics.ModelStatistics;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code memory_usage} in {@code /v2/models/{m}/stats}: Triton's field names and shape. */
class StatisticsMemoryJsonTest {
  private static final ModelStatistics.Duration Z = ModelStatistics.Duration.ZERO;

  private static JsonNode statsJson(List<ModelStatistics.MemoryUsage> memory) throws Exception {
    ModelStatistics stats = new ModelStatistics("m", "1", 0, 0, 0,
        new ModelStatistics.InferStatistics(Z, Z, Z, Z, Z, Z, Z, Z), List.of(), memory);
    return new ObjectMapper().readTree(ProtocolJson.write(ProtocolJson.statistics(List.of(stats))).getBytes())
        .get("model_stats").get(0);
  }

  @Test
  void aGpuVersionListsItsDeviceMemoryPerGpu() throws Exception {
    JsonNode memory = statsJson(List.of(new ModelStatistics.MemoryUsage("GPU", 1, 123_456_789L))).get("memory_usage");
    assertEquals(1, memory.size());
    assertEquals("GPU", memory.get(0).get("type").asText());
    assertEquals(1, memory.get(0).get("id").asLong());
    assertEquals(123_456_789L, memory.get(0).get("byte_size").asLong());
  }

  @Test
  void noMemoryIsAnEmptyList() throws Exception {
    JsonNode memory = statsJson(List.of()).get("memory_usage");
    assertEquals(true, memory.isArray());
    assertEquals(0, memory.size());
  }
}
