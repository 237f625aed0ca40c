package dev.neutrino.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Triton's batching rule as a pure function, with the clock moved by hand. */
class TritonBatchPolicyTest {
  private static final long T0 = FakeTicker.START;

  private static long micros(long micros) {
    return TimeUnit.MICROSECONDS.toNanos(micros);
  }

  /** Requests of {@code rows} each, all queued at T0, decided {@code elapsedMicros} later. */
  private static BatchDecision decide(int max, List<Integer> preferred, long delayMicros, List<Integer> rows,
      long elapsedMicros) {
    ListQueue queue = new ListQueue();
    rows.forEach(r -> queue.add(r, T0));
    return new TritonBatchPolicy(max, preferred, delayMicros).decide(queue, T0 + micros(elapsedMicros));
  }

  static Stream<Arguments> decisions() {
    // name, max_batch_size, preferred, delay (us), rows of the queued requests, time since (us),
    // expected requests dispatched (0: wait), expected wait (us) when waiting
    return Stream.of(
        Arguments.of("max size at once", 4, List.of(), 1000, List.of(1, 1, 1, 1, 1), 0, 4, 0),
        Arguments.of("max size exactly", 4, List.of(), 1000, List.of(2, 2), 0, 2, 0),
        Arguments.of("preferred size at once", 8, List.of(2, 4), 1000, List.of(1, 1, 1), 0, 2, 0),
        Arguments.of("largest preferred formed", 8, List.of(2, 4), 1000, List.of(1, 1, 1, 1, 1), 0, 4, 0),
        Arguments.of("cannot pass largest preferred", 16, List.of(4, 8), 1000, List.of(3, 3, 3), 0, 2, 0),
        Arguments.of("largest preferred prefix", 16, List.of(4, 8), 1000, List.of(4, 2, 3), 0, 1, 0),
        Arguments.of("waits below preferred", 8, List.of(4), 1000, List.of(1, 1), 0, 0, 1000),
        Arguments.of("waits the rest of the delay", 8, List.of(), 500, List.of(1, 1, 1), 200, 0, 300),
        Arguments.of("delay bound reached", 8, List.of(), 500, List.of(1, 1, 1), 500, 3, 0),
        Arguments.of("delay bound passed", 8, List.of(4), 500, List.of(1, 1, 1), 900, 3, 0),
        Arguments.of("no delay sends what is queued", 8, List.of(), 0, List.of(1, 1, 1), 0, 3, 0),
        Arguments.of("no delay with preferred", 8, List.of(2), 0, List.of(1, 1, 1), 0, 2, 0),
        Arguments.of("multi-row never past max", 8, List.of(), 1000, List.of(3, 4, 2), 0, 2, 0),
        Arguments.of("multi-row fills max", 8, List.of(), 1000, List.of(3, 5, 2), 0, 2, 0),
        Arguments.of("multi-row waits when it fits", 8, List.of(), 1000, List.of(3, 2), 100, 0, 900),
        Arguments.of("single request of max rows", 8, List.of(), 1000, List.of(8, 1), 0, 1, 0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("decisions")
  void decides(String name, int max, List<Integer> preferred, long delayMicros, List<Integer> rows,
      long elapsedMicros, int expectedCount, long expectedWaitMicros) {
    BatchDecision decision = decide(max, preferred, delayMicros, rows, elapsedMicros);
    assertEquals(expectedCount, decision.count(), name);
    if (expectedCount == 0) {
      assertEquals(micros(expectedWaitMicros), decision.waitNanos(), name);
    }
  }

  @Test
  void emptyQueueWaitsForSomethingToHappen() {
    assertEquals(BatchDecision.IDLE, new TritonBatchPolicy(8, List.of(), 100).decide(new ListQueue(), T0));
  }

  @Test
  void delayIsCountedFromTheOldestMember() {
    ListQueue queue = new ListQueue().add(1, T0 + micros(300)).add(1, T0).add(1, T0 + micros(400));
    TritonBatchPolicy policy = new TritonBatchPolicy(8, List.of(), 500);
    assertEquals(micros(100), policy.decide(queue, T0 + micros(400)).waitNanos());
    assertEquals(3, policy.decide(queue, T0 + micros(500)).count());
  }

  @Test
  void requestsOfAnotherShapeAreNotMixed() {
    ListQueue queue = new ListQueue()
        .add(1, "width 2", T0, InferenceRequest.NO_DEADLINE)
        .add(1, "width 2", T0, InferenceRequest.NO_DEADLINE)
        .add(1, "width 3", T0, InferenceRequest.NO_DEADLINE)
        .add(1, "width 2", T0, InferenceRequest.NO_DEADLINE);
    BatchDecision decision = new TritonBatchPolicy(8, List.of(), 1000).decide(queue, T0);
    assertEquals(2, decision.count(), "the batch closes at the first request of another shape, and goes");
  }

  @Test
  void drainingSendsWithoutWaiting() {
    ListQueue queue = new ListQueue().add(1, T0);
    TritonBatchPolicy policy = new TritonBatchPolicy(8, List.of(4), 1000);
    assertEquals(0, policy.decide(queue, T0).count());
    queue.draining = true;
    assertEquals(1, policy.decide(queue, T0).count());
  }

  @Test
  void preferredSizesMustFitTheMaximum() {
    assertThrows(IllegalArgumentException.class, () -> new TritonBatchPolicy(8, List.of(16), 0));
    assertThrows(IllegalArgumentException.class, () -> new TritonBatchPolicy(0, List.of(), 0));
  }
}
