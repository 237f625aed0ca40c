package dev.neutrino.batching;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What one scheduler has done since it started: an immutable snapshot, for a metrics exporter to read.
 * Counters only grow; {@link #queueDepth} and {@link #inFlight} are gauges. Counters are read one by
 * one without stopping traffic, so a snapshot taken under load may be off by the requests in motion.
 *
 * @param queued requests accepted into the queue
 * @param dispatched requests handed to a model instance in a batch
 * @param batches batches the instances ran
 * @param rows rows in those batches
 * @param rejected requests refused at once, by reason (every reason present, zero or not)
 * @param expired requests whose timeout or deadline passed while queued; they never ran
 * @param cancelled requests withdrawn by their caller before they ran; they never ran
 * @param succeeded requests completed with outputs
 * @param failed requests failed by their batch (the runtime threw) or by a close
 * @param batchSizes how many batches ran with each number of rows
 * @param queueDepth requests waiting now
 * @param inFlight requests accepted and not yet completed now (waiting plus running)
 * @param oldestQueuedAgeNanos how long the oldest request waiting now has waited; 0 when none waits
 * @param batchTimes for each number of rows, the batches run with it and where their time went (the
 *     counts equal {@code batchSizes})
 */
public record SchedulerStats(
    long queued,
    long dispatched,
    long batches,
    long rows,
    Map<RejectReason, Long> rejected,
    long expired,
    long cancelled,
    long succeeded,
    long failed,
    SortedMap<Integer, Long> batchSizes,
    int queueDepth,
    int inFlight,
    long oldestQueuedAgeNanos,
    SortedMap<Integer, BatchTimes> batchTimes) {

  /** Stats without the queue's age or batch timings (schedulers that do not measure them). */
  public SchedulerStats(long queued, long dispatched, long batches, long rows, Map<RejectReason, Long> rejected,
      long expired, long cancelled, long succeeded, long failed, SortedMap<Integer, Long> batchSizes,
      int queueDepth, int inFlight) {
    this(queued, dispatched, batches, rows, rejected, expired, cancelled, succeeded, failed, batchSizes, queueDepth,
        inFlight, 0, new TreeMap<>());
  }

  /** A scheduler that has done nothing. */
  public static final SchedulerStats EMPTY = new SchedulerStats(0, 0, 0, 0, Map.of(), 0, 0, 0, 0, new TreeMap<>(), 0, 0);

  public SchedulerStats {
    EnumMap<RejectReason, Long> reasons = new EnumMap<>(RejectReason.class);
    for (RejectReason reason : RejectReason.values()) {
      reasons.put(reason, rejected.getOrDefault(reason, 0L));
    }
    rejected = Collections.unmodifiableMap(reasons);
    batchSizes = Collections.unmodifiableSortedMap(new TreeMap<>(batchSizes));
    batchTimes = Collections.unmodifiableSortedMap(new TreeMap<>(batchTimes));
  }

  /** Rows per batch on average; 0 before the first batch. */
  public double averageBatchSize() {
    return batches == 0 ? 0 : (double) rows / batches;
  }

  public long rejected(RejectReason reason) {
    return rejected.get(reason);
  }

  /**
   * This and {@code other} together, as if one scheduler had done the work of both (a model version
   * whose scheduler was replaced by a reload): counters and gauges add up, the oldest age is the
   * larger.
   */
  public SchedulerStats plus(SchedulerStats other) {
    EnumMap<RejectReason, Long> reasons = new EnumMap<>(RejectReason.class);
    for (RejectReason reason : RejectReason.values()) {
      reasons.put(reason, rejected(reason) + other.rejected(reason));
    }
    TreeMap<Integer, Long> sizes = new TreeMap<>(batchSizes);
    other.batchSizes.forEach((size, count) -> sizes.merge(size, count, Long::sum));
    TreeMap<Integer, BatchTimes> times = new TreeMap<>(batchTimes);
    other.batchTimes.forEach((size, t) -> times.merge(size, t, BatchTimes::plus));
    return new SchedulerStats(queued + other.queued, dispatched + other.dispatched, batches + other.batches,
        rows + other.rows, reasons, expired + other.expired, cancelled + other.cancelled,
        succeeded + other.succeeded, failed + other.failed, sizes, queueDepth + other.queueDepth,
        inFlight + other.inFlight, Math.max(oldestQueuedAgeNanos, other.oldestQueuedAgeNanos), times);
  }
}
