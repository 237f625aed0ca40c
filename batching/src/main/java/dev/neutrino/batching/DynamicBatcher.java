package dev.neutrino.batching;

import dev.neutrino.runtime.ComputePriority;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The dynamic micro-batcher of one model version: turns many concurrent small requests into few
 * batches, runs them on the version's model instances, and refuses at once what it cannot serve.
 *
 * <h2>Design note</h2>
 *
 * <p><b>Threads.</b> One batcher thread runs the loop; each model instance owns one thread that runs
 * its batches. Callers of {@link #submit} never wait for either: they take the lock for a few
 * field updates and leave. When an instance is idle and nothing is due for the batcher thread (no
 * timeout, no withdrawal), {@code submit} asks the policy itself, under the same lock, and hands a
 * batch it dispatches straight to the instance: at low load a request then crosses one thread
 * boundary on its way to the model instead of two. Likewise an instance that finishes its batch
 * while requests wait asks the policy itself as it returns to the idle stack, and runs the batch it
 * dispatches next: under load, batches follow each other on an instance without a hand-off to the
 * batcher thread and back ({@code recommender_mlp} at 64 connections: 7 % more requests per
 * second). The decision is the loop's, so the paths cannot disagree. The batcher thread is woken only
 * when it has something to do that it would not wake for by itself: an instance idle while requests
 * wait (the policy waits, and the loop keeps its time), or a timer due before the time it sleeps to.
 * So under load, where every instance is busy, an arrival wakes no thread at all: the instance that
 * finishes next takes it (before, the batcher thread woke for every arrival only to find no instance
 * idle, and took a core from the instances to do it).
 *
 * <p><b>State and its guard.</b> One lock guards the queues ({@link RequestQueue}: a queue per
 * priority level, timeouts in a heap), the stack of idle instances, each instance's predicted end of
 * its running batch, and the arrival-rate estimate. {@code submit} checks the level's
 * {@code max_queue_size} and (in the latency-target mode) the predicted finish under it, so the check
 * and the enqueue are one step: exactly the excess is refused. The batcher thread waits on the lock's
 * one condition, signalled when a request arrives or is withdrawn, an instance becomes free, or the
 * batcher drains or closes; it also wakes by itself at the next timeout and when the policy asked to
 * wait. Counters are lock-free adders, read without the lock ({@link #stats()}).
 *
 * <p><b>The loop.</b> Under the lock: apply the timeouts that are due (REJECT fails the request,
 * DELAY moves it behind its level), drop withdrawn requests, and, when an instance is idle and the
 * queue is not empty, ask the {@link BatchPolicy} (a pure function of the queue and the clock) whether
 * to dispatch the first n requests now or to wait. A dispatch takes the requests off the queue and pops
 * an idle instance; the batch is handed over, and failed requests are completed, after the lock is
 * released, so no stage completes (and no caller's callback runs) under the lock.
 *
 * <p><b>Instances.</b> An instance thread joins its batch's inputs into one buffer per input (one
 * copy; none for a batch of one), runs the model, splits the outputs into per-request views,
 * reports the batch's cost to the {@link CostModel} (which only records it), returns to the idle
 * stack (or takes its next batch, above), and only then completes the members' stages and lets the
 * cost model fit its curve. So a request that arrives as soon as an answer leaves (a sequential
 * client's next one, even one submitted from the answer's own callback) finds the instance idle and
 * takes the one-hop path, and the fit costs no request its latency; a batch handed over meanwhile
 * waits in the instance's mailbox for those few steps. A model whose instances have a wide session
 * (the adaptive instance layout) may run a batch on it when the batch is alone and the wide session
 * is not measured slower ({@link AdaptiveLayout}, decided at dispatch under the lock); only batches
 * run on the narrow sessions teach the cost model, since they are what the instances cost under
 * load. A member whose {@link Submission} was cancelled before the batch ran (its stage completed by
 * its caller) is left out and never reaches the runtime. A runtime failure fails that batch's
 * requests only. With {@code preserve_ordering}, completions pass through a {@link CompletionOrder}
 * so they happen in dispatch order.
 *
 * <p><b>Ownership.</b> After {@code submit} accepts a request, the batcher owns it until its stage
 * completes: on an instance thread (outputs or a runtime failure), on the batcher thread (a timeout),
 * or on the thread that calls {@link #close()}. A refusal completes the stage before {@code submit}
 * returns, on the caller's thread. Output tensors belong to the caller; their buffers may be views of
 * one buffer shared with the other members of the batch, which nobody writes.
 *
 * <p>Time is read from the injected {@link Ticker}; waiting uses the lock's condition, in real time.
 */
public final class DynamicBatcher implements Scheduler {
  /** The retry hint of a refusal when nothing is known about how fast the queue drains. */
  public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);
  /**
   * In the latency-target mode, one decision in this many at most may batch past the learned cap, and
   * no more often than would give exploring batches more than 1 / {@value #EXPLORE_SHARE} of an
   * instance's time.
   */
  static final int EXPLORE_EVERY = 64;
  static final int EXPLORE_SHARE = 16;

  private static final System.Logger LOG = System.getLogger(DynamicBatcher.class.getName());
  private static final long MIN_RETRY_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final String modelLabel;
  private final ModelSignature signature;
  /** Rows a batch may hold; 0 in the unbatched mode, where each request runs alone. */
  private final int maxBatchSize;
  private final DynamicBatching batching;
  private final BatchPolicy policy;
  private final long targetLatencyNanos;
  private final Ticker ticker;
  private final RequestQueue queue;
  private final CostModel costModel;
  private final CompletionOrder order;
  /** What the adaptive layout learned; null when no instance has a wide session. */
  private final AdaptiveLayout layout;
  private final List<Worker> workers = new ArrayList<>();
  private final Thread loopThread;
  private final Counters counters = new Counters();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger queueDepth = new AtomicInteger();
  /** When the longest-waiting request was queued; NO_DEADLINE when none waits. Written under the lock. */
  private volatile long oldestEnqueuedNanos = InferenceRequest.NO_DEADLINE;
  private final CompletableFuture<Void> drained = new CompletableFuture<>();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  /** Instances with nothing to do, most recently freed on top. Guarded by {@link #lock}. */
  private final ArrayDeque<Worker> idle = new ArrayDeque<>();
  /** Guarded by {@link #lock}. */
  private final ArrivalRate arrivals = new ArrivalRate();
  /**
   * When the batcher thread, parked, wakes by itself: {@link Long#MAX_VALUE} while it waits for a signal
   * only, {@link Long#MIN_VALUE} while it runs. Guarded by {@link #lock}.
   */
  private long batcherWakeNanos = Long.MIN_VALUE;
  /** Times {@link #wakeBatcherIfNeeded} signalled the batcher thread. Guarded by {@link #lock}. */
  private long batcherSignals;
  /** Some waiting request's stage was completed by its caller. Guarded by {@link #lock}. */
  private boolean withdrawPending;
  /** Guarded by {@link #lock}. */
  private long nextSequence;
  /** Decisions since the last exploring one. Guarded by {@link #lock}. */
  private long decisions;
  /** No exploring decision before this time. Guarded by {@link #lock}. */
  private long nextExploreNanos = Long.MIN_VALUE;
  /** The instances' threads' nice value ({@link ComputePriority}). */
  private final int computeNice;
  private volatile boolean accepting = true;
  private volatile boolean stopped;

  private DynamicBatcher(String modelLabel, List<LoadedModel> instances, int maxBatchSize, boolean batched,
      DynamicBatching batching, BatchPolicy policy, Ticker ticker, int computeNice) {
    Objects.requireNonNull(modelLabel, "modelLabel");
    if (instances.isEmpty()) {
      throw new IllegalArgumentException("a scheduler needs at least one model instance");
    }
    this.modelLabel = modelLabel;
    this.signature = ModelSignature.of(instances.get(0), batched);
    this.maxBatchSize = maxBatchSize;
    this.batching = batching;
    this.policy = policy;
    this.targetLatencyNanos = TimeUnit.MICROSECONDS.toNanos(batching.targetLatencyMicros());
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.computeNice = ComputePriority.requireNice(computeNice, "computeNice");
    this.queue = RequestQueue.of(batching);
    this.costModel = new CostModel(Math.max(1, maxBatchSize));
    this.order = batching.preserveOrdering() ? new CompletionOrder() : null;
    this.layout = instances.stream().anyMatch(LoadedModel::hasWideSession) ? new AdaptiveLayout() : null;
    for (int i = 0; i < instances.size(); i++) {
      workers.add(new Worker(instances.get(i), "neutrino-instance-" + modelLabel + "-" + i));
    }
    idle.addAll(workers);
    this.loopThread = new Thread(this::loop, "neutrino-batcher-" + modelLabel);
    loopThread.setDaemon(true);
  }

  /**
   * Starts a batcher over {@code instances}, with the system clock. The batcher does not own the
   * instances: whoever loaded them closes them, after {@link #drain()} or {@link #close()}.
   *
   * @param modelLabel names threads and messages, for example {@code recommender_mlp-1}
   * @param maxBatchSize the model's {@code max_batch_size}; every input's first dimension is the batch
   * @throws IllegalArgumentException when the settings do not suit the model
   */
  public static DynamicBatcher create(
      String modelLabel, List<LoadedModel> instances, int maxBatchSize, DynamicBatching batching) {
    return create(modelLabel, instances, maxBatchSize, batching, Ticker.system());
  }

  /** As {@link #create(String, List, int, DynamicBatching)}, reading time from {@code ticker}. */
  public static DynamicBatcher create(
      String modelLabel, List<LoadedModel> instances, int maxBatchSize, DynamicBatching batching, Ticker ticker) {
    return create(modelLabel, instances, maxBatchSize, batching, ticker, ComputePriority.UNCHANGED);
  }

  /**
   * As {@link #create(String, List, int, DynamicBatching, Ticker)}, with the instances' threads at
   * {@code computeNice} ({@link ComputePriority}; 0 leaves them at the process's priority).
   */
  public static DynamicBatcher create(String modelLabel, List<LoadedModel> instances, int maxBatchSize,
      DynamicBatching batching, Ticker ticker, int computeNice) {
    batching.checkMaxBatchSize(maxBatchSize);
    BatchPolicy policy = batching.hasLatencyTarget()
        ? LatencyTargetPolicy.of(maxBatchSize, batching)
        : TritonBatchPolicy.of(maxBatchSize, batching);
    return new DynamicBatcher(modelLabel, List.copyOf(instances), maxBatchSize, true, batching, policy, ticker,
        computeNice).start();
  }

  /**
   * A batcher that runs each request alone, as it comes, with one queue under {@code queuePolicy}:
   * models without {@code dynamic_batching}.
   */
  static DynamicBatcher unbatched(String modelLabel, List<LoadedModel> instances, QueuePolicy queuePolicy,
      Ticker ticker, int computeNice) {
    List<LoadedModel> copy = List.copyOf(instances);
    boolean batched = !copy.isEmpty() && ModelSignature.batchable(copy.get(0));
    DynamicBatching oneQueue = DynamicBatching.defaults().withDefaultQueuePolicy(queuePolicy);
    return new DynamicBatcher(modelLabel, copy, 0, batched, oneQueue, UnbatchedPolicy.INSTANCE, ticker, computeNice)
        .start();
  }

  private DynamicBatcher start() {
    workers.forEach(worker -> worker.thread.start());
    loopThread.start();
    return this;
  }

  /**
   * Queues the request, or refuses it at once: {@code InvalidInput} when it has more rows than
   * {@code max_batch_size}, {@code Overloaded} ({@code queue_full}, or {@code latency_target} when the
   * latency-target mode predicts it cannot finish by its deadline), {@code NotReady} after
   * {@link #drain()} or {@link #close()}. Never blocks.
   */
  @Override
  public Submission submit(InferenceRequest request) {
    return submitAll(List.of(request)).get(0);
  }

  /**
   * Queues the requests as one arrival, each accepted or refused as {@link #submit} would: all are
   * queued before the one decision of the fast path, so requests that arrive together (one event-loop
   * pass of a gateway) can leave together as one batch, rather than the first alone on an idle instance.
   */
  @Override
  public List<Submission> submitAll(List<InferenceRequest> requests) {
    int count = requests.size();
    Submission[] submissions = new Submission[count];
    QueuedRequest[] entries = new QueuedRequest[count];
    long now = ticker.read();
    for (int i = 0; i < count; i++) {
      try {
        entries[i] = entry(requests.get(i), now);
      } catch (InferenceException.InvalidInput e) {
        submissions[i] = refuse(new CompletableFuture<>(), RejectReason.INVALID_INPUT, e);
      }
    }
    RejectReason[] reasons = new RejectReason[count];
    InferenceException[] refusals = new InferenceException[count];
    List<Batch> handed = new ArrayList<>(2);
    lock.lock();
    try {
      boolean queued = false;
      for (int i = 0; i < count; i++) {
        QueuedRequest entry = entries[i];
        if (entry == null) {
          continue;
        }
        if (!accepting) {
          reasons[i] = RejectReason.NOT_READY;
          refusals[i] = new InferenceException.NotReady("model " + modelLabel + " is unloading");
        } else if (queue.isFull(entry.level)) {
          reasons[i] = RejectReason.QUEUE_FULL;
          refusals[i] = new InferenceException.Overloaded("model " + modelLabel + " is overloaded: the queue of "
              + queue.policy(entry.level).maxQueueSize() + " requests is full", reasons[i].label(),
              retryAfter(entry.level, 0, now));
        } else if (targetLatencyNanos > 0 && (refusals[i] = admit(entry, now)) != null) {
          reasons[i] = RejectReason.LATENCY_TARGET;
        } else {
          queue.add(entry);
          counters.queued.increment();
          inFlight.incrementAndGet();
          arrivals.record(now, entry.rows);
          queued = true;
        }
      }
      if (queued) {
        queueChanged();
        for (Batch batch = dispatchNow(now); batch != null; batch = dispatchNow(now)) {
          handed.add(batch);
        }
        wakeBatcherIfNeeded();
      }
    } finally {
      lock.unlock();
    }
    for (int i = 0; i < count; i++) {
      QueuedRequest entry = entries[i];
      if (entry == null) {
        continue;
      }
      if (refusals[i] != null) {
        submissions[i] = refuse(entry.future, reasons[i], refusals[i]);
      } else {
        entry.future.whenComplete((result, error) -> {
          if (entry.isQueued()) {
            withdrawn();
          }
        });
        submissions[i] = Submission.of(entry.future);
      }
    }
    handed.forEach(Batch::handOver);
    return Arrays.asList(submissions);
  }

  /**
   * The queue entry of a request arriving at {@code now}, its deadlines set.
   *
   * @throws InferenceException.InvalidInput when it has more rows than {@code max_batch_size}, or
   *     its inputs do not suit the model
   */
  private QueuedRequest entry(InferenceRequest request, long now) {
    int rows = signature.rows(request);
    if (maxBatchSize > 0 && rows > maxBatchSize) {
      throw new InferenceException.InvalidInput("request has " + rows + " rows; max_batch_size of model "
          + modelLabel + " is " + maxBatchSize);
    }
    Object shapeKey = signature.shapeKey(request);
    int level = batching.levelOf(request.priority());
    QueuePolicy queuePolicy = queue.policy(level);
    long timeoutMicros = queuePolicy.timeoutMicrosFor(request.timeoutMicros());
    long timeoutAt = timeoutMicros > 0
        ? plus(now, TimeUnit.MICROSECONDS.toNanos(timeoutMicros))
        : InferenceRequest.NO_DEADLINE;
    boolean delay = queuePolicy.timeoutAction() == QueuePolicy.TimeoutAction.DELAY;
    long target = Math.min(request.deadlineNanos(), delay ? InferenceRequest.NO_DEADLINE : timeoutAt);
    if (targetLatencyNanos > 0) {
      target = Math.min(target, plus(now, targetLatencyNanos));
    }
    return new QueuedRequest(request, new CompletableFuture<>(), rows, shapeKey, level, now, timeoutAt, delay,
        request.deadlineNanos(), target);
  }

  private Submission refuse(CompletableFuture<InferenceResult> future, RejectReason reason,
      InferenceException refusal) {
    counters.rejected(reason);
    future.completeExceptionally(refusal);
    return Submission.of(future);
  }

  /** The latency-target admission: null to admit, else the refusal. Called under the lock. */
  private InferenceException admit(QueuedRequest entry, long now) {
    CostCurve costs = costModel.curve();
    if (entry.targetDeadlineNanos == InferenceRequest.NO_DEADLINE) {
      return null;
    }
    LatencyTargetPolicy.Backlog backlog = backlog(entry.level, now);
    if (LatencyTargetPolicy.admits(costs, backlog, entry.rows, entry.targetDeadlineNanos - now)) {
      return null;
    }
    long latency = LatencyTargetPolicy.predictedLatencyNanos(costs, backlog, entry.rows);
    return new InferenceException.Overloaded("model " + modelLabel + " cannot serve the request in time: about "
        + TimeUnit.NANOSECONDS.toMicros(latency) + " us of work is ahead of it, its deadline is in "
        + TimeUnit.NANOSECONDS.toMicros(entry.targetDeadlineNanos - now) + " us",
        RejectReason.LATENCY_TARGET.label(), Duration.ofNanos(Math.max(MIN_RETRY_AFTER_NANOS, latency)));
  }

  /** When the queue at {@code level} and above should have drained. Called under the lock. */
  private Duration retryAfter(int level, int rows, long now) {
    CostCurve costs = costModel.curve();
    if (!costs.established()) {
      return DEFAULT_RETRY_AFTER;
    }
    long latency = LatencyTargetPolicy.predictedLatencyNanos(costs, backlog(level, now), rows);
    return Duration.ofNanos(Math.max(MIN_RETRY_AFTER_NANOS, latency));
  }

  /** What a request at {@code level} would find ahead of it. Called under the lock. */
  private LatencyTargetPolicy.Backlog backlog(int level, long now) {
    return new LatencyTargetPolicy.Backlog(queue.rowsAtOrAbove(level), workers.size(), idle.size(),
        untilInstanceFree(now));
  }

  /** Nanoseconds until the first instance is predicted free; 0 when one is idle. Under the lock. */
  private long untilInstanceFree(long now) {
    if (!idle.isEmpty()) {
      return 0;
    }
    long first = Long.MAX_VALUE;
    for (Worker worker : workers) {
      first = Math.min(first, worker.busyUntilNanos);
    }
    return Math.max(0, first - now);
  }

  private void withdrawn() {
    lock.lock();
    try {
      withdrawPending = true;
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int inFlight() {
    return inFlight.get();
  }

  /** Requests waiting for an instance. */
  public int queueDepth() {
    return queueDepth.get();
  }

  @Override
  public SchedulerStats stats() {
    long oldest = oldestEnqueuedNanos;
    long age = oldest == InferenceRequest.NO_DEADLINE ? 0 : Math.max(0, ticker.read() - oldest);
    return counters.snapshot(queueDepth.get(), inFlight.get(), age);
  }

  /** Publishes the queue's gauges after it changed. Under the lock. */
  private void queueChanged() {
    queueDepth.set(queue.size());
    oldestEnqueuedNanos = queue.oldestEnqueuedNanos();
  }

  /** Stops taking requests; queued ones are dispatched without waiting for more to batch with. */
  @Override
  public CompletionStage<Void> drain() {
    lock.lock();
    try {
      accepting = false;
      queue.setDraining(true);
      work.signal();
    } finally {
      lock.unlock();
    }
    checkDrained();
    return drained;
  }

  /**
   * Stops at once: queued requests, and dispatched ones whose batch has not started, fail as not
   * ready; running batches complete. Threads end once their work is done. Idempotent.
   */
  @Override
  public void close() {
    List<QueuedRequest> abandoned = List.of();
    lock.lock();
    try {
      if (!stopped) {
        stopped = true;
        accepting = false;
        abandoned = queue.removeAll();
        queueChanged();
        for (Worker worker : idle) {
          worker.mailbox.offer(Batch.STOP);
        }
        idle.clear();
        work.signalAll();
      }
    } finally {
      lock.unlock();
    }
    failAll(abandoned, unloaded());
    checkDrained();
  }

  private InferenceException unloaded() {
    return new InferenceException.NotReady("model " + modelLabel + " was unloaded");
  }

  // ---- the batcher thread ----

  private void loop() {
    List<QueuedRequest> expired = new ArrayList<>();
    List<QueuedRequest> withdrawn = new ArrayList<>();
    while (true) {
      Batch batch = null;
      lock.lock();
      try {
        while (batch == null && expired.isEmpty() && withdrawn.isEmpty()) {
          if (stopped) {
            return;
          }
          long now = ticker.read();
          queue.expire(now, expired);
          if (withdrawPending) {
            withdrawPending = false;
            queue.removeWithdrawn(withdrawn);
          }
          if (!expired.isEmpty() || !withdrawn.isEmpty()) {
            queueChanged();
            break;
          }
          long timer = queue.nextTimerNanos();
          long wait = timer == InferenceRequest.NO_DEADLINE ? Long.MAX_VALUE : timer - now;
          if (queue.size() > 0 && !idle.isEmpty()) {
            BatchDecision decision = decide(now);
            if (decision.dispatches()) {
              batch = dispatch(decision.count(), now);
              break;
            }
            wait = Math.min(wait, decision.waitNanos());
          }
          if (wait > 0) {
            batcherWakeNanos = wait == Long.MAX_VALUE ? Long.MAX_VALUE : plus(now, wait);
            try {
              if (wait == Long.MAX_VALUE) {
                work.await();
              } else {
                work.awaitNanos(wait);
              }
            } finally {
              batcherWakeNanos = Long.MIN_VALUE; // the lock is held again here
            }
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        lock.unlock();
      }
      for (QueuedRequest request : expired) {
        fail(request, new InferenceException.DeadlineExceeded("request timed out after waiting "
            + TimeUnit.NANOSECONDS.toMicros(ticker.read() - request.enqueuedNanos) + " us in the queue of model "
            + modelLabel), counters.expired);
      }
      for (QueuedRequest request : withdrawn) {
        inFlight.decrementAndGet();
        counters.cancelled.increment();
      }
      if (!expired.isEmpty() || !withdrawn.isEmpty()) {
        expired.clear();
        withdrawn.clear();
        checkDrained();
      }
      if (batch != null) {
        batch.handOver();
      }
    }
  }

  /** Asks the policy what to do with the queue now. Under the lock, with an instance idle. */
  private BatchDecision decide(long now) {
    boolean exploring = targetLatencyNanos > 0 && explores(now);
    queue.setLearned(arrivals.rowsPerSecond(now), costModel.curve(), exploring, idle.size());
    return policy.decide(queue, now);
  }

  /**
   * Whether this decision may explore (see {@link #EXPLORE_EVERY}); if so, the next may not for a
   * while. Under the lock.
   */
  private boolean explores(long now) {
    if (++decisions < EXPLORE_EVERY || now < nextExploreNanos) {
      return false;
    }
    decisions = 0;
    nextExploreNanos = plus(now, EXPLORE_SHARE * costModel.curve().predict(maxBatchSize));
    return true;
  }

  /**
   * The fast path, for a caller of {@link #submitAll} or an instance just freed: the batch the policy
   * dispatches now, on an idle instance, or null when none is idle, nothing waits, the policy waits, or
   * something is due for the batcher thread first (a timeout, a withdrawal). Under the lock.
   */
  private Batch dispatchNow(long now) {
    if (idle.isEmpty() || queue.size() == 0 || withdrawPending || queue.nextTimerNanos() <= now) {
      return null;
    }
    BatchDecision decision = decide(now);
    return decision.dispatches() ? dispatch(decision.count(), now) : null;
  }

  /**
   * Takes a batch off the queue for the instance on top of the idle stack, and that instance off the
   * stack. Under the lock.
   */
  private Batch dispatch(int count, long now) {
    Worker worker = idle.pop();
    List<QueuedRequest> members = queue.take(count);
    int rows = 0;
    for (QueuedRequest member : members) {
      rows += member.rows;
    }
    worker.busyUntilNanos = now + costModel.curve().predict(rows);
    queueChanged();
    counters.dispatched.add(count);
    boolean lone = layout != null && worker.model.hasWideSession()
        && AdaptiveLayout.alone(workers.size(), idle.size(), queue.size());
    return new Batch(members, worker, order != null ? nextSequence++ : -1, lone, lone && layout.runsWide());
  }

  /**
   * Wakes the batcher thread if it has something to do now that it would not wake for by itself: an
   * instance idle while requests wait (the fast path left them: the policy waits, a timer is due or a
   * withdrawal pending), or a timer due before the time it sleeps to. Under the lock.
   */
  private void wakeBatcherIfNeeded() {
    if ((!idle.isEmpty() && queue.size() > 0) || queue.nextTimerNanos() < batcherWakeNanos) {
      batcherSignals++;
      work.signal();
    }
  }

  /** How often arrivals and freed instances signalled the batcher thread, since the start. */
  long batcherSignals() {
    lock.lock();
    try {
      return batcherSignals;
    } finally {
      lock.unlock();
    }
  }

  /**
   * An instance finished its batch: back to the idle stack, or, when the queue holds a batch the
   * policy dispatches now, that batch for the instance to run next (the batcher thread's decision,
   * taken here so that no hand-off to that thread and back comes between two batches under load).
   *
   * @return the next batch to run; null to wait for one; {@link Batch#STOP} when stopped
   */
  private Batch released(Worker worker) {
    lock.lock();
    try {
      if (stopped) {
        return Batch.STOP;
      }
      idle.push(worker);
      if (queue.size() == 0) {
        return null;
      }
      Batch next = dispatchNow(ticker.read()); // on top of the stack, this instance takes it
      wakeBatcherIfNeeded();
      return next;
    } finally {
      lock.unlock();
    }
  }

  // ---- instance threads ----

  /**
   * Runs one batch on {@code model}; returns what completes its members, for the caller to run once
   * the instance is back on the idle stack. On the instance's thread.
   */
  private Runnable execute(LoadedModel model, Batch batch) {
    long start = ticker.read();
    List<QueuedRequest> live = new ArrayList<>(batch.members().size());
    for (QueuedRequest member : batch.members()) {
      if (member.future.isDone()) {
        inFlight.decrementAndGet(); // withdrawn on its way to the instance: never computed
        counters.cancelled.increment();
      } else {
        live.add(member);
      }
    }
    if (stopped) {
      return () -> complete(batch, () -> failAll(live, unloaded()));
    }
    if (live.isEmpty()) {
      return () -> complete(batch, this::checkDrained);
    }
    int rows = 0;
    for (QueuedRequest member : live) {
      rows += member.rows;
    }
    List<Map<String, Tensor>> outputs = null;
    InferenceException failure = null;
    long runStart = start;
    long runEnd = start;
    long splitEnd = start;
    try {
      Map<String, Tensor> inputs = live.size() == 1
          ? live.get(0).request.inputs()
          : BatchAssembly.concatenate(signature.inputs(), live, rows);
      Set<String> names = BatchAssembly.outputsToRun(live, signature.outputNames());
      runStart = ticker.read();
      Map<String, Tensor> produced = batch.wide() ? model.runWide(inputs, names) : model.run(inputs, names);
      runEnd = ticker.read();
      outputs = live.size() == 1
          ? List.of(BatchAssembly.select(produced, live.get(0), signature.outputNames()))
          : BatchAssembly.split(produced, live, rows, signature.outputNames());
      splitEnd = ticker.read();
    } catch (InferenceException e) {
      failure = e;
    } catch (RuntimeException | OutOfMemoryError e) {
      LOG.log(System.Logger.Level.WARNING, "model " + modelLabel + " failed on a batch of " + rows + " rows", e);
      failure = new InferenceException.BackendFailure("model " + modelLabel + " failed", e);
    }
    if (failure != null) {
      runEnd = Math.max(runEnd, runStart);
      splitEnd = Math.max(splitEnd, runEnd);
    }
    long inputNanos = runStart - start;
    long computeNanos = runEnd - runStart;
    long outputNanos = splitEnd - runEnd;
    counters.batch(rows, inputNanos, computeNanos, outputNanos);
    if (failure == null && batch.lone()) {
      layout.observe(batch.wide(), rows, computeNanos);
    }
    if (failure == null && !batch.wide()) {
      // The cost model learns what batches cost under load, where instances run narrow; a wide run
      // has the other instances' cores too, and would make the batcher think the instances faster.
      costModel.observe(rows, splitEnd - start, splitEnd);
    }
    int batchRows = rows;
    List<Map<String, Tensor>> results = outputs;
    InferenceException error = failure;
    return () -> complete(batch, () -> {
      for (int i = 0; i < live.size(); i++) {
        QueuedRequest member = live.get(i);
        if (error != null) {
          fail(member, error, counters.failed);
        } else if (member.future.isDone()) {
          inFlight.decrementAndGet();
          counters.cancelled.increment();
        } else {
          inFlight.decrementAndGet();
          counters.succeeded.increment();
          member.future.complete(
              new InferenceResult(results.get(i), start - member.enqueuedNanos, inputNanos, computeNanos, outputNanos,
                  batchRows));
        }
      }
      checkDrained();
    });
  }

  private void complete(Batch batch, Runnable completion) {
    if (order != null) {
      order.complete(batch.sequence(), completion);
    } else {
      completion.run();
    }
  }

  private void failAll(List<QueuedRequest> requests, InferenceException error) {
    for (QueuedRequest request : requests) {
      fail(request, error, counters.failed);
    }
    checkDrained();
  }

  /**
   * Fails one accepted request, counting it under {@code counter} (or as cancelled when its caller
   * completed it first). Counters and the in-flight gauge move before the stage completes, so whoever
   * sees the stage complete sees them updated.
   */
  private void fail(QueuedRequest request, InferenceException error, LongAdder counter) {
    inFlight.decrementAndGet();
    if (request.future.isDone()) {
      counters.cancelled.increment();
    } else {
      counter.increment();
      request.future.completeExceptionally(error);
    }
  }

  private void checkDrained() {
    if (!accepting && inFlight.get() == 0) {
      drained.complete(null);
    }
  }

  private static long plus(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }

  /**
   * The requests of one dispatch and the instance that runs them; {@code sequence} orders completions
   * under preserve_ordering; {@code lone} when it runs alone on an instance with a wide session,
   * {@code wide} when it runs on that session ({@link AdaptiveLayout}).
   */
  private record Batch(List<QueuedRequest> members, Worker worker, long sequence, boolean lone, boolean wide) {
    static final Batch STOP = new Batch(List.of(), null, -1, false, false);

    /** Hands the batch to its instance's thread. */
    void handOver() {
      worker.mailbox.add(this);
    }
  }

  /** One model instance and its thread. */
  private final class Worker implements Runnable {
    final LoadedModel model;
    final Thread thread;
    /** Holds the batch handed to this instance; it is idle, so there is room. */
    final ArrayBlockingQueue<Batch> mailbox = new ArrayBlockingQueue<>(1);
    /** When its running batch should end, by the cost model. Guarded by {@link #lock}. */
    long busyUntilNanos;

    Worker(LoadedModel model, String threadName) {
      this.model = model;
      this.thread = new Thread(this, threadName);
      thread.setDaemon(true);
    }

    @Override
    public void run() {
      ComputePriority.lowerCurrentThread(computeNice); // where it cannot, the thread runs as before
      Batch batch = null;
      while (true) {
        if (batch == null) {
          try {
            batch = mailbox.take();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (batch == Batch.STOP) {
          return;
        }
        Runnable completion = execute(model, batch);
        batch = released(this);
        completion.run();
        costModel.refit();
      }
    }
  }
}
