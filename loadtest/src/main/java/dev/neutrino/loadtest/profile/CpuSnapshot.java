package dev.neutrino.loadtest.profile;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;

/**
 * This process's CPU time and each live Java thread's, read at one moment.
 *
 * @param processNanos the process's CPU time (every thread, the JVM's own and native ones included)
 * @param threadNanos CPU time by Java thread id
 * @param vmNanos CPU time of the JVM's threads that are not Java threads, as {@link Stage#GC} and
 *     {@link Stage#JIT} (empty where the OS does not say)
 */
public record CpuSnapshot(long processNanos, Map<Long, Long> threadNanos, Map<Stage, Long> vmNanos) {
  public CpuSnapshot {
    threadNanos = Map.copyOf(threadNanos);
    vmNanos = Map.copyOf(vmNanos);
  }

  /**
   * Reads the clocks now.
   *
   * @throws IllegalStateException when the JVM cannot measure the process's or the threads' CPU time
   */
  public static CpuSnapshot take() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (!(os instanceof com.sun.management.OperatingSystemMXBean process)) {
      throw new IllegalStateException("this JVM does not report its process CPU time");
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    if (!threads.isThreadCpuTimeSupported() || !threads.isThreadCpuTimeEnabled()) {
      throw new IllegalStateException("this JVM does not measure thread CPU time");
    }
    Map<Long, Long> byThread = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      long nanos = threads.getThreadCpuTime(id);
      if (nanos >= 0) {
        byThread.put(id, nanos);
      }
    }
    Map<Stage, Long> vm = VmThreads.read();
    return new CpuSnapshot(process.getProcessCpuTime(), byThread, vm);
  }

  /** CPU used by the GC's and the JIT's threads since {@code earlier}. */
  public Map<Stage, Long> vmSince(CpuSnapshot earlier) {
    Map<Stage, Long> delta = new java.util.EnumMap<>(Stage.class);
    vmNanos.forEach((stage, nanos) -> delta.put(stage, Math.max(0, nanos - earlier.vmNanos.getOrDefault(stage, 0L))));
    return delta;
  }

  /**
   * CPU used by each thread alive now since {@code earlier} (a thread started in between counts from
   * zero).
   */
  public Map<Long, Long> threadsSince(CpuSnapshot earlier) {
    Map<Long, Long> delta = new HashMap<>();
    threadNanos.forEach((id, nanos) -> delta.put(id, Math.max(0, nanos - earlier.threadNanos.getOrDefault(id, 0L))));
    return delta;
  }
}
