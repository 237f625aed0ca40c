package dev.neutrino.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A version's {@code memory_usage} in the statistics extension, as Triton reports it. */
class MemoryUsageTest {

  @Test
  void measuredDeviceMemoryIsReportedPerGpuInOrder() {
    assertEquals(List.of(new ModelStatistics.MemoryUsage("GPU", 0, 700), new ModelStatistics.MemoryUsage("GPU", 2, 300)),
        Statistics.memoryUsage("cuda:0", 4_096, Map.of(2, 300L, 0, 700L)));
  }

  @Test
  void withoutAMeasurementTheFootprintIsReportedOnTheInstancesDevice() {
    assertEquals(List.of(new ModelStatistics.MemoryUsage("CPU", 0, 4_096)),
        Statistics.memoryUsage("cpu", 4_096, Map.of()));
    assertEquals(List.of(new ModelStatistics.MemoryUsage("GPU", 1, 4_096)),
        Statistics.memoryUsage("tensorrt:1", 4_096, Map.of()));
    assertEquals(List.of(), Statistics.memoryUsage("cpu", 0, Map.of()));
  }
}
