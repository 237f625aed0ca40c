package dev.neutrino.batching;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;

/**
 * Decides when and on which model instance each request of one model version runs.
 *
 * <p>Ownership: after {@link #submit} returns, the scheduler owns the request until the
 * {@link Submission}'s result completes. It completes on a scheduler thread (a model instance's
 * thread, or the batcher's when a request times out in the queue), on the caller's when refused at
 * once or cancelled, or on the thread that calls {@link #close()}; callers move the result to their
 * own thread. Failures are always {@link dev.neutrino.runtime.InferenceException}s.
 *
 * <p>Cancellation: {@link Submission#cancel()} is the one way to withdraw a request. A request
 * withdrawn before its batch runs never reaches the runtime; one withdrawn while its batch runs is
 * computed with the batch and its answer dropped. Either way its result fails with
 * {@link dev.neutrino.runtime.InferenceException.Cancelled}.
 *
 * <p>Requests must already be validated against the model: the scheduler checks only what it needs
 * to batch (every input present, the rows, at most {@code max_batch_size} of them).
 */
public interface Scheduler extends AutoCloseable {

  /** Queues the request, or refuses it at once (the submission's result fails); never blocks. */
  Submission submit(InferenceRequest request);

  /**
   * Queues the requests as one arrival, each accepted or refused as {@link #submit} would; the
   * submissions come back in the requests' order. A batching scheduler decides only once all are
   * queued, so requests that arrive together may run as one batch. This default submits them one by
   * one.
   */
  default List<Submission> submitAll(List<InferenceRequest> requests) {
    List<Submission> submissions = new ArrayList<>(requests.size());
    for (InferenceRequest request : requests) {
      submissions.add(submit(request));
    }
    return submissions;
  }

  /** Requests submitted and not yet completed (queued plus running). */
  int inFlight();

  /**
   * What the scheduler has done so far, for metrics. Never blocks. Schedulers that keep no counters
   * report zeros, except {@link SchedulerStats#inFlight()}.
   */
  default SchedulerStats stats() {
    return new SchedulerStats(0, 0, 0, 0, Map.of(), 0, 0, 0, 0, new TreeMap<>(), 0, inFlight());
  }

  /**
   * Stops taking requests; those already accepted still run. The stage completes when the last of
   * them has finished; the model instances are not closed (their owner closes them).
   */
  CompletionStage<Void> drain();

  /** Stops at once: accepted requests that have not started fail as not ready. Idempotent. */
  @Override
  void close();
}
