package dev.neutrino.batching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.neutrino.runtime.ComputePriority;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The batcher through its {@link Scheduler} interface, with a test backend held at gates instead of
 * timed. Where time matters, a {@link FakeTicker} is moved by hand; nothing asserts how long anything
 * took.
 */
@Timeout(60)
class DynamicBatcherTest {
  private static final float BLOCKER = -1f;
  private static final float FAIL = -2f;

  private final List<Scheduler> schedulers = new ArrayList<>();
  private final List<TestModel> models = new ArrayList<>();

  @AfterEach
  void closeEverything() {
    models.forEach(TestModel::open);
    schedulers.forEach(Scheduler::close);
  }

  private TestModel model(long width) {
    TestModel model = TestModel.floats(width);
    models.add(model);
    return model;
  }

  private DynamicBatcher batcher(List<? extends LoadedModel> instances, int maxBatchSize, DynamicBatching batching) {
    return batcher(instances, maxBatchSize, batching, Ticker.system());
  }

  private DynamicBatcher batcher(List<? extends LoadedModel> instances, int maxBatchSize, DynamicBatching batching,
      Ticker ticker) {
    DynamicBatcher batcher = DynamicBatcher.create("m-1", List.copyOf(instances), maxBatchSize, batching, ticker);
    schedulers.add(batcher);
    return batcher;
  }

  /** {@code rows} rows of {@code width} values; row r holds {@code value + r} then zeros. */
  static InferenceRequest request(String id, float value, int rows, int width) {
    return request(id, value, rows, width, 0, 0);
  }

  static InferenceRequest request(String id, float value, int rows, int width, int priority, long timeoutMicros) {
    float[] data = new float[rows * width];
    for (int r = 0; r < rows; r++) {
      data[r * width] = value + r;
    }
    return new InferenceRequest(id, Map.of("x", Tensor.ofFloats(new long[] {rows, width}, data)), List.of(), priority,
        timeoutMicros, InferenceRequest.NO_DEADLINE, Map.of());
  }

  static CompletableFuture<InferenceResult> submit(Scheduler scheduler, InferenceRequest request) {
    return scheduler.submit(request).result().toCompletableFuture();
  }

  static InferenceResult result(CompletableFuture<InferenceResult> future) throws Exception {
    return future.get(10, TimeUnit.SECONDS);
  }

  static Throwable failure(CompletableFuture<?> future) {
    try {
      future.orTimeout(10, TimeUnit.SECONDS).join();
      throw new AssertionError("expected a failure");
    } catch (CompletionException e) {
      return e.getCause();
    }
  }

  /** Checks that {@code result} holds exactly the rows of {@code request}, doubled. */
  static void assertOwnRows(InferenceRequest request, InferenceResult result) {
    Tensor x = request.inputs().get("x");
    Tensor y = result.outputs().get("y");
    assertArrayEquals(x.shape(), y.shape(), request.id());
    float[] in = x.toFloatArray();
    float[] out = y.toFloatArray();
    for (int i = 0; i < in.length; i++) {
      assertEquals(2 * in[i], out[i], request.id() + " at " + i);
    }
    int[] rows = result.outputs().get("rows").toIntArray();
    assertEquals(x.dim(0), rows.length, request.id());
    for (int r : rows) {
      assertEquals(result.batchSize(), r, request.id() + ": the batch size the model saw");
    }
  }

  /** Occupies the only instance with a held run; returns the blocker's stage. */
  static CompletableFuture<InferenceResult> occupy(Scheduler scheduler, TestModel model) throws Exception {
    return occupy(scheduler, model, 1);
  }

  /** Occupies the only instance with a held run of {@code rows} rows; returns the blocker's stage. */
  static CompletableFuture<InferenceResult> occupy(Scheduler scheduler, TestModel model, int rows) throws Exception {
    model.holdRunsWith(BLOCKER);
    CompletableFuture<InferenceResult> blocker = submit(scheduler, request("blocker", BLOCKER, rows, 2));
    model.awaitHeld();
    return blocker;
  }

  @Test
  void batchesQueuedRequestsAndGivesEachExactlyItsOwnRows() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 8, DynamicBatching.defaults());
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    List<InferenceRequest> requests = new ArrayList<>();
    List<CompletableFuture<InferenceResult>> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      InferenceRequest request = request("r" + i, 100 * (i + 1), 1 + i % 3, 2);
      requests.add(request);
      futures.add(submit(batcher, request));
    }
    model.open();
    result(blocker);
    for (int i = 0; i < requests.size(); i++) {
      InferenceResult result = result(futures.get(i));
      assertOwnRows(requests.get(i), result);
      assertTrue(result.batchSize() <= 8);
    }
    assertTrue(model.batchRows.stream().allMatch(rows -> rows <= 8), model.batchRows.toString());
    SchedulerStats stats = batcher.stats();
    assertTrue(stats.averageBatchSize() > 1, "average batch size " + stats.averageBatchSize());
    assertEquals(21, stats.queued());
    assertEquals(21, stats.succeeded());
    assertEquals(stats.batches(), stats.batchSizes().values().stream().mapToLong(Long::longValue).sum());
  }

  @Test
  void requestsSubmittedTogetherRunAsOneBatchThoughBothInstancesAreIdle() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model, model), 8, DynamicBatching.defaults());
    List<InferenceRequest> requests = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      requests.add(request("t" + i, 10 * (i + 1), 1, 2));
    }
    List<Submission> submissions = batcher.submitAll(requests);

    assertEquals(5, submissions.size());
    for (int i = 0; i < requests.size(); i++) {
      assertOwnRows(requests.get(i), result(submissions.get(i).result().toCompletableFuture()));
    }
    assertEquals(List.of(5), model.batchRows);
  }

  @Test
  void anArrivalLargerThanTheBatchSpreadsOverTheIdleInstances() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model, model), 4, DynamicBatching.defaults());
    model.hold();
    List<InferenceRequest> requests = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      requests.add(request("s" + i, i + 1, 1, 2));
    }
    List<Submission> submissions = batcher.submitAll(requests);
    model.awaitStarted(2);
    model.open();

    for (int i = 0; i < requests.size(); i++) {
      assertOwnRows(requests.get(i), result(submissions.get(i).result().toCompletableFuture()));
    }
    assertEquals(List.of(4, 4), model.batchRows.subList(0, 2), "both idle instances took a full batch at once");
    assertEquals(10, model.batchRows.stream().mapToInt(Integer::intValue).sum());
  }

  @Test
  void eachRequestOfAnArrivalIsAcceptedOrRefusedOnItsOwn() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 4,
        DynamicBatching.defaults().withDefaultQueuePolicy(QueuePolicy.DEFAULT.withMaxQueueSize(2)));
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    List<InferenceRequest> requests = List.of(request("a", 1, 1, 2), request("too-many-rows", 2, 5, 2),
        request("b", 3, 1, 2), request("over-the-queue", 4, 1, 2));
    List<Submission> submissions = batcher.submitAll(requests);

    InferenceException.InvalidInput invalid = assertInstanceOf(InferenceException.InvalidInput.class,
        failure(submissions.get(1).result().toCompletableFuture()));
    assertTrue(invalid.getMessage().contains("max_batch_size"), invalid.getMessage());
    InferenceException.Overloaded overloaded = assertInstanceOf(InferenceException.Overloaded.class,
        failure(submissions.get(3).result().toCompletableFuture()));
    assertEquals("queue_full", overloaded.reason());
    model.open();
    result(blocker);
    assertOwnRows(requests.get(0), result(submissions.get(0).result().toCompletableFuture()));
    assertOwnRows(requests.get(2), result(submissions.get(2).result().toCompletableFuture()));
    SchedulerStats stats = batcher.stats();
    assertEquals(1, stats.rejected(RejectReason.INVALID_INPUT));
    assertEquals(1, stats.rejected(RejectReason.QUEUE_FULL));
    assertEquals(3, stats.succeeded());
  }

  @Test
  void aLoneBatchRunsWideAndOneBesideABusyInstanceRunsNarrow() throws Exception {
    TestModel model = model(2).withWideSession();
    DynamicBatcher batcher = batcher(List.of(model, model), 8, DynamicBatching.defaults());
    model.hold();
    InferenceRequest alone = request("alone", 1, 1, 2);
    InferenceRequest beside = request("beside", 2, 1, 2);
    CompletableFuture<InferenceResult> first = submit(batcher, alone);
    model.awaitStarted(1);
    CompletableFuture<InferenceResult> second = submit(batcher, beside);
    model.awaitStarted(1);
    model.open();

    assertOwnRows(alone, result(first));
    assertOwnRows(beside, result(second));
    assertEquals(List.of(true, false), model.wide);
  }

  @Test
  void instancesWithoutAWideSessionAlwaysRunNarrow() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model, model), 8, DynamicBatching.defaults());

    assertOwnRows(request("r", 1, 1, 2), result(submit(batcher, request("r", 1, 1, 2))));
    assertEquals(List.of(false), model.wide);
  }

  @Test
  void concurrentClientsOnTwoInstancesEachGetTheirOwnRows() throws Exception {
    TestModel model = model(3);
    DynamicBatcher batcher = batcher(List.of(model, model), 8, DynamicBatching.defaults().withMaxQueueDelayMicros(200));
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < 8; c++) {
        int client = c;
        done.add(clients.submit(() -> {
          Random random = new Random(client);
          for (int i = 0; i < 40; i++) {
            InferenceRequest request = request("c" + client + "-" + i, 1000 * client + 10 * i, 1 + random.nextInt(4), 3);
            assertOwnRows(request, result(submit(batcher, request)));
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      clients.shutdownNow();
    }
    assertTrue(model.batchRows.stream().allMatch(rows -> rows <= 8));
    assertEquals(320, batcher.stats().succeeded());
    assertEquals(0, batcher.inFlight());
  }

  @Test
  void fullQueueRejectsExactlyTheExcessAtOnce() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 4,
        DynamicBatching.defaults().withDefaultQueuePolicy(QueuePolicy.DEFAULT.withMaxQueueSize(3)));
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    List<CompletableFuture<InferenceResult>> futures = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      futures.add(submit(batcher, request("q" + i, i, 1, 2)));
    }
    for (int i = 3; i < 5; i++) {
      assertTrue(futures.get(i).isDone(), "refused before submit returned");
      InferenceException.Overloaded overloaded =
          assertInstanceOf(InferenceException.Overloaded.class, failure(futures.get(i)));
      assertEquals("queue_full", overloaded.reason());
      assertTrue(overloaded.retryAfter().toNanos() > 0);
    }
    model.open();
    result(blocker);
    for (int i = 0; i < 3; i++) {
      result(futures.get(i));
    }
    SchedulerStats stats = batcher.stats();
    assertEquals(2, stats.rejected(RejectReason.QUEUE_FULL));
    assertEquals(4, stats.succeeded());
  }

  @Test
  void eachPriorityLevelHasItsOwnQueueLimit() throws Exception {
    TestModel model = model(2);
    DynamicBatching batching = DynamicBatching.defaults().withPriorityLevels(2, 2)
        .withPriorityQueuePolicy(1, QueuePolicy.DEFAULT.withMaxQueueSize(1))
        .withPriorityQueuePolicy(2, QueuePolicy.DEFAULT.withMaxQueueSize(2));
    DynamicBatcher batcher = batcher(List.of(model), 4, batching);
    occupy(batcher, model);
    List<CompletableFuture<InferenceResult>> high = List.of(
        submit(batcher, request("h0", 1, 1, 2, 1, 0)), submit(batcher, request("h1", 2, 1, 2, 1, 0)));
    List<CompletableFuture<InferenceResult>> low = List.of(
        submit(batcher, request("l0", 3, 1, 2)), submit(batcher, request("l1", 4, 1, 2)),
        submit(batcher, request("l2", 5, 1, 2, 9, 0)));
    assertInstanceOf(InferenceException.Overloaded.class, failure(high.get(1)));
    assertInstanceOf(InferenceException.Overloaded.class, failure(low.get(2)), "priority 9 is out of range: default level");
    model.open();
    result(high.get(0));
    result(low.get(0));
    result(low.get(1));
  }

  @Test
  void higherPrioritiesRunFirst() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 1, DynamicBatching.defaults().withPriorityLevels(2, 2));
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    CompletableFuture<InferenceResult> low1 = submit(batcher, request("low1", 10, 1, 2));
    CompletableFuture<InferenceResult> low2 = submit(batcher, request("low2", 20, 1, 2, 2, 0));
    CompletableFuture<InferenceResult> high = submit(batcher, request("high", 30, 1, 2, 1, 0));
    model.open();
    for (CompletableFuture<InferenceResult> f : List.of(blocker, low1, low2, high)) {
      result(f);
    }
    assertEquals(List.of(BLOCKER, 30f, 10f, 20f), model.seen);
  }

  @Test
  void arrivalsWhileEveryInstanceIsBusyWakeNoThreadAndAreServedOnceOneIsFree() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 4, DynamicBatching.defaults());
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    long before = batcher.batcherSignals();
    List<CompletableFuture<InferenceResult>> queued = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      queued.add(submit(batcher, request("q" + i, i, 1, 2)));
    }
    // The batcher thread has nothing to do for them: no instance is idle, no timer is set.
    assertEquals(before, batcher.batcherSignals());
    model.open();
    result(blocker);
    for (CompletableFuture<InferenceResult> f : queued) {
      result(f); // the instance, once free, takes them batch after batch by itself
    }
    assertEquals(51, model.seen.size());
  }

  @Test
  void requestExpiredInTheQueueFailsAndNeverReachesTheBackend() throws Exception {
    TestModel model = model(2);
    FakeTicker clock = new FakeTicker();
    DynamicBatching batching = DynamicBatching.defaults()
        .withDefaultQueuePolicy(QueuePolicy.DEFAULT.withTimeout(QueuePolicy.TimeoutAction.REJECT, 0, true));
    DynamicBatcher batcher = batcher(List.of(model), 4, batching, clock);
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    CompletableFuture<InferenceResult> expiring = submit(batcher, request("short", 77, 1, 2, 0, 1000));
    CompletableFuture<InferenceResult> patient = submit(batcher, request("patient", 88, 1, 2));
    clock.advanceMicros(2000);
    Throwable error = failure(expiring); // answered while the instance is still busy
    assertInstanceOf(InferenceException.DeadlineExceeded.class, error);
    assertTrue(error.getMessage().contains("m-1"), error.getMessage());
    assertFalse(blocker.isDone());
    model.open();
    result(blocker);
    result(patient);
    assertFalse(model.seen.contains(77f), "never executed");
    assertEquals(1, batcher.stats().expired());
  }

  @Test
  void delayedRequestWaitsBehindTheOthersInsteadOfFailing() throws Exception {
    TestModel model = model(2);
    FakeTicker clock = new FakeTicker();
    DynamicBatching batching = DynamicBatching.defaults()
        .withDefaultQueuePolicy(QueuePolicy.DEFAULT.withTimeout(QueuePolicy.TimeoutAction.DELAY, 0, true));
    DynamicBatcher batcher = batcher(List.of(model), 1, batching, clock);
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    CompletableFuture<InferenceResult> delayed = submit(batcher, request("delayed", 10, 1, 2, 0, 1000));
    clock.advanceMicros(2000);
    CompletableFuture<InferenceResult> second = submit(batcher, request("second", 20, 1, 2));
    CompletableFuture<InferenceResult> third = submit(batcher, request("third", 30, 1, 2));
    model.open();
    for (CompletableFuture<InferenceResult> f : List.of(blocker, delayed, second, third)) {
      result(f);
    }
    assertEquals(List.of(BLOCKER, 20f, 30f, 10f), model.seen);
    assertEquals(0, batcher.stats().expired());
  }

  @Test
  void cancelledRequestsNeverReachTheBackend() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 4, DynamicBatching.defaults());
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    Submission gone = batcher.submit(request("gone", 10, 2, 2));
    CompletableFuture<InferenceResult> kept = submit(batcher, request("kept", 20, 1, 2));
    assertTrue(gone.cancel());
    assertInstanceOf(InferenceException.Cancelled.class, failure(gone.result().toCompletableFuture()));
    model.open();
    result(blocker);
    result(kept);
    assertFalse(model.seen.contains(10f) || model.seen.contains(11f), "never computed: " + model.seen);
    assertEquals(1, batcher.stats().cancelled());
    assertEquals(0, batcher.inFlight());
    assertEquals(0, batcher.queueDepth());
  }

  @Test
  void failingBatchFailsOnlyItsOwnRequests() throws Exception {
    TestModel model = model(2);
    model.failRunsWith(FAIL);
    DynamicBatcher batcher = batcher(List.of(model), 2, DynamicBatching.defaults());
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    CompletableFuture<InferenceResult> r1 = submit(batcher, request("r1", 10, 1, 2));
    CompletableFuture<InferenceResult> r2 = submit(batcher, request("r2", FAIL, 1, 2));
    CompletableFuture<InferenceResult> r3 = submit(batcher, request("r3", 30, 1, 2));
    CompletableFuture<InferenceResult> r4 = submit(batcher, request("r4", 40, 1, 2));
    model.open();
    result(blocker);
    for (CompletableFuture<InferenceResult> failed : List.of(r1, r2)) {
      Throwable error = failure(failed);
      assertInstanceOf(InferenceException.BackendFailure.class, error);
      assertFalse(error.getMessage().contains("boom"), "the runtime's message is not sent: " + error.getMessage());
    }
    result(r3);
    result(r4);
    result(submit(batcher, request("after", 50, 1, 2)));
    assertEquals(2, batcher.stats().failed());
  }

  @ParameterizedTest(name = "preserve_ordering {0}")
  @ValueSource(booleans = {true, false})
  void preservesOrderingOnlyWhenAsked(boolean preserve) throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model, model), 1, DynamicBatching.defaults().withPreserveOrdering(preserve));
    List<String> completed = Collections.synchronizedList(new ArrayList<>());
    model.holdRunsWith(BLOCKER);
    CompletableFuture<InferenceResult> first = submit(batcher, request("first", BLOCKER, 1, 2));
    CompletableFuture<?> firstRecorded = first.whenComplete((r, e) -> completed.add("first"));
    model.awaitHeld();
    CompletableFuture<InferenceResult> second = submit(batcher, request("second", 20, 1, 2));
    CompletableFuture<?> secondRecorded = second.whenComplete((r, e) -> completed.add("second"));
    model.awaitFinished(1); // the second ran on the other instance while the first is held
    if (!preserve) {
      secondRecorded.get(10, TimeUnit.SECONDS);
      assertFalse(first.isDone());
    }
    model.open();
    firstRecorded.get(10, TimeUnit.SECONDS);
    secondRecorded.get(10, TimeUnit.SECONDS);
    assertEquals(preserve ? List.of("first", "second") : List.of("second", "first"), completed);
    assertEquals(2, model.threads.size(), "each instance runs on its own thread: " + model.threads);
  }

  @Test
  void requestsWhoseOtherDimensionsDifferAreNotMixed() throws Exception {
    TestModel model = model(-1);
    DynamicBatcher batcher = batcher(List.of(model), 8, DynamicBatching.defaults());
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    List<InferenceRequest> requests = new ArrayList<>();
    List<CompletableFuture<InferenceResult>> futures = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      InferenceRequest request = request("w" + i, 100 * (i + 1), 1, i / 2 % 2 == 0 ? 2 : 3);
      requests.add(request);
      futures.add(submit(batcher, request));
    }
    model.open();
    result(blocker);
    for (int i = 0; i < requests.size(); i++) {
      assertOwnRows(requests.get(i), result(futures.get(i)));
    }
    assertTrue(model.batchRows.contains(2), "same widths were batched: " + model.batchRows);
  }

  @Test
  void splitsBytesOutputsByWalkingTheirFraming() throws Exception {
    TestModel model = TestModel.strings();
    models.add(model);
    DynamicBatcher batcher = batcher(List.of(model), 8, DynamicBatching.defaults());
    model.hold();
    CompletableFuture<InferenceResult> first = submit(batcher, strings("first", "a", "bb"));
    model.awaitHeld();
    List<CompletableFuture<InferenceResult>> futures = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String[] values = new String[2 * (1 + i % 2)];
      for (int v = 0; v < values.length; v++) {
        values[v] = "req" + i + "-" + "x".repeat(v);
      }
      futures.add(submit(batcher, strings("s" + i, values)));
    }
    model.open();
    assertEquals(List.of("a!", "bb!"), decode(result(first)));
    for (int i = 0; i < 4; i++) {
      List<String> values = decode(result(futures.get(i)));
      assertEquals(2 * (1 + i % 2), values.size());
      for (int v = 0; v < values.size(); v++) {
        assertEquals("req" + i + "-" + "x".repeat(v) + "!", values.get(v));
      }
    }
    assertTrue(model.batchRows.size() < 5, "batched: " + model.batchRows);
  }

  private static InferenceRequest strings(String id, String... values) {
    return InferenceRequest.of(id, Map.of("s", Tensor.ofStrings(new long[] {values.length / 2, 2}, values)));
  }

  private static List<String> decode(InferenceResult result) {
    List<String> values = new ArrayList<>();
    result.outputs().get("t").toByteElements().forEach(e -> values.add(new String(e, StandardCharsets.UTF_8)));
    return values;
  }

  @Test
  void eachRequestGetsOnlyTheOutputsItAskedForInItsOrder() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 8, DynamicBatching.defaults());
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    InferenceRequest onlyRows = new InferenceRequest("rows", request("a", 1, 1, 2).inputs(), List.of("rows"), 0, 0,
        InferenceRequest.NO_DEADLINE, Map.of());
    InferenceRequest reversed = new InferenceRequest("both", request("b", 2, 2, 2).inputs(), List.of("rows", "y"), 0, 0,
        InferenceRequest.NO_DEADLINE, Map.of());
    CompletableFuture<InferenceResult> first = submit(batcher, onlyRows);
    CompletableFuture<InferenceResult> second = submit(batcher, reversed);
    model.open();
    result(blocker);
    assertEquals(List.of("rows"), List.copyOf(result(first).outputs().keySet()));
    assertEquals(List.of("rows", "y"), List.copyOf(result(second).outputs().keySet()));
    assertEquals(3, result(second).batchSize());
  }

  @Test
  void refusesARequestLargerThanTheMaximumBatch() {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 4, DynamicBatching.defaults());
    Throwable error = failure(submit(batcher, request("big", 1, 5, 2)));
    assertInstanceOf(InferenceException.InvalidInput.class, error);
    assertTrue(error.getMessage().contains("max_batch_size"), error.getMessage());
    assertEquals(1, batcher.stats().rejected(RejectReason.INVALID_INPUT));
    assertTrue(model.seen.isEmpty());
  }

  @Test
  void drainRunsWhatWasAcceptedAndRefusesNewWork() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 4, DynamicBatching.defaults().withMaxQueueDelayMicros(60_000_000));
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model, 4); // a full batch goes at once
    CompletableFuture<InferenceResult> queued = submit(batcher, request("queued", 5, 1, 2));
    CompletableFuture<Void> drained = batcher.drain().toCompletableFuture();
    Throwable late = failure(submit(batcher, request("late", 6, 1, 2)));
    assertInstanceOf(InferenceException.NotReady.class, late);
    assertFalse(drained.isDone());
    model.open();
    result(blocker);
    result(queued); // a one-minute delay is not waited for while draining
    drained.get(10, TimeUnit.SECONDS);
    assertEquals(1, batcher.stats().rejected(RejectReason.NOT_READY));
  }

  @Test
  void closeFailsQueuedRequestsAsNotReady() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 4, DynamicBatching.defaults());
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    CompletableFuture<InferenceResult> queued = submit(batcher, request("queued", 5, 1, 2));
    batcher.close();
    assertInstanceOf(InferenceException.NotReady.class, failure(queued));
    model.open();
    result(blocker); // the running batch completes
    assertFalse(model.seen.contains(5f));
    assertEquals(0, batcher.inFlight());
    batcher.close();
  }

  @Test
  void latencyTargetRefusesAtTheDoorWhatCannotFinishInTime() throws Exception {
    FakeTicker clock = new FakeTicker();
    TestModel model = model(2).costing(clock, rows -> TimeUnit.MICROSECONDS.toNanos(1000 + 10L * rows));
    DynamicBatcher batcher = batcher(List.of(model), 8, DynamicBatching.defaults().withTargetLatencyMicros(5000), clock);
    learnTwoBatchSizes(batcher, model);

    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    List<CompletableFuture<InferenceResult>> futures = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      futures.add(submit(batcher, request("r" + i, 100 + i, 1, 2)));
    }
    int firstRefused = -1;
    for (int i = 0; i < futures.size(); i++) {
      CompletableFuture<InferenceResult> f = futures.get(i);
      if (f.isDone()) {
        InferenceException.Overloaded overloaded = assertInstanceOf(InferenceException.Overloaded.class, failure(f));
        assertEquals("latency_target", overloaded.reason());
        assertTrue(overloaded.retryAfter().toNanos() > 0);
        firstRefused = firstRefused < 0 ? i : firstRefused;
      } else {
        assertTrue(firstRefused < 0, "once the backlog is too long, later requests are refused too");
      }
    }
    assertTrue(firstRefused >= 8, "a batch worth of requests fits the target; refused from " + firstRefused);
    model.open();
    result(blocker);
    for (CompletableFuture<InferenceResult> f : futures.subList(0, firstRefused)) {
      result(f);
    }
    assertEquals(40 - firstRefused, batcher.stats().rejected(RejectReason.LATENCY_TARGET));
    assertTrue(model.batchRows.stream().allMatch(rows -> rows <= 8));
  }

  @Test
  void latencyTargetRunsRequestsOneByOneWhereBatchingDoesNotPay() throws Exception {
    FakeTicker clock = new FakeTicker();
    TestModel model = model(2).costing(clock, rows -> TimeUnit.MICROSECONDS.toNanos(200L * rows));
    DynamicBatcher batcher =
        batcher(List.of(model), 8, DynamicBatching.defaults().withTargetLatencyMicros(1_000_000), clock);
    learnTwoBatchSizes(batcher, model);
    int before = model.batchRows.size();

    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    List<CompletableFuture<InferenceResult>> futures = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      futures.add(submit(batcher, request("r" + i, 100 + i, 1, 2)));
    }
    model.open();
    result(blocker);
    for (CompletableFuture<InferenceResult> f : futures) {
      assertEquals(1, result(f).batchSize());
    }
    assertEquals(List.of(1, 1, 1, 1, 1, 1), model.batchRows.subList(before, model.batchRows.size()));
  }

  @Test
  void latencyTargetBatchesWhereBatchingPays() throws Exception {
    FakeTicker clock = new FakeTicker();
    TestModel model = model(2).costing(clock, rows -> TimeUnit.MICROSECONDS.toNanos(1000 + 10L * rows));
    DynamicBatcher batcher =
        batcher(List.of(model), 8, DynamicBatching.defaults().withTargetLatencyMicros(1_000_000), clock);
    learnTwoBatchSizes(batcher, model);

    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    List<CompletableFuture<InferenceResult>> futures = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      futures.add(submit(batcher, request("r" + i, 100 + i, 1, 2)));
    }
    model.open();
    result(blocker);
    for (CompletableFuture<InferenceResult> f : futures) {
      assertEquals(6, result(f).batchSize());
    }
  }

  /** Runs a batch of one, then a batch of two, so that the cost curve is established. */
  private static void learnTwoBatchSizes(DynamicBatcher batcher, TestModel model) throws Exception {
    result(submit(batcher, request("warm-1", 1, 1, 2)));
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    CompletableFuture<InferenceResult> a = submit(batcher, request("warm-2", 2, 1, 2));
    CompletableFuture<InferenceResult> b = submit(batcher, request("warm-3", 3, 1, 2));
    model.open();
    result(blocker);
    assertEquals(2, result(a).batchSize());
    result(b);
  }

  @Test
  void aRequestSubmittedAsAnAnswerCompletesFindsItsInstanceIdle() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 4, DynamicBatching.defaults());
    CompletableFuture<InferenceResult> first = occupy(batcher, model);
    InferenceRequest next = request("next", 7, 1, 2);
    CompletableFuture<CompletableFuture<InferenceResult>> nextResult = new CompletableFuture<>();
    CompletableFuture<Integer> queuedAfterSubmit = new CompletableFuture<>();
    CompletableFuture<String> answeredOn = new CompletableFuture<>();
    // A sequential client: its next request leaves as soon as its answer arrives, here from the answer's
    // own callback, on the instance's thread, while the batch's completion is still running.
    first.whenComplete((result, error) -> {
      answeredOn.complete(Thread.currentThread().getName());
      nextResult.complete(submit(batcher, next));
      queuedAfterSubmit.complete(batcher.queueDepth());
    });
    model.open();
    // Not first.get() before the callback ran: a waiting get may run the callback on this thread.
    assertTrue(answeredOn.get(10, TimeUnit.SECONDS).startsWith("neutrino-instance-"), answeredOn.get());
    assertEquals(0, queuedAfterSubmit.get(10, TimeUnit.SECONDS),
        "submit handed the request to the idle instance itself instead of queueing it for the batcher thread");
    assertOwnRows(next, result(nextResult.get(10, TimeUnit.SECONDS)));
    result(first);
    SchedulerStats stats = batcher.stats();
    assertEquals(2, stats.succeeded());
    assertEquals(0, stats.queueDepth());
  }

  /** The instances' threads run below the caller's priority; the caller's own thread is left alone. */
  @Test
  void instancesRunAtTheComputeNiceValue() throws Exception {
    assumeTrue(ComputePriority.currentNice().isPresent(), "needs Linux's /proc/thread-self");
    int caller = ComputePriority.currentNice().getAsInt();
    TestModel model = model(2);
    DynamicBatcher batcher = DynamicBatcher.create("m-1", List.of(model), 4, DynamicBatching.defaults(),
        Ticker.system(), 7);
    schedulers.add(batcher);
    batcher.submit(request("a", 1, 1, 2)).result().toCompletableFuture().get(5, TimeUnit.SECONDS);
    DirectScheduler direct = DirectScheduler.create("m-2", List.of(model), SchedulerOptions.DEFAULT,
        Ticker.system(), 11);
    schedulers.add(direct);
    direct.submit(request("b", 2, 1, 2)).result().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(List.of(Math.max(7, caller), Math.max(11, caller)), model.nices);
    assertEquals(caller, ComputePriority.currentNice().getAsInt());
    assertThrows(IllegalArgumentException.class,
        () -> DynamicBatcher.create("m-3", List.of(model), 4, DynamicBatching.defaults(), Ticker.system(), 20));
  }

  @Test
  void refusesSettingsThatDoNotSuitTheModel() {
    TestModel model = model(2);
    assertThrows(IllegalArgumentException.class,
        () -> DynamicBatcher.create("m", List.of(model), 4, DynamicBatching.defaults().withPreferredBatchSizes(8)));
    assertThrows(IllegalArgumentException.class,
        () -> DynamicBatcher.create("m", List.of(model), 0, DynamicBatching.defaults()));
    assertThrows(IllegalArgumentException.class,
        () -> DynamicBatcher.create("m", List.of(), 4, DynamicBatching.defaults()));
  }

  @Test
  void cancellingAMappedSubmissionWithdrawsTheQueuedRequest() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 4, DynamicBatching.defaults());
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    // What a response cache does to a submission: a step on its result, and a handle kept on the queue.
    Submission mapped = batcher.submit(request("gone", 10, 1, 2)).map(result -> result).map(result -> result);
    assertTrue(mapped.cancel());
    assertInstanceOf(InferenceException.Cancelled.class, failure(mapped.result().toCompletableFuture()));
    CompletableFuture<InferenceResult> kept = submit(batcher, request("kept", 20, 1, 2));
    model.open();
    result(blocker);
    result(kept);
    assertFalse(model.seen.contains(10f), "never computed: " + model.seen);
    assertEquals(1, batcher.stats().cancelled());
    assertFalse(mapped.cancel(), "cancelling again changes nothing");
  }

  @Test
  void countersAddUpOnceIdle() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 4,
        DynamicBatching.defaults().withDefaultQueuePolicy(QueuePolicy.DEFAULT.withMaxQueueSize(2)));
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    CompletableFuture<InferenceResult> a = submit(batcher, request("a", 1, 1, 2));
    Submission b = batcher.submit(request("b", 2, 1, 2));
    CompletableFuture<InferenceResult> refused = submit(batcher, request("c", 3, 1, 2));
    b.cancel();
    failure(refused);
    model.open();
    result(blocker);
    result(a);
    SchedulerStats stats = batcher.stats();
    assertEquals(3, stats.queued());
    assertEquals(stats.queued(), stats.succeeded() + stats.failed() + stats.expired() + stats.cancelled());
    assertEquals(1, stats.rejected(RejectReason.QUEUE_FULL));
    assertEquals(0, stats.queueDepth());
    assertEquals(0, stats.inFlight());
  }
  @Test
  void reportsHowLongTheOldestRequestHasWaited() throws Exception {
    FakeTicker ticker = new FakeTicker();
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 4, DynamicBatching.defaults(), ticker);
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    assertEquals(0, batcher.stats().oldestQueuedAgeNanos(), "nothing waits");
    CompletableFuture<InferenceResult> a = submit(batcher, request("a", 1, 1, 2));
    ticker.advance(3_000);
    CompletableFuture<InferenceResult> b = submit(batcher, request("b", 2, 1, 2));
    ticker.advance(2_000);
    SchedulerStats waiting = batcher.stats();
    assertEquals(2, waiting.queueDepth());
    assertEquals(5_000, waiting.oldestQueuedAgeNanos(), "a has waited longest");
    model.open();
    result(blocker);
    result(a);
    result(b);
    assertEquals(0, batcher.stats().oldestQueuedAgeNanos());
  }

  @Test
  void timesEveryBatchBySize() throws Exception {
    TestModel model = model(2);
    DynamicBatcher batcher = batcher(List.of(model), 4, DynamicBatching.defaults());
    CompletableFuture<InferenceResult> blocker = occupy(batcher, model);
    List<CompletableFuture<InferenceResult>> waiting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      waiting.add(submit(batcher, request("r" + i, i, 1, 2)));
    }
    model.open();
    result(blocker);
    for (CompletableFuture<InferenceResult> f : waiting) {
      InferenceResult r = result(f);
      assertTrue(r.queueNanos() >= 0 && r.computeInputNanos() >= 0 && r.computeNanos() >= 0
          && r.computeOutputNanos() >= 0);
      assertFalse(r.fromCache());
    }
    SchedulerStats stats = batcher.stats();
    assertEquals(stats.batchSizes().keySet(), stats.batchTimes().keySet());
    stats.batchSizes().forEach((size, count) -> assertEquals(count, stats.batchTimes().get(size).count()));
    assertEquals(stats.batches(), stats.batchTimes().values().stream().mapToLong(BatchTimes::count).sum());
    SchedulerStats twice = stats.plus(stats);
    assertEquals(2 * stats.rows(), twice.rows());
    assertEquals(2 * stats.batchTimes().get(1).computeInferNanos(), twice.batchTimes().get(1).computeInferNanos());
  }
}
