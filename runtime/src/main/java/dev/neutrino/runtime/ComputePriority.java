package dev.neutrino.runtime;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The CPU priority of the threads that run models: a Linux nice value above the event loops' 0.
 *
 * <p>When a process's cores are saturated, its event loops and its model instances compete for them.
 * At equal priority the kernel shares the cores evenly, so an event loop waits behind a batch for
 * several milliseconds before it reads the next request, and a request the gateway would refuse at
 * once (or a health check, or a metrics scrape) is answered only after that wait. With the instances
 * at a higher nice value the kernel runs an event loop as soon as it has work, and the instances get
 * every cycle the event loops leave. A process with idle cores runs exactly as before.
 *
 * <p>Linux lets a thread raise its own nice value without privileges, but not lower it again, so only
 * threads that exist to run models are lowered, each by itself ({@link #lowerCurrentThread}), and a
 * thread created by a lowered thread inherits its value: ONNX Runtime's intra-op threads get it by
 * being created on a lowered thread ({@link #callLowered}). Elsewhere (not Linux, or the C library not
 * reachable through JNA) nothing changes and the {@link Result} says why.
 *
 * <p>Thread-safety: every method acts on the calling thread (or a thread it starts) only.
 */
public final class ComputePriority {
  /** The highest nice value, the lowest priority. */
  public static final int MAX_NICE = 19;
  /** Leaves a thread's priority as it is. */
  public static final int UNCHANGED = 0;
  private static final int PRIO_PROCESS = 0;
  private static final String NICE_VALUE = "a compute thread's nice value";

  private ComputePriority() {}

  /**
   * What {@link #lowerCurrentThread} did.
   *
   * @param nice the thread's nice value afterwards, or -1 where it cannot be read
   * @param reason why the thread was not lowered; null when it was, or when nothing was asked
   */
  public record Result(int nice, String reason) {
    public boolean lowered() {
      return reason == null;
    }
  }

  /**
   * Raises the calling thread's nice value to {@code nice} (lowers its priority); a thread already
   * at that value or above is left alone.
   *
   * @throws IllegalArgumentException when {@code nice} is outside 0..{@link #MAX_NICE}
   */
  public static Result lowerCurrentThread(int nice) {
    requireNice(nice, NICE_VALUE);
    OptionalLong tid = currentThreadId();
    if (tid.isEmpty()) {
      return new Result(-1, "this system has no /proc/thread-self (not Linux)");
    }
    OptionalInt current = niceOf(tid.getAsLong());
    if (nice == UNCHANGED || (current.isPresent() && current.getAsInt() >= nice)) {
      return new Result(current.orElse(-1), null);
    }
    try {
      LibC.INSTANCE.setpriority(PRIO_PROCESS, (int) tid.getAsLong(), nice);
    } catch (LastErrorException e) {
      return new Result(current.orElse(-1), "setpriority failed with errno " + e.getErrorCode());
    } catch (LinkageError e) {
      return new Result(current.orElse(-1), "the C library is not reachable through JNA: " + e.getMessage());
    }
    return new Result(niceOf(tid.getAsLong()).orElse(-1), null);
  }

  /**
   * Runs {@code task} on a new thread that first lowers itself to {@code nice}, and waits for it:
   * threads the task creates (ONNX Runtime's intra-op pool) inherit the lowered priority. With
   * {@link #UNCHANGED} the task runs on the caller's thread.
   *
   * @throws Exception what the task threw
   */
  public static <T> T callLowered(int nice, String threadName, Callable<T> task) throws Exception {
    requireNice(nice, NICE_VALUE);
    if (nice == UNCHANGED) {
      return task.call();
    }
    return onNewThread(threadName, () -> {
      lowerCurrentThread(nice);
      return task.call();
    });
  }

  /**
   * What lowering a model thread to {@code nice} does on this system, tried on a short-lived thread of
   * its own (the caller's priority is left alone): for the start-up log.
   */
  public static Result probe(int nice) throws Exception {
    requireNice(nice, NICE_VALUE);
    return onNewThread("neutrino-compute-priority-probe", () -> lowerCurrentThread(nice));
  }

  /**
   * Runs {@code task} on a new daemon thread and waits for it, even when interrupted (the native work
   * it may do cannot be abandoned halfway; the interrupt is kept).
   *
   * @throws Exception what the task threw
   */
  private static <T> T onNewThread(String threadName, Callable<T> task) throws Exception {
    FutureTask<T> future = new FutureTask<>(task);
    Thread thread = new Thread(future, threadName);
    thread.setDaemon(true);
    thread.start();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return future.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof Exception cause) {
            throw cause;
          }
          if (e.getCause() instanceof Error error) {
            throw error;
          }
          throw e;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The calling thread's kernel thread id, from {@code /proc/thread-self}; empty off Linux. */
  public static OptionalLong currentThreadId() {
    try {
      Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
      return OptionalLong.of(Long.parseLong(self.getFileName().toString()));
    } catch (IOException | UnsupportedOperationException | NumberFormatException | SecurityException e) {
      return OptionalLong.empty();
    }
  }

  /** The calling thread's nice value; empty where it cannot be read (not Linux). */
  public static OptionalInt currentNice() {
    OptionalLong tid = currentThreadId();
    return tid.isPresent() ? niceOf(tid.getAsLong()) : OptionalInt.empty();
  }

  /** The nice value of this process's thread {@code tid}, from its {@code stat}; empty when it cannot be read. */
  public static OptionalInt niceOf(long tid) {
    try {
      String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so count from the last ')'.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
      return OptionalInt.of(Integer.parseInt(fields[16])); // field 19 of stat; the state is field 3
    } catch (IOException | RuntimeException e) {
      return OptionalInt.empty();
    }
  }

  /**
   * {@code nice}, when it is a nice value a thread may be lowered to here (0..{@link #MAX_NICE}).
   *
   * @param name names the setting in the error
   * @throws IllegalArgumentException naming the setting and the value otherwise
   */
  public static int requireNice(int nice, String name) {
    if (nice < UNCHANGED || nice > MAX_NICE) {
      throw new IllegalArgumentException(name + " must be between 0 and " + MAX_NICE + ", got " + nice);
    }
    return nice;
  }

  /** The C library's {@code setpriority(2)}, loaded on first use. */
  private interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int setpriority(int which, int who, int prio) throws LastErrorException;
  }
}
