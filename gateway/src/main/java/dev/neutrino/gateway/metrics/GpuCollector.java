package dev.neutrino.gateway.metrics;

import dev.neutrino.gpu.GpuException;
import dev.neutrino.gpu.GpuMonitor;
import dev.neutrino.gpu.GpuReading;
import io.prometheus.client.CollectorRegistry;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The GPUs' utilisation and memory, read through NVML on every scrape: {@code neutrino_gpu_utilization}
 * (0 to 1), {@code neutrino_gpu_memory_used_bytes} and {@code neutrino_gpu_memory_total_bytes} by
 * {@code device} ({@code 0}, {@code 1}, ...), and with Triton's names and {@code gpu_uuid} label
 * ({@code nv_gpu_utilization}, {@code nv_gpu_memory_used_bytes}, {@code nv_gpu_memory_total_bytes})
 * under {@code --triton-compatible-metrics}.
 *
 * <p>Without NVML (no GPU, no driver, the CPU build) nothing is registered and one line is logged; a
 * scrape whose NVML call fails has no GPU series and logs once, not on every scrape.
 */
final class GpuCollector extends FamilyCollector {
  private static final System.Logger LOG = System.getLogger(GpuCollector.class.getName());
  static final Family UTILIZATION = Family.gauge("neutrino_gpu_utilization", "",
      "Share of the last sample period in which a kernel ran on the GPU, 0 to 1", "device");
  static final Family MEMORY_USED = Family.gauge("neutrino_gpu_memory_used_bytes", "bytes",
      "GPU memory in use, by every process", "device");
  static final Family MEMORY_TOTAL = Family.gauge("neutrino_gpu_memory_total_bytes", "bytes",
      "GPU memory", "device");
  static final Family NV_UTILIZATION = Family.gauge("nv_gpu_utilization", "",
      "GPU utilization rate [0.0 - 1.0)", "gpu_uuid");
  static final Family NV_MEMORY_USED = Family.gauge("nv_gpu_memory_used_bytes", "bytes",
      "GPU used memory, in bytes", "gpu_uuid");
  static final Family NV_MEMORY_TOTAL = Family.gauge("nv_gpu_memory_total_bytes", "bytes",
      "GPU total memory, in bytes", "gpu_uuid");

  private final Supplier<List<GpuReading>> readings;
  private final boolean triton;
  private final AtomicBoolean failureLogged = new AtomicBoolean();

  GpuCollector(Supplier<List<GpuReading>> readings, boolean triton) {
    super(families(triton));
    this.readings = readings;
    this.triton = triton;
  }

  private static List<Family> families(boolean triton) {
    List<Family> families = new ArrayList<>(List.of(UTILIZATION, MEMORY_USED, MEMORY_TOTAL));
    if (triton) {
      families.addAll(List.of(NV_UTILIZATION, NV_MEMORY_USED, NV_MEMORY_TOTAL));
    }
    return families;
  }

  /** Registers a collector over {@code monitor} when it has a GPU to read; logs once why not otherwise. */
  static void registerIfPresent(CollectorRegistry registry, GpuMonitor monitor, boolean triton) {
    if (!monitor.present()) {
      LOG.log(Level.INFO, "no GPU metrics: {0}", monitor.whyAbsent());
      return;
    }
    new GpuCollector(monitor::read, triton).register(registry);
  }

  @Override
  void fill(Scrape scrape) {
    List<GpuReading> now;
    try {
      now = readings.get();
    } catch (GpuException e) {
      if (failureLogged.compareAndSet(false, true)) {
        LOG.log(Level.WARNING, "GPU metrics unavailable: {0}", e.getMessage());
      }
      return;
    }
    for (GpuReading gpu : now) {
      String device = Integer.toString(gpu.index());
      if (!Double.isNaN(gpu.utilization())) {
        scrape.get(UTILIZATION).add(gpu.utilization(), device);
      }
      scrape.get(MEMORY_USED).add(gpu.memoryUsedBytes(), device);
      scrape.get(MEMORY_TOTAL).add(gpu.memoryTotalBytes(), device);
      if (triton) {
        if (!Double.isNaN(gpu.utilization())) {
          scrape.get(NV_UTILIZATION).add(gpu.utilization(), gpu.uuid());
        }
        scrape.get(NV_MEMORY_USED).add(gpu.memoryUsedBytes(), gpu.uuid());
        scrape.get(NV_MEMORY_TOTAL).add(gpu.memoryTotalBytes(), gpu.uuid());
      }
    }
  }
}
