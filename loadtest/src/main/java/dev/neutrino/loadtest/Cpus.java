package dev.neutrino.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * CPU affinity through util-linux's {@code taskset}: which cores a process may run on, and pinning a
 * process (every thread of it) to some of them. Used to give the gateway under test and the load
 * generator separate cores.
 */
final class Cpus {
  private Cpus() {}

  /** {@code taskset} on the PATH, if there is one. */
  static Optional<Path> taskset() {
    return SearchPath.find("taskset");
  }

  /** The cores process {@code pid} may run on, in order. */
  static List<Integer> allowed(Path taskset, long pid) throws IOException {
    String out = run(List.of(taskset.toString(), "-pc", Long.toString(pid)));
    int colon = out.lastIndexOf(':');
    if (colon < 0) {
      throw new IOException("cannot read the affinity of process " + pid + " from taskset: " + out.trim());
    }
    return parseList(out.substring(colon + 1).trim());
  }

  /** Pins every thread of process {@code pid} to {@code cores}. */
  static void pin(Path taskset, long pid, List<Integer> cores) throws IOException {
    run(List.of(taskset.toString(), "-a", "-pc", list(cores), Long.toString(pid)));
  }

  /** A CPU list as taskset and the kernel write it ({@code 0-3,6}), as core numbers. */
  static List<Integer> parseList(String text) {
    List<Integer> cores = new ArrayList<>();
    for (String part : text.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int dash = p.indexOf('-');
      try {
        if (dash < 0) {
          cores.add(Integer.parseInt(p));
        } else {
          int from = Integer.parseInt(p.substring(0, dash).trim());
          int to = Integer.parseInt(p.substring(dash + 1).trim());
          for (int c = from; c <= to; c++) {
            cores.add(c);
          }
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a CPU list: '" + text + "'", e);
      }
    }
    if (cores.isEmpty()) {
      throw new IllegalArgumentException("an empty CPU list: '" + text + "'");
    }
    return cores;
  }

  /** Core numbers as a list taskset takes ({@code 0,1,3}). */
  static String list(List<Integer> cores) {
    return cores.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  private static String run(List<String> command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish");
      }
      if (process.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): " + out.trim());
      }
      return out;
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + String.join(" ", command), e);
    }
  }
}
