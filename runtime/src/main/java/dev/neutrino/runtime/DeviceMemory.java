package dev.neutrino.runtime;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The device memory in use now, by GPU index (NVML's reading in the GPU build); empty where there
 * are no GPUs. A model version's GPU memory is the growth of this across its load.
 *
 * <p>Thread-safety: implementations may be called from any thread.
 */
@FunctionalInterface
public interface DeviceMemory {
  /** No GPUs: every reading is empty. */
  DeviceMemory NONE = Map::of;

  /** Bytes in use on each GPU now, by index. */
  Map<Integer, Long> usedBytes();

  /**
   * The growth from {@code before} to {@code after} on each of {@code devices} read both times; a
   * device whose use did not grow (another load freed memory meanwhile) is left out.
   */
  static Map<Integer, Long> growth(Map<Integer, Long> before, Map<Integer, Long> after, Set<Integer> devices) {
    Objects.requireNonNull(before, "before");
    Objects.requireNonNull(after, "after");
    Map<Integer, Long> grown = new TreeMap<>();
    for (Integer device : devices) {
      Long then = before.get(device);
      Long now = after.get(device);
      if (then != null && now != null && now > then) {
        grown.put(device, now - then);
      }
    }
    return Map.copyOf(grown);
  }

  /**
   * The GPU index in an instance's {@link LoadedModel#device()} ({@code cuda:0}, {@code tensorrt:1}),
   * or -1 for the CPU.
   */
  static int gpuIndex(String device) {
    int colon = device.indexOf(':');
    if (colon < 0) {
      return -1;
    }
    try {
      return Integer.parseInt(device.substring(colon + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
