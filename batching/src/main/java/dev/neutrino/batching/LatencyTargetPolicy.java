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
 * <p><b>What is learned.</b> {@link CostModel} measures every batch an instance runs (assembly,
 * run, split) and keeps a curve {@code cost(b)} over batch sizes, weighted towards recent
 * measurements (evidence decays within seconds), so it follows the machine as contention comes and
 * goes. Two facts about it drive everything: whether batching <em>pays</em> (a large batch costs
 * much less per row than a single request, as for a dense MLP where 32 rows cost about two single
 * runs), and the <em>batch cap</em>, the size beyond which growing a batch stops paying. Where cost
 * grows in proportion to size, or faster (some convolutional models), the cap is 1 or close to it:
 * joining requests only makes the first wait for the others. Where batching pays, the cap is the
 * largest size that is still about as cheap per row as the best (see {@link CostCurve}).
 *
 * <p><b>Forming a batch</b> (when an instance is free). Walk the queue in dispatch order and take
 * the largest prefix that (a) stays within the cap and {@code max_batch_size} and has one shape, and
 * (b) is predicted to finish by the tightest deadline among its members: {@code now + cost(rows) <=
 * min(deadline)}. A member that would miss its deadline even alone is already lost; it does not
 * shrink the batch of the others. If the prefix stopped because of (a) or (b), dispatch it now: it
 * is as large as it may be.
 *
 * <p><b>Free instances.</b> With {@code f >= 2} instances free, rows need not share one batch: the
 * prefix's {@code rows} could run as {@code f} batches side by side, done after
 * {@code cost(ceil(rows / f))}. Where one batch would cost more than that by over
 * {@link #SPLIT_MARGIN} ({@code cost(rows) > (1 + SPLIT_MARGIN) cost(ceil(rows / f))}), only the first
 * {@code ceil(rows / f)} rows' requests go now, and the next decision (for the next free instance)
 * takes the rest. Likewise, with another instance free, the batch does not wait for one more row when
 * that row would make it cost more than it does by over the margin: the next arrival runs on the free
 * instance instead. Where batching does not pay at all (text_encoder's curve on a CPU: cost grows with
 * rows), this keeps batches at one request and the instances side by side; where joining is nearly
 * free (a dense MLP's small batches), nothing changes.
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
 * <p><b>Admission</b> ({@link #admits}). At submit, predict when the new request would finish
 * ({@link #predictedLatencyNanos}): the time until the first instance is free (from the predicted
 * ends of running batches; the rows running are counted there and nowhere else), plus the rows queued
 * at its priority level or higher and its own, run in the batches the policy above forms for that
 * backlog: full batches of the cap, spread over the instances, and then the batch holding the new
 * request, which costs only what its rows cost (a backlog of 33 rows under a cap of 32 is one batch of
 * 32 and one of 1, not two of 32). If that is past its deadline, refuse it at once as overloaded
 * ({@code latency_target}) with that predicted backlog as the retry hint: a request the gateway
 * cannot serve in time is refused at the door, not after it has waited.
 *
 * <p><b>Probing.</b> A request with nothing queued ahead of it that finds an instance idle is always
 * admitted, whatever the prediction: it starts at once, so it is the best the gateway can do for it,
 * and refusing it would teach the cost model nothing. Refused requests are never measured, so
 * without this a curve inflated by a moment of CPU contention would refuse everything, measure
 * nothing, and never recover; with it, the curve is measured again as soon as the queue runs dry,
 * and the cost model's decay ({@link CostModel}) lets it forget the spike.
 *
 * <p><b>Cold start and learning.</b> Until batches of two sizes have been measured the curve is not
 * established: batches follow Triton's rule ({@link TritonBatchPolicy}, with the configured preferred
 * sizes and delay) and nothing is refused by prediction. Batches form by themselves under load while
 * instances are busy, so larger sizes get measured; now and then the batcher asks for an exploratory
 * decision ({@link QueueView#exploring()}) that ignores the cap, so that sizes above it stay measured
 * as the machine and the load change. Exploring is paced (at most one decision in
 * {@link DynamicBatcher#EXPLORE_EVERY}, and at most a sixteenth of an instance's time), because on a
 * loaded machine a batch of the maximum can cost many single runs.
 *
 * <p>Pure: the clock, the queue and the learned curve all come in through {@link #decide}'s
 * arguments; the instance holds only configuration.
 */
final class LatencyTargetPolicy implements BatchPolicy {
  /**
   * How much longer one batch must take than the same rows spread over the free instances before
   * they are spread (see the design note).
   */
  static final double SPLIT_MARGIN = 0.25;

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
    int free = queue.idleInstances();
    if (free >= 2 && count >= 2) {
      int share = (rows + free - 1) / free;
      if (costs.predict(rows) > (1 + SPLIT_MARGIN) * costs.predict(share)) {
        int taken = 0;
        int first = 0;
        while (taken < share) {
          taken += queue.get(first++).rows();
        }
        return BatchDecision.dispatch(first);
      }
    }
    if (limited || queue.draining() || !costs.batchingPays()) {
      return BatchDecision.dispatch(count);
    }
    if (free >= 2 && costs.predict(rows + 1) > (1 + SPLIT_MARGIN) * costs.predict(rows)) {
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
   * What is ahead of a request arriving at the batcher: the input of the admission prediction.
   *
   * @param rowsAhead rows queued at the request's priority level or higher
   * @param instances model instances
   * @param idleInstances instances with nothing to run
   * @param untilInstanceFreeNanos time until the first instance is predicted free; 0 when one is idle
   */
  record Backlog(int rowsAhead, int instances, int idleInstances, long untilInstanceFreeNanos) {
    Backlog {
      if (rowsAhead < 0 || instances < 1 || idleInstances < 0 || idleInstances > instances) {
        throw new IllegalArgumentException("invalid backlog: " + rowsAhead + " rows ahead, " + idleInstances
            + " of " + instances + " instances idle");
      }
    }
  }

  /**
   * Whether to admit a request of {@code rows} behind {@code backlog} whose deadline is
   * {@code untilDeadlineNanos} from now: always before the curve is established and when it finds
   * nothing ahead and an instance idle (a probe), else when its predicted finish meets the deadline
   * (see the design note).
   */
  static boolean admits(CostCurve costs, Backlog backlog, int rows, long untilDeadlineNanos) {
    if (!costs.established() || (backlog.rowsAhead() == 0 && backlog.idleInstances() > 0)) {
      return true;
    }
    return predictedLatencyNanos(costs, backlog, rows) <= untilDeadlineNanos;
  }

  /**
   * How long from now a request of {@code rows} would take to finish behind {@code backlog}: the
   * admission prediction (see the design note). Rows are treated as fluid: the backlog and the request
   * fill batches of the cap in order, and the request finishes with the batch that holds its last row.
   */
  static long predictedLatencyNanos(CostCurve costs, Backlog backlog, int rows) {
    int cap = Math.max(1, costs.batchCap());
    long total = (long) backlog.rowsAhead() + rows;
    long wait = Math.max(0, backlog.untilInstanceFreeNanos());
    long batchesBefore = (total - 1) / cap;
    int lastBatch = (int) (total - batchesBefore * cap);
    long roundsBefore = batchesBefore / backlog.instances();
    return wait + roundsBefore * costs.predict(cap) + costs.predict(lastBatch);
  }
}
