package dev.neutrino.repo;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Runs tasks on a pool it owns, one lane per model name: the tasks of one model run one at a time, in
 * the order submitted; tasks of different models run side by side as the pool's threads allow. A lane
 * exists only while it has work, so names that come and go leave nothing behind. Thread-safe.
 */
final class ModelLanes {
  private final ExecutorService pool;
  /** Waiting tasks per busy lane (the running one is not in it); guarded by {@code this}. */
  private final Map<String, ArrayDeque<Task<?>>> busy = new HashMap<>();
  /** Why the lanes were shut down, or null while they run; guarded by {@code this}. */
  private Throwable closedBy;

  ModelLanes(ExecutorService pool) {
    this.pool = pool;
  }

  /** Runs {@code work} in {@code name}'s lane; the future completes with its result or its exception. */
  <T> CompletableFuture<T> submit(String name, Supplier<T> work) {
    Task<T> task = new Task<>(name, work);
    synchronized (this) {
      if (closedBy != null) {
        task.result.completeExceptionally(closedBy);
        return task.result;
      }
      ArrayDeque<Task<?>> waiting = busy.get(name);
      if (waiting != null) {
        waiting.add(task);
        return task.result;
      }
      busy.put(name, new ArrayDeque<>());
    }
    start(task);
    return task.result;
  }

  /**
   * Shuts the pool down (interrupting running tasks) and fails every task that has not started, and
   * every later one, with {@code why}.
   */
  void shutdown(Throwable why) {
    synchronized (this) {
      closedBy = why;
    }
    List<Runnable> dropped = pool.shutdownNow();
    List<Task<?>> failing = new ArrayList<>();
    synchronized (this) {
      busy.values().forEach(failing::addAll);
      busy.clear();
    }
    for (Runnable task : dropped) {
      if (task instanceof Task<?> lane) {
        failing.add(lane);
      }
    }
    failing.forEach(task -> task.result.completeExceptionally(why));
  }

  /** Lanes with work, for tests. */
  synchronized int busyLanes() {
    return busy.size();
  }

  private void start(Task<?> task) {
    try {
      pool.execute(task);
    } catch (RejectedExecutionException rejected) {
      Throwable why;
      synchronized (this) {
        why = closedBy != null ? closedBy : rejected;
      }
      task.result.completeExceptionally(why);
      next(task.name);
    }
  }

  private void next(String name) {
    Task<?> following;
    synchronized (this) {
      ArrayDeque<Task<?>> waiting = busy.get(name);
      following = waiting == null ? null : waiting.poll();
      if (following == null) {
        busy.remove(name);
      }
    }
    if (following != null) {
      start(following);
    }
  }

  private final class Task<T> implements Runnable {
    final String name;
    final Supplier<T> work;
    final CompletableFuture<T> result = new CompletableFuture<>();

    Task(String name, Supplier<T> work) {
      this.name = name;
      this.work = work;
    }

    /** Runs the work, frees the lane, then completes: whoever sees the result sees the lane free. */
    @Override
    public void run() {
      T value = null;
      Throwable failure = null;
      try {
        value = work.get();
      } catch (Throwable thrown) {
        failure = thrown;
      } finally {
        next(name);
      }
      if (failure == null) {
        result.complete(value);
      } else {
        result.completeExceptionally(failure);
      }
    }
  }
}
