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
    int inFlight) {

  public SchedulerStats {
    EnumMap<RejectReason, Long> reasons = new EnumMap<>(RejectReason.class);
    for (RejectReason reason : RejectReason.values()) {
      reasons.put(reason, rejected.getOrDefault(reason, 0L));
    }
    rejected = Collections.unmodifiableMap(reasons);
    batchSizes = Collections.unmodifiableSortedMap(new TreeMap<>(batchSizes));
  }

  /** Rows per batch on average; 0 before the first batch. */
  public double averageBatchSize() {
    return batches == 0 ? 0 : (double) rows / batches;
  }

  public long rejected(RejectReason reason) {
    return rejected.get(reason);
  }
}
