package dev.neutrino.loadtest.profile;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * This process's CPU time and each live Java thread's, read at one moment.
 *
 * @param processNanos the process's CPU time (every thread, the JVM's own and native ones included)
 * @param threadNanos CPU time by Java thread id
 * @param threadUserNanos the part of it spent in user mode, by Java thread id (the rest is the kernel's
 *     work for the thread: system calls, and what the kernel does while in them, such as delivering a
 *     loopback packet or waking another thread)
 * @param vmNanos CPU time of the JVM's threads that are not Java threads, as {@link Stage#GC} and
 *     {@link Stage#JIT} (empty where the OS does not say)
 */
public record CpuSnapshot(long processNanos, Map<Long, Long> threadNanos, Map<Long, Long> threadUserNanos,
    Map<Stage, Long> vmNanos) {
  public CpuSnapshot {
    threadNanos = Map.copyOf(threadNanos);
    threadUserNanos = Map.copyOf(threadUserNanos);
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
    Map<Long, Long> userByThread = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      long nanos = threads.getThreadCpuTime(id);
      long user = threads.getThreadUserTime(id);
      if (nanos >= 0 && user >= 0) {
        byThread.put(id, nanos);
        userByThread.put(id, user);
      }
    }
    Map<Stage, Long> vm = VmThreads.read();
    return new CpuSnapshot(process.getProcessCpuTime(), byThread, userByThread, vm);
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

  /**
   * The kernel's CPU time for each thread alive now since {@code earlier}: its CPU time less its
   * user-mode time (a thread started in between counts from zero; a thread whose clocks disagree, as
   * they may by a tick, counts 0).
   */
  public Map<Long, Long> kernelSince(CpuSnapshot earlier) {
    Map<Long, Long> delta = new HashMap<>();
    threadNanos.forEach((id, nanos) -> {
      Long user = threadUserNanos.get(id);
      if (user != null) {
        long cpu = nanos - earlier.threadNanos.getOrDefault(id, 0L);
        long userDelta = user - earlier.threadUserNanos.getOrDefault(id, 0L);
        delta.put(id, Math.max(0, cpu - userDelta));
      }
    });
    return delta;
  }

  /** {@link #kernelSince(CpuSnapshot)} summed over the threads {@code generator} does not claim. */
  public long kernelSince(CpuSnapshot earlier, LongPredicate generator) {
    long kernel = 0;
    for (Map.Entry<Long, Long> thread : kernelSince(earlier).entrySet()) {
      if (!generator.test(thread.getKey())) {
        kernel += thread.getValue();
      }
    }
    return kernel;
  }
}
