package dev.neutrino.loadtest.profile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * The CPU time of the JVM's threads that are not Java threads, which neither the recorder nor
 * {@link java.lang.management.ThreadMXBean} sees: the garbage collector's and the JIT compilers'. Read
 * from Linux's {@code /proc/self/task/TID/stat} by thread name, in clock ticks of 10 ms (Linux's
 * {@code USER_HZ} of 100); elsewhere nothing is read and their time stays in {@link Stage#UNSAMPLED}.
 */
final class VmThreads {
  private static final Path TASKS = Path.of("/proc/self/task");
  private static final long NANOS_PER_TICK = 10_000_000;

  private VmThreads() {}

  /** CPU nanoseconds used so far by the GC's and the JIT's threads alive now; empty where unreadable. */
  static Map<Stage, Long> read() {
    return read(TASKS);
  }

  /** As {@link #read()}, for the JVM of process {@code pid} (a server the bench started). */
  static Map<Stage, Long> read(long pid) {
    return read(Path.of("/proc", Long.toString(pid), "task"));
  }

  private static Map<Stage, Long> read(Path taskDir) {
    Map<Stage, Long> nanos = new EnumMap<>(Stage.class);
    if (!Files.isDirectory(taskDir)) {
      return nanos;
    }
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(taskDir)) {
      for (Path task : tasks) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
        } catch (IOException e) {
          continue; // the thread ended since the listing
        }
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open) {
          continue;
        }
        Stage stage = stageOf(stat.substring(open + 1, close));
        if (stage != null) {
          nanos.merge(stage, ticks(stat.substring(close + 1)) * NANOS_PER_TICK, Long::sum);
        }
      }
    } catch (IOException | RuntimeException e) {
      return new EnumMap<>(Stage.class);
    }
    return nanos;
  }

  /**
   * The stage of a thread by the name HotSpot gives it (the OS keeps 15 characters): {@link Stage#JIT}
   * for the compilers, {@link Stage#GC} for the collectors' workers and the VM thread that runs their
   * pauses, null for any other.
   */
  static Stage stageOf(String name) {
    if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
      return Stage.JIT;
    }
    if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.equals("VM Thread")
        || name.startsWith("ZWorker") || name.startsWith("Shenandoah")) {
      return Stage.GC;
    }
    return null;
  }

  /** User plus system ticks from the fields after a stat line's {@code (name)}: the 12th and 13th. */
  static long ticks(String afterName) {
    String[] fields = afterName.trim().split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }
}
