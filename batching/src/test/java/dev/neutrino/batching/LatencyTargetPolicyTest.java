package dev.neutrino.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The latency-target policy choosing batch sizes from learned costs, with a fake clock. */
class LatencyTargetPolicyTest {
  private static final long T0 = FakeTicker.START;
  private static final long NONE = InferenceRequest.NO_DEADLINE;
  private static final int MAX = 32;
  /** Arrivals every 10 us. */
  private static final double BUSY = 100_000;
  /** An arrival every 100 ms. */
  private static final double QUIET = 10;

  private static final CostCurve PAYS = CostCurve.of(MAX, CostModelTest.PAYS::applyAsLong);
  private static final CostCurve PROPORTIONAL = CostCurve.of(MAX, CostModelTest.PROPORTIONAL::applyAsLong);
  private static final CostCurve SUPERLINEAR = CostCurve.of(MAX, CostModelTest.SUPERLINEAR::applyAsLong);

  /** Proportional up to 4 rows, then nearly free: batching pays, but small batches do not. */
  private static final CostCurve SMALL_BATCHES_PROPORTIONAL =
      CostCurve.of(MAX, rows -> rows <= 4 ? micros(100) * rows : micros(400) + micros(10) * (rows - 4));

  private final LatencyTargetPolicy policy = new LatencyTargetPolicy(MAX, 0, new TritonBatchPolicy(MAX, List.of(), 0));

  private static long micros(long micros) {
    return TimeUnit.MICROSECONDS.toNanos(micros);
  }

  private static ListQueue queue(CostCurve costs, double rate) {
    ListQueue queue = new ListQueue();
    queue.costs = costs;
    queue.arrivalRowsPerSecond = rate;
    return queue;
  }

  @Test
  void takesTheLargestEfficientBatchAtOnceWhenBatchingPays() {
    ListQueue queue = queue(PAYS, BUSY).addSingles(40, T0, NONE);
    assertEquals(MAX, PAYS.batchCap());
    assertEquals(MAX, policy.decide(queue, T0).count());
  }

  @Test
  void waitsForMoreRowsWhenBatchingPaysAndTheyAreComing() {
    ListQueue queue = queue(PAYS, BUSY).addSingles(3, T0, T0 + micros(10_000));
    BatchDecision decision = policy.decide(queue, T0);
    assertEquals(0, decision.count());
    assertTrue(decision.waitNanos() <= PAYS.predict(3), "never holds requests longer than running them takes");
  }

  @Test
  void theWaitIsBoundedFromTheOldestArrival() {
    ListQueue queue = queue(PAYS, BUSY).addSingles(3, T0, NONE);
    long later = T0 + PAYS.predict(3);
    assertEquals(3, policy.decide(queue, later).count(), "waited as long as a run of them would take");
  }

  @Test
  void dispatchesAtOnceWhenNoMoreRowsAreExpectedInTime() {
    ListQueue queue = queue(PAYS, QUIET).addSingles(3, T0, NONE);
    assertEquals(3, policy.decide(queue, T0).count());
  }

  @Test
  void takesTheLargestBatchThatMeetsTheTightestDeadline() {
    long deadline = T0 + PAYS.predict(10) + 1;
    ListQueue queue = queue(PAYS, BUSY).addSingles(20, T0, deadline);
    assertEquals(10, policy.decide(queue, T0).count());
  }

  @Test
  void aLaterMemberWithATightDeadlineClosesTheBatchBeforeIt() {
    ListQueue queue = queue(PAYS, BUSY).addSingles(6, T0, T0 + micros(100_000));
    queue.add(1, ListQueue.SAME_SHAPE, T0, T0 + PAYS.predict(5) + 1);
    queue.addSingles(6, T0, T0 + micros(100_000));
    assertEquals(6, policy.decide(queue, T0).count(), "adding it would make the batch late for it");
  }

  @Test
  void aRequestAlreadyLostDoesNotShrinkTheBatch() {
    ListQueue queue = queue(PAYS, BUSY);
    queue.add(1, ListQueue.SAME_SHAPE, T0 - micros(5000), T0 + micros(10)); // cannot finish in time even alone
    queue.addSingles(39, T0, T0 + micros(100_000));
    assertEquals(MAX, policy.decide(queue, T0).count());
  }

  @Test
  void waitingLeavesTimeForTheGrownBatch() {
    long deadline = T0 + PAYS.predict(4) + micros(5);
    ListQueue queue = queue(PAYS, BUSY).addSingles(3, T0, deadline);
    assertEquals(3, policy.decide(queue, T0).count(), "no time to wait for a fourth row");
  }

  static Stream<Arguments> curvesWhereBatchingDoesNotPay() {
    return Stream.of(Arguments.of("proportional", PROPORTIONAL), Arguments.of("superlinear", SUPERLINEAR));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("curvesWhereBatchingDoesNotPay")
  void dispatchesSingleRequestsAtOnceWhereBatchingDoesNotPay(String name, CostCurve costs) {
    ListQueue queue = queue(costs, BUSY).addSingles(10, T0, NONE);
    assertEquals(1, policy.decide(queue, T0).count(), name);
    ListQueue one = queue(costs, BUSY).addSingles(1, T0, NONE);
    assertEquals(1, policy.decide(one, T0).count(), name + ": no waiting");
  }

  @Test
  void exploringIgnoresTheCap() {
    ListQueue queue = queue(PROPORTIONAL, BUSY).addSingles(10, T0, NONE);
    queue.exploring = true;
    assertEquals(10, policy.decide(queue, T0).count());
  }

  @Test
  void neverMixesShapesOrPassesTheMaximum() {
    ListQueue queue = queue(PAYS, BUSY)
        .add(20, "a", T0, NONE).add(10, "a", T0, NONE).add(1, "b", T0, NONE);
    assertEquals(2, policy.decide(queue, T0).count(), "20 + 10 rows go; the request of another shape does not mix");
    ListQueue big = queue(PAYS, BUSY).add(20, "a", T0, NONE).add(20, "a", T0, NONE);
    assertEquals(1, policy.decide(big, T0).count());
  }

  @Test
  void coldStartFollowsTritonsRule() {
    ListQueue queue = queue(CostCurve.EMPTY, BUSY).addSingles(5, T0, NONE);
    LatencyTargetPolicy withDelay = new LatencyTargetPolicy(MAX, 100, new TritonBatchPolicy(MAX, List.of(4), 100));
    assertEquals(4, withDelay.decide(queue, T0).count(), "preferred size 4");
    assertEquals(5, policy.decide(queue, T0).count(), "no delay: what is queued");
  }

  private static LatencyTargetPolicy.Backlog busy(int rowsAhead, int instances, long untilInstanceFreeNanos) {
    return new LatencyTargetPolicy.Backlog(rowsAhead, instances, 0, untilInstanceFreeNanos);
  }

  @Test
  void admissionPredictsTheBacklogInBatchesOfTheCap() {
    long run = PAYS.predict(MAX);
    assertEquals(PAYS.predict(5), LatencyTargetPolicy.predictedLatencyNanos(PAYS, busy(4, 1, 0), 1));
    assertEquals(micros(300) + PAYS.predict(5),
        LatencyTargetPolicy.predictedLatencyNanos(PAYS, busy(4, 1, micros(300)), 1));
    assertEquals(2 * run + PAYS.predict(7), LatencyTargetPolicy.predictedLatencyNanos(PAYS, busy(70, 1, 0), 1),
        "71 rows: two full batches, then its own batch of 7");
    assertEquals(run + PAYS.predict(7), LatencyTargetPolicy.predictedLatencyNanos(PAYS, busy(70, 2, 0), 1),
        "two instances");
    assertEquals(5 * PROPORTIONAL.predict(1),
        LatencyTargetPolicy.predictedLatencyNanos(PROPORTIONAL, busy(4, 1, 0), 1),
        "one row at a time where batching does not pay");
  }

  @Test
  void admitsADeepQueueWhenBatchesOfTheMaximumMeetTheDeadline() {
    // 64 rows ahead of it where batching pays: two full batches, then its own batch of one.
    long finish = 2 * PAYS.predict(MAX) + PAYS.predict(1);
    assertEquals(MAX, PAYS.batchCap());
    assertTrue(LatencyTargetPolicy.admits(PAYS, busy(2 * MAX, 1, 0), 1, finish), "just in time");
    assertFalse(LatencyTargetPolicy.admits(PAYS, busy(2 * MAX, 1, 0), 1, finish - 1), "just too late");
    assertTrue(finish < 3 * PAYS.predict(MAX), "a third full batch is not what it waits for");
  }

  @Test
  void refusesWhatTheBacklogMakesLate() {
    long deadline = micros(100_000);
    int fits = (int) (deadline / PROPORTIONAL.predict(1));
    assertTrue(LatencyTargetPolicy.admits(PROPORTIONAL, busy(fits - 1, 1, 0), 1, deadline));
    assertFalse(LatencyTargetPolicy.admits(PROPORTIONAL, busy(fits, 1, 0), 1, deadline));
  }

  @Test
  void anIdleInstanceWithNothingAheadAlwaysAdmits() {
    // Learned under contention: one row predicted at 10 s, far past a 100 ms deadline.
    CostCurve inflated = CostCurve.of(MAX, rows -> 10_000_000_000L * rows);
    long deadline = micros(100_000);
    var idle = new LatencyTargetPolicy.Backlog(0, 1, 1, 0);
    assertTrue(LatencyTargetPolicy.predictedLatencyNanos(inflated, idle, 1) > deadline);
    assertTrue(LatencyTargetPolicy.admits(inflated, idle, 1, deadline), "a probe: it starts at once");
    assertFalse(LatencyTargetPolicy.admits(inflated, busy(0, 1, 0), 1, deadline), "the instance is busy");
    assertFalse(LatencyTargetPolicy.admits(inflated, new LatencyTargetPolicy.Backlog(1, 1, 1, 0), 1, deadline),
        "a request is queued ahead of it");
  }

  @Test
  void admitsEverythingBeforeTheCurveIsEstablished() {
    assertTrue(LatencyTargetPolicy.admits(CostCurve.EMPTY, busy(1000, 1, micros(1_000_000)), 1, micros(10)));
  }

  @Test
  void decisionsDependOnlyOnTheirArguments() {
    ListQueue queue = queue(PAYS, BUSY).addSingles(3, T0, T0 + micros(10_000));
    assertEquals(policy.decide(queue, T0), policy.decide(queue, T0));
  }

  @Test
  void spreadsRowsOverFreeInstancesWhereOneBatchWouldCostMore() {
    assertTrue(SMALL_BATCHES_PROPORTIONAL.batchingPays());
    ListQueue queue = queue(SMALL_BATCHES_PROPORTIONAL, QUIET).addSingles(4, T0, NONE);
    assertEquals(4, policy.decide(queue, T0).count(), "one free instance: one batch");

    queue.idleInstances = 2;
    assertEquals(2, policy.decide(queue, T0).count(), "two free instances: half each");
  }

  @Test
  void keepsOneBatchWhereJoiningIsNearlyFree() {
    ListQueue queue = queue(PAYS, QUIET).addSingles(4, T0, NONE);
    queue.idleInstances = 2;
    assertEquals(4, policy.decide(queue, T0).count());
  }

  @Test
  void doesNotWaitForARowThatWouldCostMoreThanRunningItOnAnotherFreeInstance() {
    ListQueue queue = queue(SMALL_BATCHES_PROPORTIONAL, BUSY).addSingles(1, T0, T0 + micros(10_000));
    assertEquals(0, policy.decide(queue, T0).count(), "one free instance: worth waiting for company");

    queue.idleInstances = 2;
    assertEquals(1, policy.decide(queue, T0).count(), "another instance is free for the next row");
  }

  @Test
  void stillWaitsForCompanyWhereJoiningIsNearlyFreeWithInstancesFree() {
    ListQueue queue = queue(PAYS, BUSY).addSingles(1, T0, T0 + micros(10_000));
    queue.idleInstances = 2;
    assertEquals(0, policy.decide(queue, T0).count());
  }

  @Test
  void spreadsRequestsOfSeveralRowsByTheirRows() {
    ListQueue queue = queue(SMALL_BATCHES_PROPORTIONAL, QUIET).add(1, T0).add(1, T0).add(2, T0);
    queue.idleInstances = 2;
    assertEquals(2, policy.decide(queue, T0).count(), "the first two rows are the first two requests");
  }
}
