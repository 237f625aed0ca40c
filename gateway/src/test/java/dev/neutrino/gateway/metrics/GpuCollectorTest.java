package dev.neutrino.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.neutrino.gpu.GpuException;
import dev.neutrino.gpu.GpuMonitor;
import dev.neutrino.gpu.GpuReading;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.StringWriter;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class GpuCollectorTest {
  private static final List<GpuReading> TWO_GPUS = List.of(
      new GpuReading(0, "NVIDIA H100 80GB HBM3", "GPU-aaaa", 0.75, 2_000_000_000L, 80_000_000_000L),
      new GpuReading(1, "NVIDIA H100 80GB HBM3", "GPU-bbbb", Double.NaN, 1_000L, 80_000_000_000L));

  private static String scrape(CollectorRegistry registry) throws Exception {
    StringWriter out = new StringWriter();
    TextFormat.write004(out, registry.metricFamilySamples());
    return out.toString();
  }

  @Test
  void exportsUtilizationAndMemoryPerDevice() throws Exception {
    CollectorRegistry registry = new CollectorRegistry(true);
    new GpuCollector(() -> TWO_GPUS, false).register(registry);
    String text = scrape(registry);
    assertTrue(text.contains("neutrino_gpu_utilization{device=\"0\",} 0.75"), text);
    assertTrue(text.contains("neutrino_gpu_memory_used_bytes{device=\"0\",} 2.0E9"), text);
    assertTrue(text.contains("neutrino_gpu_memory_total_bytes{device=\"1\",} 8.0E10"), text);
    assertFalse(text.contains("neutrino_gpu_utilization{device=\"1\""), "no utilisation where NVML has none");
    assertFalse(text.contains("nv_gpu_"), text);
  }

  @Test
  void tritonNamesAreLabelledByUuidWhenAskedFor() throws Exception {
    CollectorRegistry registry = new CollectorRegistry(true);
    new GpuCollector(() -> TWO_GPUS, true).register(registry);
    String text = scrape(registry);
    assertTrue(text.contains("nv_gpu_utilization{gpu_uuid=\"GPU-aaaa\",} 0.75"), text);
    assertTrue(text.contains("nv_gpu_memory_used_bytes{gpu_uuid=\"GPU-bbbb\",} 1000.0"), text);
    assertTrue(text.contains("nv_gpu_memory_total_bytes{gpu_uuid=\"GPU-aaaa\",} 8.0E10"), text);
  }

  @Test
  void aFailingReadingLeavesNoSeries() {
    GpuCollector collector = new GpuCollector(() -> {
      throw new GpuException("NVML nvmlDeviceGetCount failed: GPU is lost (15)");
    }, true);
    for (MetricFamilySamples family : collector.collect()) {
      assertEquals(List.of(), family.samples, family.name);
    }
  }

  @Test
  void withoutAGpuNothingIsRegistered() throws Exception {
    GpuMonitor monitor = GpuMonitor.nvml();
    assumeFalse(monitor.present(), "NVML is usable here");
    CollectorRegistry registry = new CollectorRegistry(true);
    GpuCollector.registerIfPresent(registry, monitor, true);
    assertEquals(Collections.emptyList(), Collections.list(registry.metricFamilySamples()));
  }
}
