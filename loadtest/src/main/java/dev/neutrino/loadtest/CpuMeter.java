package dev.neutrino.loadtest;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The CPU time of the load generator's own threads (client event loops, the open-loop scheduler),
 * so that a report can show when the generator, not the server, is the limit. It counts threads, not
 * the process: in {@code bench} the servers run in the same JVM.
 *
 * <p>Thread-safe. A thread that has ended no longer counts, so readings are taken while the
 * registered threads live (they live as long as their client).
 */
public final class CpuMeter {
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final Set<Long> ids = ConcurrentHashMap.newKeySet();

  /** Counts {@code thread}'s CPU time from now on (and what it used before). */
  public void register(Thread thread) {
    ids.add(thread.getId());
  }

  /** A factory of daemon threads named {@code prefix-N}, each registered. */
  public ThreadFactory threadFactory(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.getAndIncrement());
      thread.setDaemon(true);
      register(thread);
      return thread;
    };
  }

  /** Whether the thread with this id is one the meter counts (a generator thread). */
  public boolean registered(long threadId) {
    return ids.contains(threadId);
  }

  /** Whether the JVM can measure thread CPU time at all. */
  public boolean supported() {
    return threads.isThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled();
  }

  /** CPU nanoseconds used so far by the registered threads that are still alive. */
  public long cpuNanos() {
    if (!supported()) {
      return 0;
    }
    long total = 0;
    for (long id : ids) {
      long t = threads.getThreadCpuTime(id);
      if (t > 0) {
        total += t;
      }
    }
    return total;
  }
}
