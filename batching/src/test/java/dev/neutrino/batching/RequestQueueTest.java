package dev.neutrino.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The priority queues with Triton's queue policies, driven by hand with a fake clock. */
class RequestQueueTest {
  private static final long T0 = FakeTicker.START;
  private static final long NONE = InferenceRequest.NO_DEADLINE;

  private static long micros(long micros) {
    return TimeUnit.MICROSECONDS.toNanos(micros);
  }

  private static QueuedRequest entry(String id, int level, int rows, long enqueued, long timeoutAt, boolean delay,
      long hardDeadline) {
    InferenceRequest request = InferenceRequest.of(id, Map.of("x", Tensor.ofFloats(new long[] {rows, 1}, new float[rows])));
    return new QueuedRequest(request, new CompletableFuture<>(), rows, ListQueue.SAME_SHAPE, level, enqueued,
        timeoutAt, delay, hardDeadline, Math.min(hardDeadline, delay ? NONE : timeoutAt));
  }

  private static QueuedRequest entry(String id, int level) {
    return entry(id, level, 1, T0, NONE, false, NONE);
  }

  private static List<String> order(RequestQueue queue) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < queue.size(); i++) {
      ids.add(((QueuedRequest) queue.get(i)).request.id());
    }
    return ids;
  }

  private static RequestQueue levels(int count, QueuePolicy policy) {
    List<QueuePolicy> policies = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      policies.add(policy);
    }
    return new RequestQueue(policies);
  }

  @Test
  void higherPrioritiesComeFirstAndFifoWithinALevel() {
    RequestQueue queue = levels(3, QueuePolicy.DEFAULT);
    queue.add(entry("low-1", 3));
    queue.add(entry("mid-1", 2));
    queue.add(entry("high-1", 1));
    queue.add(entry("low-2", 3));
    queue.add(entry("high-2", 1));
    assertEquals(List.of("high-1", "high-2", "mid-1", "low-1", "low-2"), order(queue));
    List<QueuedRequest> batch = queue.take(3);
    assertEquals(List.of("high-1", "high-2", "mid-1"),
        batch.stream().map(r -> r.request.id()).collect(Collectors.toList()));
    assertTrue(batch.stream().allMatch(r -> r.state == QueuedRequest.State.DISPATCHED));
    assertEquals(List.of("low-1", "low-2"), order(queue));
  }

  @Test
  void policyServesPrioritiesFirst() {
    RequestQueue queue = levels(2, QueuePolicy.DEFAULT);
    for (int i = 0; i < 3; i++) {
      queue.add(entry("low-" + i, 2));
    }
    queue.add(entry("high", 1));
    BatchDecision decision = new TritonBatchPolicy(2, List.of(), 0).decide(queue, T0);
    assertEquals(2, decision.count());
    assertEquals(List.of("high", "low-0"),
        queue.take(decision.count()).stream().map(r -> r.request.id()).collect(Collectors.toList()));
  }

  @Test
  void rejectTimeoutExpiresTheRequestAtItsTimeout() {
    RequestQueue queue = levels(1, QueuePolicy.DEFAULT);
    QueuedRequest timed = entry("timed", 1, 2, T0, T0 + micros(100), false, NONE);
    queue.add(timed);
    queue.add(entry("other", 1));
    assertEquals(T0 + micros(100), queue.nextTimerNanos());
    List<QueuedRequest> expired = new ArrayList<>();
    queue.expire(T0 + micros(99), expired);
    assertTrue(expired.isEmpty());
    queue.expire(T0 + micros(100), expired);
    assertEquals(List.of(timed), expired);
    assertEquals(QueuedRequest.State.EXPIRED, timed.state);
    assertEquals(List.of("other"), order(queue));
    assertEquals(1, queue.rowsAtOrAbove(1));
    assertEquals(NONE, queue.nextTimerNanos());
  }

  @Test
  void delayTimeoutMovesTheRequestBehindTheOthersOfItsLevel() {
    RequestQueue queue = levels(2, QueuePolicy.DEFAULT);
    QueuedRequest slow = entry("delayed", 1, 1, T0, T0 + micros(100), true, NONE);
    queue.add(slow);
    queue.add(entry("b", 1));
    queue.add(entry("low", 2));
    queue.add(entry("c", 1));
    List<QueuedRequest> expired = new ArrayList<>();
    queue.expire(T0 + micros(150), expired);
    assertTrue(expired.isEmpty(), "DELAY keeps it queued");
    assertEquals(QueuedRequest.State.DELAYED, slow.state);
    queue.add(entry("d", 1));
    assertEquals(List.of("b", "c", "d", "delayed", "low"), order(queue),
        "behind every request of its level that has not timed out, even later ones; before lower levels");
    assertEquals(NONE, queue.nextTimerNanos(), "a delayed request has no timeout any more");
    assertEquals(5, queue.size());
  }

  @Test
  void ownDeadlineRejectsEvenAfterADelay() {
    RequestQueue queue = levels(1, QueuePolicy.DEFAULT);
    QueuedRequest request = entry("r", 1, 1, T0, T0 + micros(100), true, T0 + micros(300));
    queue.add(request);
    List<QueuedRequest> expired = new ArrayList<>();
    queue.expire(T0 + micros(100), expired);
    assertEquals(QueuedRequest.State.DELAYED, request.state);
    assertEquals(T0 + micros(300), queue.nextTimerNanos());
    queue.expire(T0 + micros(300), expired);
    assertEquals(List.of(request), expired);
    assertEquals(0, queue.size());
  }

  @Test
  void fullnessIsPerLevelAndCountsDelayedRequests() {
    RequestQueue queue = new RequestQueue(List.of(QueuePolicy.DEFAULT.withMaxQueueSize(2), QueuePolicy.DEFAULT));
    queue.add(entry("a", 1, 1, T0, T0 + micros(10), true, NONE));
    assertFalse(queue.isFull(1));
    queue.add(entry("b", 1));
    assertTrue(queue.isFull(1));
    queue.expire(T0 + micros(20), new ArrayList<>());
    assertTrue(queue.isFull(1), "the delayed request still counts");
    assertFalse(queue.isFull(2), "level 2 is unbounded");
    queue.take(1);
    assertFalse(queue.isFull(1));
  }

  @Test
  void withdrawnRequestsLeaveTheQueue() {
    RequestQueue queue = levels(1, QueuePolicy.DEFAULT);
    QueuedRequest gone = entry("gone", 1, 3, T0, T0 + micros(100), false, NONE);
    queue.add(entry("a", 1));
    queue.add(gone);
    queue.add(entry("b", 1));
    gone.future.cancel(false);
    List<QueuedRequest> withdrawn = new ArrayList<>();
    queue.removeWithdrawn(withdrawn);
    assertEquals(List.of(gone), withdrawn);
    assertEquals(QueuedRequest.State.WITHDRAWN, gone.state);
    assertEquals(List.of("a", "b"), order(queue));
    assertEquals(2, queue.rowsAtOrAbove(1));
    List<QueuedRequest> expired = new ArrayList<>();
    queue.expire(T0 + micros(200), expired);
    assertTrue(expired.isEmpty(), "its timeout no longer fires");
  }

  @Test
  void rowsAheadCountTheLevelAndTheLevelsAboveIt() {
    RequestQueue queue = levels(3, QueuePolicy.DEFAULT);
    queue.add(entry("a", 1, 4, T0, NONE, false, NONE));
    queue.add(entry("b", 2, 2, T0, NONE, false, NONE));
    queue.add(entry("c", 3, 1, T0, NONE, false, NONE));
    assertEquals(4, queue.rowsAtOrAbove(1));
    assertEquals(6, queue.rowsAtOrAbove(2));
    assertEquals(7, queue.rowsAtOrAbove(3));
  }

  @Test
  void removeAllEmptiesEveryLevel() {
    RequestQueue queue = levels(2, QueuePolicy.DEFAULT);
    QueuedRequest low = entry("low", 2);
    queue.add(low);
    queue.add(entry("high", 1, 1, T0, T0 + micros(5), false, NONE));
    List<QueuedRequest> all = queue.removeAll();
    assertEquals(2, all.size());
    assertSame(low, all.get(1));
    assertEquals(0, queue.size());
    assertEquals(NONE, queue.nextTimerNanos());
  }

  @ParameterizedTest(name = "default {0} us, override allowed {1}, request {2} us -> {3} us")
  @CsvSource({
      "0, false, 0, 0",
      "0, false, 500, 0",
      "0, true, 500, 500",
      "1000, false, 500, 1000",
      "1000, true, 500, 500",
      "1000, true, 2000, 1000",
      "1000, true, 0, 1000"})
  void requestTimeoutsFollowTriton(long defaultMicros, boolean allowOverride, long requested, long expected) {
    QueuePolicy policy = QueuePolicy.DEFAULT.withTimeout(QueuePolicy.TimeoutAction.REJECT, defaultMicros, allowOverride);
    assertEquals(expected, policy.timeoutMicrosFor(requested));
  }
}
