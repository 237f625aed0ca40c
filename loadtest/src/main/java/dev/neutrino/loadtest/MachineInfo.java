package dev.neutrino.loadtest;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The machine a run happened on, as BENCHMARKS.md asks every report to record it. */
final class MachineInfo {
  private MachineInfo() {}

  /**
   * @param executionProvider where the models ran ({@code cpu}, {@code cuda:0}), or null when unknown
   */
  static Map<String, Object> collect(String executionProvider) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("memory_bytes", physicalMemory());
    m.put("cpu_model", cpuModel());
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
        + System.getProperty("os.arch"));
    m.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    m.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
    m.put("onnxruntime", onnxRuntimeVersion());
    m.put("execution_provider", executionProvider == null ? "n/a" : executionProvider);
    m.put("load_average_1m_at_start", loadAverage());
    return m;
  }

  /** The system's one-minute load average: above the core count, other work competed with this run. */
  static double loadAverage() {
    return Math.round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() * 100) / 100.0;
  }

  /** One line for the console. */
  static String describe(Map<String, Object> m) {
    long memory = m.get("memory_bytes") instanceof Long l ? l : 0;
    return m.get("cores") + " cores (" + m.get("cpu_model") + "), " + (memory >> 20) + " MiB, "
        + m.get("jvm") + ", ONNX Runtime " + m.get("onnxruntime") + " on " + m.get("execution_provider")
        + ", load average " + m.get("load_average_1m_at_start");
  }

  private static long physicalMemory() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getTotalMemorySize();
    }
    return -1;
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or not readable: say so below.
    }
    return System.getProperty("os.arch");
  }

  private static String onnxRuntimeVersion() {
    try {
      return ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion();
    } catch (RuntimeException | LinkageError e) {
      return "unavailable";
    }
  }
}
