package dev.neutrino.batching;

import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** The batcher's counters: written from any thread without locks, read as a {@link SchedulerStats}. */
final class Counters {
  final LongAdder queued = new LongAdder();
  final LongAdder dispatched = new LongAdder();
  final LongAdder batches = new LongAdder();
  final LongAdder rows = new LongAdder();
  final LongAdder expired = new LongAdder();
  final LongAdder cancelled = new LongAdder();
  final LongAdder succeeded = new LongAdder();
  final LongAdder failed = new LongAdder();
  private final Map<RejectReason, LongAdder> rejected = new EnumMap<>(RejectReason.class);
  private final ConcurrentHashMap<Integer, LongAdder> batchSizes = new ConcurrentHashMap<>();

  Counters() {
    for (RejectReason reason : RejectReason.values()) {
      rejected.put(reason, new LongAdder());
    }
  }

  void rejected(RejectReason reason) {
    rejected.get(reason).increment();
  }

  void batch(int batchRows) {
    batches.increment();
    rows.add(batchRows);
    LongAdder count = batchSizes.get(batchRows);
    if (count == null) {
      count = batchSizes.computeIfAbsent(batchRows, ignored -> new LongAdder());
    }
    count.increment();
  }

  SchedulerStats snapshot(int queueDepth, int inFlight) {
    Map<RejectReason, Long> reasons = new EnumMap<>(RejectReason.class);
    rejected.forEach((reason, count) -> reasons.put(reason, count.sum()));
    TreeMap<Integer, Long> sizes = new TreeMap<>();
    batchSizes.forEach((size, count) -> sizes.put(size, count.sum()));
    return new SchedulerStats(queued.sum(), dispatched.sum(), batches.sum(), rows.sum(), reasons, expired.sum(),
        cancelled.sum(), succeeded.sum(), failed.sum(), sizes, queueDepth, inFlight);
  }
}
