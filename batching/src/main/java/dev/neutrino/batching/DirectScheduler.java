package dev.neutrino.batching;

import dev.neutrino.runtime.ComputePriority;
import dev.neutrino.runtime.LoadedModel;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Runs each request on its own, as it comes, on the first free model instance: no batching. For
 * models without {@code dynamic_batching}.
 *
 * <p>Each instance owns one thread; requests wait in one FIFO queue bounded by
 * {@link SchedulerOptions#maxQueueSize()}, and a full queue refuses a request at once as overloaded
 * ({@code queue_full}). A request whose timeout or deadline passes while it waits fails as deadline
 * exceeded without reaching the runtime; one whose {@link Submission} was cancelled is dropped likewise. This is
 * the {@link DynamicBatcher} with a policy that dispatches one request at a time, so both keep the
 * same counters ({@link #stats()}).
 *
 * <p>Thread-safety: all methods may be called from any thread.
 */
public final class DirectScheduler implements Scheduler {
  private final DynamicBatcher batcher;

  private DirectScheduler(DynamicBatcher batcher) {
    this.batcher = batcher;
  }

  /**
   * Starts one thread per instance. The scheduler does not own the instances: whoever loaded them
   * closes them, after {@link #drain()} or {@link #close()}.
   *
   * @param modelLabel names threads and log lines, for example {@code simple-1}
   */
  public static DirectScheduler create(String modelLabel, List<LoadedModel> instances, SchedulerOptions options) {
    return create(modelLabel, instances, options, Ticker.system());
  }

  /** As {@link #create(String, List, SchedulerOptions)}, reading time from {@code ticker}. */
  public static DirectScheduler create(
      String modelLabel, List<LoadedModel> instances, SchedulerOptions options, Ticker ticker) {
    return create(modelLabel, instances, options, ticker, ComputePriority.UNCHANGED);
  }

  /**
   * As {@link #create(String, List, SchedulerOptions, Ticker)}, with the instances' threads at
   * {@code computeNice} ({@link ComputePriority}; 0 leaves them at the process's priority).
   */
  public static DirectScheduler create(String modelLabel, List<LoadedModel> instances, SchedulerOptions options,
      Ticker ticker, int computeNice) {
    return new DirectScheduler(
        DynamicBatcher.unbatched(modelLabel, instances, options.queuePolicy(), ticker, computeNice));
  }

  @Override
  public Submission submit(InferenceRequest request) {
    return batcher.submit(request);
  }

  @Override
  public int inFlight() {
    return batcher.inFlight();
  }

  /** Requests waiting for an instance. */
  public int queueDepth() {
    return batcher.queueDepth();
  }

  @Override
  public SchedulerStats stats() {
    return batcher.stats();
  }

  @Override
  public CompletionStage<Void> drain() {
    return batcher.drain();
  }

  @Override
  public void close() {
    batcher.close();
  }
}
