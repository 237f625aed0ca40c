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
  private final ConcurrentHashMap<Integer, SizeCounters> batchSizes = new ConcurrentHashMap<>();

  /** The batches of one size: how many, and their time in each phase. */
  private static final class SizeCounters {
    final LongAdder count = new LongAdder();
    final LongAdder inputNanos = new LongAdder();
    final LongAdder inferNanos = new LongAdder();
    final LongAdder outputNanos = new LongAdder();

    BatchTimes snapshot() {
      return new BatchTimes(count.sum(), inputNanos.sum(), inferNanos.sum(), outputNanos.sum());
    }
  }

  Counters() {
    for (RejectReason reason : RejectReason.values()) {
      rejected.put(reason, new LongAdder());
    }
  }

  void rejected(RejectReason reason) {
    rejected.get(reason).increment();
  }

  /** One batch of {@code batchRows} rows ran, with its time in each phase. */
  void batch(int batchRows, long inputNanos, long inferNanos, long outputNanos) {
    batches.increment();
    rows.add(batchRows);
    SizeCounters size = batchSizes.get(batchRows);
    if (size == null) {
      size = batchSizes.computeIfAbsent(batchRows, ignored -> new SizeCounters());
    }
    size.inputNanos.add(inputNanos);
    size.inferNanos.add(inferNanos);
    size.outputNanos.add(outputNanos);
    size.count.increment();
  }

  SchedulerStats snapshot(int queueDepth, int inFlight, long oldestQueuedAgeNanos) {
    Map<RejectReason, Long> reasons = new EnumMap<>(RejectReason.class);
    rejected.forEach((reason, count) -> reasons.put(reason, count.sum()));
    TreeMap<Integer, Long> sizes = new TreeMap<>();
    TreeMap<Integer, BatchTimes> times = new TreeMap<>();
    batchSizes.forEach((size, counters) -> {
      BatchTimes t = counters.snapshot();
      sizes.put(size, t.count());
      times.put(size, t);
    });
    return new SchedulerStats(queued.sum(), dispatched.sum(), batches.sum(), rows.sum(), reasons, expired.sum(),
        cancelled.sum(), succeeded.sum(), failed.sum(), sizes, queueDepth, inFlight, oldestQueuedAgeNanos, times);
  }
}
