package dev.neutrino.runtime.testing;

import dev.neutrino.runtime.ComputePriority;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * This process's threads as Linux lists them in {@code /proc/self/task}, for tests that read their
 * priorities back from the kernel. Shared through the runtime's test-jar.
 */
public final class ProcessThreads {
  private ProcessThreads() {}

  /** Each thread's kernel name (15 characters at most), by its kernel thread id; empty off Linux. */
  public static Map<Long, String> namesById() throws IOException {
    Map<Long, String> out = new TreeMap<>();
    Path tasks = Path.of("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return out;
    }
    try (Stream<Path> listing = Files.list(tasks)) {
      for (Path task : listing.toList()) {
        try {
          out.put(Long.parseLong(task.getFileName().toString()), Files.readString(task.resolve("comm")).trim());
        } catch (IOException e) {
          // the thread ended since the listing
        }
      }
    }
    return out;
  }

  /**
   * The nice value of each thread whose kernel name {@code name} accepts, by its kernel thread id. A
   * thread that ends meanwhile is left out: it may still be listed while its {@code stat} is gone.
   */
  public static Map<Long, Integer> nicesById(Predicate<String> name) throws IOException {
    Map<Long, Integer> out = new TreeMap<>();
    namesById().forEach((tid, threadName) -> {
      OptionalInt nice = name.test(threadName) ? ComputePriority.niceOf(tid) : OptionalInt.empty();
      nice.ifPresent(value -> out.put(tid, value));
    });
    return out;
  }
}
