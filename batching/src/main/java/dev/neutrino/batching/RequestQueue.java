package dev.neutrino.batching;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The batcher's waiting requests: one queue per priority level, each with Triton's queue policy, and
 * the view a {@link BatchPolicy} reads. Within a level, requests wait in arrival order; those that
 * timed out under DELAY wait behind them, in the order they timed out.
 *
 * <p>Timeouts and deadlines are kept in a heap by the next time something happens to a request; a
 * request that leaves the queue stays in the heap until its time comes or the heap is compacted
 * (when it holds more than twice the queue), so leaving stays O(1).
 *
 * <p>Not thread-safe: the batcher guards it with its lock. Time comes in as arguments.
 */
final class RequestQueue implements QueueView {
  private static final Comparator<QueuedRequest> BY_TIMER = Comparator.comparingLong(r -> r.timerNanos);

  private final Level[] levels;
  private final PriorityQueue<QueuedRequest> timers = new PriorityQueue<>(BY_TIMER);
  private int size;
  private boolean draining;
  private double arrivalRowsPerSecond;
  private CostCurve costs = CostCurve.EMPTY;
  private boolean exploring;
  private int idleInstances = 1;

  private static final class Level {
    final QueuePolicy policy;
    final ArrayQueue<QueuedRequest> waiting = new ArrayQueue<>();
    final ArrayQueue<QueuedRequest> delayed = new ArrayQueue<>();
    int rows;

    Level(QueuePolicy policy) {
      this.policy = policy;
    }

    int size() {
      return waiting.size() + delayed.size();
    }
  }

  /** @param policies the queue policy of each level, level 1 first */
  RequestQueue(List<QueuePolicy> policies) {
    if (policies.isEmpty()) {
      throw new IllegalArgumentException("at least one priority level is needed");
    }
    levels = new Level[policies.size()];
    for (int i = 0; i < levels.length; i++) {
      levels[i] = new Level(policies.get(i));
    }
  }

  static RequestQueue of(DynamicBatching batching) {
    List<QueuePolicy> policies = new ArrayList<>();
    for (int level = 1; level <= batching.levels(); level++) {
      policies.add(batching.queuePolicy(level));
    }
    return new RequestQueue(policies);
  }

  int levelCount() {
    return levels.length;
  }

  QueuePolicy policy(int level) {
    return levels[level - 1].policy;
  }

  /** Whether {@code level} holds {@code max_queue_size} requests already. */
  boolean isFull(int level) {
    Level l = levels[level - 1];
    return l.policy.maxQueueSize() > 0 && l.size() >= l.policy.maxQueueSize();
  }

  /** Appends a request to its level. The caller has checked {@link #isFull}. */
  void add(QueuedRequest request) {
    Level level = levels[request.level - 1];
    request.state = QueuedRequest.State.WAITING;
    level.waiting.addLast(request);
    level.rows += request.rows;
    size++;
    schedule(request);
  }

  /** Rows waiting at {@code level} and every level of higher priority. */
  int rowsAtOrAbove(int level) {
    int rows = 0;
    for (int i = 0; i < level; i++) {
      rows += levels[i].rows;
    }
    return rows;
  }

  /**
   * Applies the timeouts and deadlines due at {@code now}: requests past their own deadline, or past
   * a REJECT timeout, leave the queue and are added to {@code expired} (the caller fails them);
   * requests past a DELAY timeout move behind the others of their level.
   */
  void expire(long nowNanos, List<QueuedRequest> expired) {
    int before = expired.size();
    boolean changed = false;
    while (!timers.isEmpty() && timers.peek().timerNanos <= nowNanos) {
      QueuedRequest request = timers.poll();
      if (!request.isQueued() || request.nextEventNanos() != request.timerNanos) {
        continue; // left the queue, or moved and rescheduled, since
      }
      if (request.hardDeadlineNanos <= nowNanos || !request.delayOnTimeout) {
        request.state = QueuedRequest.State.EXPIRED;
        expired.add(request);
      } else {
        request.state = QueuedRequest.State.MOVING;
      }
      changed = true;
    }
    if (!changed) {
      return;
    }
    for (Level level : levels) {
      List<QueuedRequest> moving = new ArrayList<>(0);
      level.waiting.removeIf(r -> {
        if (r.state == QueuedRequest.State.MOVING) {
          moving.add(r);
          return true;
        }
        return r.state == QueuedRequest.State.EXPIRED;
      });
      level.delayed.removeIf(r -> r.state == QueuedRequest.State.EXPIRED);
      for (QueuedRequest r : moving) {
        r.state = QueuedRequest.State.DELAYED;
        level.delayed.addLast(r);
        schedule(r);
      }
    }
    for (QueuedRequest r : expired.subList(before, expired.size())) {
      levels[r.level - 1].rows -= r.rows;
      size--;
    }
  }

  /** Removes the requests whose stage is already complete (cancelled by their caller) into {@code out}. */
  void removeWithdrawn(List<QueuedRequest> out) {
    for (Level level : levels) {
      for (ArrayQueue<QueuedRequest> queue : List.of(level.waiting, level.delayed)) {
        queue.removeIf(r -> {
          if (r.future.isDone()) {
            r.state = QueuedRequest.State.WITHDRAWN;
            level.rows -= r.rows;
            size--;
            out.add(r);
            return true;
          }
          return false;
        });
      }
    }
  }

  /** Removes the first {@code count} requests in dispatch order, marking them dispatched. */
  List<QueuedRequest> take(int count) {
    if (count > size) {
      throw new IllegalArgumentException("cannot take " + count + " of " + size + " requests");
    }
    List<QueuedRequest> batch = new ArrayList<>(count);
    for (Level level : levels) {
      while (batch.size() < count && !level.waiting.isEmpty()) {
        batch.add(taken(level, level.waiting.pollFirst()));
      }
      while (batch.size() < count && !level.delayed.isEmpty()) {
        batch.add(taken(level, level.delayed.pollFirst()));
      }
    }
    compactTimers();
    return batch;
  }

  private QueuedRequest taken(Level level, QueuedRequest request) {
    request.state = QueuedRequest.State.DISPATCHED;
    level.rows -= request.rows;
    size--;
    return request;
  }

  /** Removes everything, in dispatch order (for a close). */
  List<QueuedRequest> removeAll() {
    List<QueuedRequest> all = take(size);
    timers.clear();
    return all;
  }

  /**
   * When the longest-waiting request was queued, on the ticker's scale; {@link InferenceRequest#NO_DEADLINE}
   * when the queue is empty. Looks at the head of each level's queues only, so it is exact while a
   * level's delayed requests time out in the order they came (the same timeout for all of them).
   */
  long oldestEnqueuedNanos() {
    long oldest = InferenceRequest.NO_DEADLINE;
    for (Level level : levels) {
      if (!level.waiting.isEmpty()) {
        oldest = Math.min(oldest, level.waiting.get(0).enqueuedNanos);
      }
      if (!level.delayed.isEmpty()) {
        oldest = Math.min(oldest, level.delayed.get(0).enqueuedNanos);
      }
    }
    return oldest;
  }

  /** When the next timeout or deadline falls; {@link InferenceRequest#NO_DEADLINE} if none. */
  long nextTimerNanos() {
    while (!timers.isEmpty()) {
      QueuedRequest next = timers.peek();
      if (next.isQueued() && next.nextEventNanos() == next.timerNanos) {
        return next.timerNanos;
      }
      timers.poll();
    }
    return InferenceRequest.NO_DEADLINE;
  }

  void setDraining(boolean draining) {
    this.draining = draining;
  }

  /** What the policy sees besides the requests; set by the batcher before each decision. */
  void setLearned(double arrivalRowsPerSecond, CostCurve costs, boolean exploring, int idleInstances) {
    this.arrivalRowsPerSecond = arrivalRowsPerSecond;
    this.costs = costs;
    this.exploring = exploring;
    this.idleInstances = idleInstances;
  }

  private void schedule(QueuedRequest request) {
    long next = request.nextEventNanos();
    if (next != InferenceRequest.NO_DEADLINE) {
      request.timerNanos = next;
      timers.add(request);
    }
  }

  private void compactTimers() {
    if (timers.size() > 2 * size + 64) {
      timers.removeIf(r -> !r.isQueued() || r.nextEventNanos() != r.timerNanos);
    }
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public QueueView.Item get(int index) {
    int i = index;
    for (Level level : levels) {
      int waiting = level.waiting.size();
      if (i < waiting) {
        return level.waiting.get(i);
      }
      i -= waiting;
      int delayed = level.delayed.size();
      if (i < delayed) {
        return level.delayed.get(i);
      }
      i -= delayed;
    }
    throw new IndexOutOfBoundsException("index " + index + ", size " + size);
  }

  @Override
  public boolean draining() {
    return draining;
  }

  @Override
  public double arrivalRowsPerSecond() {
    return arrivalRowsPerSecond;
  }

  @Override
  public CostCurve costs() {
    return costs;
  }

  @Override
  public boolean exploring() {
    return exploring;
  }

  @Override
  public int idleInstances() {
    return idleInstances;
  }
}
