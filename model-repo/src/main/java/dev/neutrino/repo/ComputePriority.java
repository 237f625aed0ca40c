package dev.neutrino.repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * How far below the serving threads the models' threads run: the Linux niceness (0 to 19) of the
 * threads that load models. A thread inherits its creator's niceness, so every thread a load starts
 * runs at it too: ONNX Runtime's intra-op threads, the batcher and its instance threads, generation
 * loops. The event loops stay where the process started.
 *
 * <p>What it is for: when the cores are saturated, the front door must still read every request,
 * refuse what it cannot serve and send what is done, at once. Against a runnable nice-0 thread the
 * kernel gives a nice-10 thread about a tenth of a core; when the event loops have nothing to do, the
 * models get every cycle. So the order of work changes under contention and nothing else: no cycle is
 * left idle.
 *
 * <p>How: the calling thread finds its kernel thread id through {@code /proc/thread-self} and runs
 * {@code renice} (util-linux, busybox) on it, then reads its niceness back. An unprivileged process may
 * raise a thread's niceness but not lower it again, so a lowered thread stays lowered; that is why only
 * threads started for models are lowered, never a caller's thread.
 *
 * @param niceness 0 leaves the models' threads at the process's priority
 */
public record ComputePriority(int niceness) {
  /** Niceness 10: the event loops get about nine tenths of a core the models also want. */
  public static final int DEFAULT_NICENESS = 10;
  /** The models' threads run at the process's priority. */
  public static final ComputePriority UNCHANGED = new ComputePriority(0);
  public static final ComputePriority DEFAULT = new ComputePriority(DEFAULT_NICENESS);
  /** The most a Linux thread can be lowered. */
  public static final int MAX_NICENESS = 19;

  private static final long RENICE_TIMEOUT_SECONDS = 10;

  public ComputePriority {
    if (niceness < 0 || niceness > MAX_NICENESS) {
      throw new IllegalArgumentException("compute niceness must be between 0 and " + MAX_NICENESS + ", got " + niceness);
    }
  }

  /** Whether threads are lowered at all. */
  public boolean lowers() {
    return niceness > 0;
  }

  /**
   * Lowers the calling thread to {@link #niceness()}, and so every thread it starts from now on.
   *
   * @return null when the thread now runs at that niceness (or nothing was asked), otherwise why not
   */
  public String lowerCurrentThread() {
    if (!lowers()) {
      return null;
    }
    OptionalInt tid = currentThreadId();
    if (tid.isEmpty()) {
      return "no /proc/thread-self: not Linux, or /proc is not mounted";
    }
    try {
      Process renice = new ProcessBuilder("renice", Integer.toString(niceness), "-p", Integer.toString(tid.getAsInt()))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!renice.waitFor(RENICE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        renice.destroyForcibly();
        return "renice did not finish within " + RENICE_TIMEOUT_SECONDS + " s";
      }
    } catch (IOException e) {
      return "renice could not run: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while lowering the thread";
    }
    OptionalInt now = niceness(tid.getAsInt());
    if (now.isEmpty() || now.getAsInt() < niceness) {
      return "renice left the thread at niceness " + (now.isEmpty() ? "unknown" : Integer.toString(now.getAsInt()));
    }
    return null;
  }

  /** The kernel's id of the calling thread, from {@code /proc/thread-self} ({@code <pid>/task/<tid>}). */
  static OptionalInt currentThreadId() {
    try {
      Path link = Files.readSymbolicLink(Path.of("/proc/thread-self"));
      return OptionalInt.of(Integer.parseInt(link.getFileName().toString()));
    } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
      return OptionalInt.empty();
    }
  }

  /**
   * The niceness of thread {@code tid} of this process, field 19 of its {@code stat}; empty when it
   * cannot be read. The thread's name, field 2, may hold spaces and parentheses, so fields are counted
   * from the last closing parenthesis.
   */
  static OptionalInt niceness(int tid) {
    try {
      String stat = Files.readString(Path.of("/proc/self/task", Integer.toString(tid), "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
      return OptionalInt.of(Integer.parseInt(fields[19 - 3]));
    } catch (IOException | RuntimeException e) {
      return OptionalInt.empty();
    }
  }
}
