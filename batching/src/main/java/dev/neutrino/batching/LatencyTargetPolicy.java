package dev.neutrino.batching;

import java.util.concurrent.TimeUnit;

/**
 * The latency-target mode: batches sized from what batches are learned to cost, so that requests
 * finish within the target where they can, and requests that cannot are refused at the door.
 *
 * <h2>Design note</h2>
 *
 * <p><b>Goal.</b> Each request should finish within {@code target_latency_microseconds} of its
 * arrival (or by its own deadline or REJECT timeout, when earlier): its <em>deadline</em>. Within
 * that, serve as much load as the instances can. Triton's knobs cannot say this: a fixed queue delay
 * and fixed preferred sizes are right for one load level and one model, and wrong for the next.
 *
 * <p><b>What is learned.</b> {@link CostModel} measures every batch an instance runs (assembly, run,
 * split) and keeps a curve {@code cost(b)} over batch sizes. Two facts about it drive everything:
 * whether batching <em>pays</em> (a large batch costs much less per row than a single request, as
 * for a dense MLP where 32 rows cost about two single runs), and the <em>batch cap</em>, the size
 * beyond which growing a batch stops paying. Where cost grows in proportion to size, or faster (some
 * convolutional models), the cap is 1 or close to it: joining requests only makes the first wait for
 * the others. Where batching pays, the cap is the largest size that is still about as cheap per row
 * as the best (see {@link CostCurve}).
 *
 * <p><b>Forming a batch</b> (when an instance is free). Walk the queue in dispatch order and take
 * the largest prefix that (a) stays within the cap and {@code max_batch_size} and has one shape, and
 * (b) is predicted to finish by the tightest deadline among its members: {@code now + cost(rows) <=
 * min(deadline)}. A member that would miss its deadline even alone is already lost; it does not
 * shrink the batch of the others. If the prefix stopped because of (a) or (b), dispatch it now: it
 * is as large as it may be.
 *
 * <p><b>Waiting.</b> Otherwise the whole queue fits and the batch could still grow. Wait only when
 * all of these hold: batching pays; more rows are expected soon (the mean gap between arrivals,
 * {@code 1 / rate}, is shorter than the wait allowed); and the wait leaves time for the grown batch,
 * {@code cost(rows + 1)}, to finish by the tightest deadline. The wait is also bounded, from the
 * oldest member's arrival, by {@code cost(rows)}: never hold requests longer than running them would
 * take (the ski-rental bound, which caps the latency this mode adds at low load to about one run), and
 * by {@code max_queue_delay_microseconds} when set. Every arrival re-runs the decision, so a batch
 * that reaches the cap, or whose next member would miss a deadline, goes at once. Where batching
 * does not pay, requests are dispatched at once, whatever their number, in batches of the cap.
 *
 * <p><b>Admission</b> ({@link #predictedLatencyNanos}). At submit, predict when the new request
 * would finish: the time until the first instance is free (from the predicted ends of running
 * batches), plus the rows queued at its priority level or higher, plus its own, run in batches of
 * the cap spread over the instances. If that is past its deadline, refuse it at once as overloaded
 * ({@code latency_target}) with that predicted backlog as the retry hint: a request the gateway
 * cannot serve in time is refused at the door, not after it has waited.
 *
 * <p><b>Cold start and learning.</b> Until batches of two sizes have been measured the curve is not
 * established: batches follow Triton's rule ({@link TritonBatchPolicy}, with the configured preferred
 * sizes and delay) and nothing is refused by prediction. Batches form by themselves under load while
 * instances are busy, so larger sizes get measured; now and then the batcher asks for an exploratory
 * decision ({@link QueueView#exploring()}) that ignores the cap, so that sizes above it stay measured
 * as the machine and the load change.
 *
 * <p>Pure: the clock, the queue and the learned curve all come in through {@link #decide}'s
 * arguments; the instance holds only configuration.
 */
final class LatencyTargetPolicy implements BatchPolicy {
  private final int maxBatchSize;
  private final long maxQueueDelayNanos;
  private final BatchPolicy coldStart;

  LatencyTargetPolicy(int maxBatchSize, long maxQueueDelayMicros, BatchPolicy coldStart) {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("max_batch_size must be >= 1, got " + maxBatchSize);
    }
    this.maxBatchSize = maxBatchSize;
    this.maxQueueDelayNanos = TimeUnit.MICROSECONDS.toNanos(maxQueueDelayMicros);
    this.coldStart = coldStart;
  }

  static LatencyTargetPolicy of(int maxBatchSize, DynamicBatching batching) {
    return new LatencyTargetPolicy(maxBatchSize, batching.maxQueueDelayMicros(),
        TritonBatchPolicy.of(maxBatchSize, batching));
  }

  @Override
  public BatchDecision decide(QueueView queue, long nowNanos) {
    int size = queue.size();
    if (size == 0) {
      return BatchDecision.IDLE;
    }
    CostCurve costs = queue.costs();
    if (!costs.established()) {
      return coldStart.decide(queue, nowNanos);
    }
    int cap = queue.exploring() ? maxBatchSize : Math.min(maxBatchSize, costs.batchCap());
    QueueView.Item head = queue.get(0);
    int rows = 0;
    int count = 0;
    long tightest = InferenceRequest.NO_DEADLINE;
    long oldest = Long.MAX_VALUE;
    boolean limited = false;
    for (int i = 0; i < size; i++) {
      QueueView.Item item = queue.get(i);
      int next = item.rows();
      long deadline = item.deadlineNanos();
      boolean lost = deadline != InferenceRequest.NO_DEADLINE && nowNanos + costs.predict(next) > deadline;
      long tighter = lost ? tightest : Math.min(tightest, deadline);
      if (count > 0) {
        boolean fits = rows + next <= cap && item.shapeKey().equals(head.shapeKey());
        boolean inTime = tighter == InferenceRequest.NO_DEADLINE || nowNanos + costs.predict(rows + next) <= tighter;
        if (!fits || !inTime) {
          limited = true;
          break;
        }
      }
      tightest = tighter;
      rows += next;
      count++;
      oldest = Math.min(oldest, item.enqueuedNanos());
      if (rows >= cap) {
        limited = true;
        break;
      }
    }
    if (limited || queue.draining() || !costs.batchingPays()) {
      return BatchDecision.dispatch(count);
    }
    long waited = nowNanos - oldest;
    long allowed = costs.predict(rows) - waited;
    if (maxQueueDelayNanos > 0) {
      allowed = Math.min(allowed, maxQueueDelayNanos - waited);
    }
    if (tightest != InferenceRequest.NO_DEADLINE) {
      allowed = Math.min(allowed, tightest - nowNanos - costs.predict(rows + 1));
    }
    double rate = queue.arrivalRowsPerSecond();
    if (allowed <= 0 || rate <= 0 || TimeUnit.SECONDS.toNanos(1) / rate > allowed) {
      return BatchDecision.dispatch(count);
    }
    return BatchDecision.waitFor(allowed);
  }

  /**
   * How long from now a request of {@code rows} would take to finish, queued behind
   * {@code rowsAhead} rows, on {@code instances} instances of which the first is free in
   * {@code untilInstanceFreeNanos}: the admission prediction (see the design note).
   */
  static long predictedLatencyNanos(
      CostCurve costs, int rowsAhead, int rows, int instances, long untilInstanceFreeNanos) {
    int cap = Math.max(1, costs.batchCap());
    long total = (long) rowsAhead + rows;
    long wait = Math.max(0, untilInstanceFreeNanos);
    if (total <= cap) {
      return wait + costs.predict((int) total);
    }
    long batches = (total + cap - 1) / cap;
    long rounds = (batches + instances - 1) / Math.max(1, instances);
    return wait + rounds * costs.predict(cap);
  }
}
