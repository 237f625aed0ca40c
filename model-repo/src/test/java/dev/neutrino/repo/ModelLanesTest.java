package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Per-model lanes on a shared pool: order within a lane, no waiting across lanes, nothing left behind. */
class ModelLanesTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(2);
  private final ModelLanes lanes = new ModelLanes(pool);

  @AfterEach
  void close() {
    pool.shutdownNow();
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(60, TimeUnit.SECONDS), "the latch was released");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void oneModelsTasksRunInOrderOneAtATime() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<Integer> ran = new CopyOnWriteArrayList<>();
    List<CompletableFuture<Integer>> tasks = new ArrayList<>();
    tasks.add(lanes.submit("m", () -> {
      await(release);
      ran.add(0);
      return 0;
    }));
    for (int i = 1; i < 20; i++) {
      int index = i;
      tasks.add(lanes.submit("m", () -> {
        ran.add(index);
        return index;
      }));
    }
    assertFalse(tasks.get(1).isDone(), "the second waits for the first, though a pool thread is free");
    release.countDown();
    for (int i = 0; i < tasks.size(); i++) {
      assertEquals(i, tasks.get(i).get(60, TimeUnit.SECONDS));
    }
    assertEquals(java.util.stream.IntStream.range(0, 20).boxed().toList(), ran);
    assertEquals(0, lanes.busyLanes(), "an idle lane is forgotten");
  }

  @Test
  void aHeldModelDoesNotHoldUpAnother() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> slow = lanes.submit("slow", () -> {
      entered.countDown();
      await(release);
      return "slow";
    });
    await(entered);
    assertEquals("fast", lanes.submit("fast", () -> "fast").get(60, TimeUnit.SECONDS));
    assertFalse(slow.isDone());
    release.countDown();
    assertEquals("slow", slow.get(60, TimeUnit.SECONDS));
  }

  @Test
  void aFailingTaskFailsItsFutureAndTheLaneGoesOn() throws Exception {
    CompletableFuture<String> failing = lanes.submit("m", () -> {
      throw new IllegalStateException("broken");
    });
    CompletableFuture<String> next = lanes.submit("m", () -> "next");
    ExecutionException failed = assertThrows(ExecutionException.class, () -> failing.get(60, TimeUnit.SECONDS));
    assertInstanceOf(IllegalStateException.class, failed.getCause());
    assertEquals("next", next.get(60, TimeUnit.SECONDS));
  }

  @Test
  void closingFailsTasksThatHaveNotStarted() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> running = lanes.submit("m", () -> {
      entered.countDown();
      await(release);
      return "ran";
    });
    await(entered);
    CompletableFuture<String> waiting = lanes.submit("m", () -> "never");
    lanes.shutdown(new IllegalStateException("closed"));
    ExecutionException failed = assertThrows(ExecutionException.class, () -> waiting.get(60, TimeUnit.SECONDS));
    assertEquals("closed", failed.getCause().getMessage());
    assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
    assertTrue(running.isDone(), "the running task ended, interrupted");
    ExecutionException refused = assertThrows(ExecutionException.class,
        () -> lanes.submit("other", () -> "late").get(60, TimeUnit.SECONDS));
    assertEquals("closed", refused.getCause().getMessage());
  }
}
