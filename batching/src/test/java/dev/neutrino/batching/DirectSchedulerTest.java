package dev.neutrino.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DirectSchedulerTest {
  /** A model that echoes its input, can be held at a gate, and counts its runs. */
  static class GatedModel implements LoadedModel {
    final CountDownLatch gate = new CountDownLatch(1);
    final CountDownLatch started = new CountDownLatch(1);
    final AtomicInteger runs = new AtomicInteger();
    final List<String> ids = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    public List<TensorSpec> inputs() {
      return List.of(new TensorSpec("x", DataType.FP32, new long[] {-1}));
    }

    @Override
    public List<TensorSpec> outputs() {
      return List.of(new TensorSpec("y", DataType.FP32, new long[] {-1}));
    }

    @Override
    public String device() {
      return "cpu";
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
      runs.incrementAndGet();
      started.countDown();
      try {
        gate.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Map.of("y", inputs.get("x"));
    }

    @Override
    public void close() {}
  }

  private final GatedModel model = new GatedModel();
  private DirectScheduler scheduler;

  @AfterEach
  void close() {
    model.gate.countDown();
    if (scheduler != null) {
      scheduler.close();
    }
  }

  private static InferenceRequest request(String id, long timeoutMicros) {
    return new InferenceRequest(id, Map.of("x", Tensor.ofFloats(new long[] {1}, 1f)), List.of(), 0,
        timeoutMicros, InferenceRequest.NO_DEADLINE, Map.of());
  }

  private static Throwable failure(CompletableFuture<?> future) {
    try {
      future.join();
      throw new AssertionError("expected a failure");
    } catch (CompletionException e) {
      return e.getCause();
    }
  }

  @Test
  void runsRequestAndReturnsOutputs() throws Exception {
    model.gate.countDown();
    scheduler = DirectScheduler.create("m-1", List.of(model), SchedulerOptions.DEFAULT);
    InferenceResult result = scheduler.submit(request("a", 0)).result().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(Set.of("y"), result.outputs().keySet());
    assertEquals(1, result.batchSize());
  }

  @Test
  void rejectsExactlyTheExcessWhenQueueIsFull() throws Exception {
    scheduler = DirectScheduler.create("m-1", List.of(model), new SchedulerOptions(3, 0));
    CompletableFuture<InferenceResult> running = scheduler.submit(request("running", 0)).result().toCompletableFuture();
    assertTrue(model.started.await(5, TimeUnit.SECONDS));
    List<CompletableFuture<InferenceResult>> queued = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      queued.add(scheduler.submit(request("q" + i, 0)).result().toCompletableFuture());
    }
    for (int i = 3; i < 5; i++) {
      Throwable error = failure(queued.get(i));
      InferenceException.Overloaded overloaded = assertInstanceOf(InferenceException.Overloaded.class, error);
      assertEquals("queue_full", overloaded.reason());
    }
    model.gate.countDown();
    running.get(5, TimeUnit.SECONDS);
    for (int i = 0; i < 3; i++) {
      queued.get(i).get(5, TimeUnit.SECONDS);
    }
    assertEquals(4, model.runs.get());
  }

  @Test
  void cancelledRequestsNeverReachTheModel() throws Exception {
    scheduler = DirectScheduler.create("m-1", List.of(model), SchedulerOptions.DEFAULT);
    CompletableFuture<InferenceResult> running = scheduler.submit(request("running", 0)).result().toCompletableFuture();
    assertTrue(model.started.await(5, TimeUnit.SECONDS));
    Submission cancelled = scheduler.submit(request("gone", 0));
    assertTrue(cancelled.cancel());
    CompletableFuture<InferenceResult> after = scheduler.submit(request("after", 0)).result().toCompletableFuture();
    model.gate.countDown();
    running.get(5, TimeUnit.SECONDS);
    after.get(5, TimeUnit.SECONDS);
    assertEquals(2, model.runs.get());
    assertEquals(0, scheduler.inFlight());
  }

  @Test
  void expiredRequestsFailWithDeadlineAndNeverRun() throws Exception {
    FakeTicker clock = new FakeTicker();
    scheduler = DirectScheduler.create("m-1", List.of(model), SchedulerOptions.DEFAULT, clock);
    CompletableFuture<InferenceResult> running = scheduler.submit(request("running", 0)).result().toCompletableFuture();
    assertTrue(model.started.await(5, TimeUnit.SECONDS));
    CompletableFuture<InferenceResult> expiring = scheduler.submit(request("short", 1)).result().toCompletableFuture();
    clock.advanceMicros(2); // its one-microsecond timeout passes while the model is busy
    model.gate.countDown();
    running.get(5, TimeUnit.SECONDS);
    assertInstanceOf(InferenceException.DeadlineExceeded.class, failure(expiring));
    assertEquals(1, model.runs.get());
  }

  @Test
  void drainFinishesAcceptedWorkAndRefusesNew() throws Exception {
    scheduler = DirectScheduler.create("m-1", List.of(model), SchedulerOptions.DEFAULT);
    CompletableFuture<InferenceResult> running = scheduler.submit(request("running", 0)).result().toCompletableFuture();
    assertTrue(model.started.await(5, TimeUnit.SECONDS));
    CompletableFuture<Void> drained = scheduler.drain().toCompletableFuture();
    assertInstanceOf(InferenceException.NotReady.class, failure(scheduler.submit(request("late", 0)).result().toCompletableFuture()));
    model.gate.countDown();
    running.get(5, TimeUnit.SECONDS);
    drained.get(5, TimeUnit.SECONDS);
  }

  @Test
  void runtimeFailureFailsOnlyThatRequest() throws Exception {
    LoadedModel flaky = new GatedModel() {
      final AtomicInteger calls = new AtomicInteger();

      @Override
      public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
        if (calls.incrementAndGet() == 1) {
          throw new IllegalStateException("boom");
        }
        return Map.of("y", inputs.get("x"));
      }
    };
    scheduler = DirectScheduler.create("m-1", List.of(flaky), SchedulerOptions.DEFAULT);
    Throwable error = failure(scheduler.submit(request("first", 0)).result().toCompletableFuture());
    assertInstanceOf(InferenceException.BackendFailure.class, error);
    scheduler.submit(request("second", 0)).result().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void runsEachRequestAloneAndCountsLikeTheBatcher() throws Exception {
    scheduler = DirectScheduler.create("m-1", List.of(model), new SchedulerOptions(2, 0));
    CompletableFuture<InferenceResult> running = scheduler.submit(request("running", 0)).result().toCompletableFuture();
    assertTrue(model.started.await(5, TimeUnit.SECONDS));
    CompletableFuture<InferenceResult> a = scheduler.submit(request("a", 0)).result().toCompletableFuture();
    CompletableFuture<InferenceResult> b = scheduler.submit(request("b", 0)).result().toCompletableFuture();
    failure(scheduler.submit(request("c", 0)).result().toCompletableFuture());
    assertEquals(2, scheduler.queueDepth());
    model.gate.countDown();
    for (CompletableFuture<InferenceResult> f : List.of(running, a, b)) {
      assertEquals(1, f.get(5, TimeUnit.SECONDS).batchSize(), "never batched");
    }
    SchedulerStats stats = scheduler.stats();
    assertEquals(3, stats.batches());
    assertEquals(3, stats.succeeded());
    assertEquals(1, stats.rejected(RejectReason.QUEUE_FULL));
    assertEquals(java.util.Map.of(1, 3L), stats.batchSizes());
  }
}
