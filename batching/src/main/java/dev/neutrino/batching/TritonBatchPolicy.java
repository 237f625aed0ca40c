package dev.neutrino.batching;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Triton's dynamic batching rule, as a pure function.
 *
 * <p>Walk the queue in dispatch order, adding requests to the forming batch until the next one would
 * take it past {@code max_batch_size} rows or has another shape. Then:
 * <ol>
 *   <li>if some prefix of the batch has exactly a preferred size (or the batch cannot grow past the
 *       largest preferred size), and the oldest member has not waited {@code max_queue_delay}, send
 *       that prefix: the largest preferred size that can be formed;
 *   <li>if the batch is full (the next request does not fit, or it reached the largest preferred size,
 *       or {@code max_batch_size} when no sizes are preferred), send it;
 *   <li>if the oldest member has waited {@code max_queue_delay}, or the delay is 0, or the batcher is
 *       draining, send what there is;
 *   <li>otherwise wait for the rest of the oldest member's delay.
 * </ol>
 * With no preferred sizes and no delay this sends whatever is queued whenever an instance is free:
 * batches form by themselves while every instance is busy.
 */
final class TritonBatchPolicy implements BatchPolicy {
  private final int maxBatchSize;
  private final boolean[] preferred;
  private final int maxPreferred;
  private final long maxQueueDelayNanos;

  /**
   * @param maxBatchSize the model's {@code max_batch_size}, at least 1
   * @param preferredBatchSizes sizes in 1..maxBatchSize
   */
  TritonBatchPolicy(int maxBatchSize, List<Integer> preferredBatchSizes, long maxQueueDelayMicros) {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("max_batch_size must be >= 1, got " + maxBatchSize);
    }
    this.maxBatchSize = maxBatchSize;
    this.preferred = new boolean[maxBatchSize + 1];
    int largest = 0;
    for (int size : preferredBatchSizes) {
      if (size < 1 || size > maxBatchSize) {
        throw new IllegalArgumentException("preferred_batch_size " + size + " is not in [1, " + maxBatchSize + "]");
      }
      preferred[size] = true;
      largest = Math.max(largest, size);
    }
    this.maxPreferred = largest == 0 ? maxBatchSize : largest;
    this.maxQueueDelayNanos = TimeUnit.MICROSECONDS.toNanos(maxQueueDelayMicros);
  }

  static TritonBatchPolicy of(int maxBatchSize, DynamicBatching batching) {
    return new TritonBatchPolicy(maxBatchSize, batching.preferredBatchSizes(), batching.maxQueueDelayMicros());
  }

  @Override
  public BatchDecision decide(QueueView queue, long nowNanos) {
    int size = queue.size();
    if (size == 0) {
      return BatchDecision.IDLE;
    }
    QueueView.Item head = queue.get(0);
    int rows = 0;
    int count = 0;
    int bestPreferred = 0;
    boolean full = false;
    long oldest = Long.MAX_VALUE;
    for (int i = 0; i < size; i++) {
      QueueView.Item item = queue.get(i);
      int next = item.rows();
      if (count > 0) {
        if (rows + next > maxPreferred && bestPreferred == 0) {
          bestPreferred = count; // cannot grow past the largest preferred size: this is the batch
        }
        if (rows + next > maxBatchSize || !item.shapeKey().equals(head.shapeKey())) {
          full = true;
          break;
        }
      }
      rows += next;
      count++;
      oldest = Math.min(oldest, item.enqueuedNanos());
      if (rows <= maxBatchSize && preferred[rows]) {
        bestPreferred = count;
      }
      if (rows >= maxBatchSize) {
        full = true;
        break;
      }
    }
    long waited = nowNanos - oldest;
    boolean delayExceeded = maxQueueDelayNanos > 0 && waited >= maxQueueDelayNanos;
    if (bestPreferred > 0 && !delayExceeded) {
      return BatchDecision.dispatch(bestPreferred);
    }
    if (full || rows >= maxPreferred || delayExceeded || maxQueueDelayNanos == 0 || queue.draining()) {
      return BatchDecision.dispatch(count);
    }
    return BatchDecision.waitFor(maxQueueDelayNanos - waited);
  }
}
