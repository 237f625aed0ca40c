package dev.neutrino.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.neutrino.gateway.grpc.proto.MemoryUsage;
import dev.neutrino.gateway.grpc.proto.ModelStatisticsResponse;
import dev.neutrino.gateway.metrics.ModelStatistics;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code ModelStatistics.memory_usage} (Triton's field 8) in gRPC's statistics. */
class StatisticsMemoryProtoTest {
  private static final ModelStatistics.Duration Z = ModelStatistics.Duration.ZERO;

  @Test
  void aGpuVersionsDeviceMemoryTravelsAsTritonsMemoryUsage() throws Exception {
    ModelStatistics stats = new ModelStatistics("m", "1", 0, 0, 0,
        new ModelStatistics.InferStatistics(Z, Z, Z, Z, Z, Z, Z, Z), List.of(),
        List.of(new ModelStatistics.MemoryUsage("GPU", 0, 2_048), new ModelStatistics.MemoryUsage("GPU", 3, 4_096)));
    ModelStatisticsResponse parsed = ModelStatisticsResponse.parseFrom(
        ModelMessages.statistics(List.of(stats)).toByteArray());
    assertEquals(List.of(
            MemoryUsage.newBuilder().setType("GPU").setId(0).setByteSize(2_048).build(),
            MemoryUsage.newBuilder().setType("GPU").setId(3).setByteSize(4_096).build()),
        parsed.getModelStats(0).getMemoryUsageList());
  }
}
