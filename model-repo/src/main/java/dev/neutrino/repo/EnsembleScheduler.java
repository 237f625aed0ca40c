package dev.neutrino.repo;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.batching.RejectReason;
import dev.neutrino.batching.Scheduler;
import dev.neutrino.batching.SchedulerStats;
import dev.neutrino.batching.Submission;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The scheduler of an ensemble: runs each request's steps as the tensors they read become available,
 * each through its own model's scheduler, so a step queues and batches with that model's other traffic.
 *
 * <h2>Design note</h2>
 *
 * <p><b>One run per request.</b> A {@link Run} holds the request's tensors (its inputs, then the steps'
 * outputs; they never leave the process) and, per step, how many of the tensors it reads are still
 * missing. A step whose count reaches zero is submitted at once: it leases the serving version of its
 * model, which validates the step's request as any other and hands it to that model's scheduler. When
 * a step completes (on its model's instance thread) its outputs become tensors of the run, which may
 * release further steps; the last step completes the request with the outputs it asked for. Where time
 * went (queue, compute) is the sum over the steps.
 *
 * <p><b>Failure and cancellation.</b> A failing step fails the request with the same kind of error,
 * its message naming the step and its model. Whenever the request completes other than by success
 * (a step failed, {@link Submission#cancel()}, {@link #close()}), every step still queued is withdrawn
 * through its own {@link Submission#cancel()}, so it never reaches its model's runtime.
 *
 * <p><b>Threads.</b> A run's state is guarded by the run; steps are submitted and the request completed
 * outside that lock, since a refusal completes a step on the submitting thread. The counters are
 * adders; the set of running requests is concurrent.
 */
final class EnsembleScheduler implements Scheduler {
  private final ModelConfig config;
  private final Ensembles.EnsembleGraph graph;
  private final ModelRegistry registry;
  private final Supplier<StepObserver> observer;
  private final Set<Run> running = ConcurrentHashMap.newKeySet();
  private final CompletableFuture<Void> drained = new CompletableFuture<>();
  private final LongAdder accepted = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder succeeded = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder cancelled = new LongAdder();
  private final LongAdder rows = new LongAdder();
  private final Map<Integer, LongAdder> requestSizes = new ConcurrentSkipListMap<>();
  private volatile boolean draining;
  private volatile boolean closed;

  /** @param observer who is told of each step's outcome, read at each step */
  EnsembleScheduler(ModelConfig config, Ensembles.EnsembleGraph graph, ModelRegistry registry,
      Supplier<StepObserver> observer) {
    this.config = config;
    this.graph = graph;
    this.registry = registry;
    this.observer = observer;
  }

  @Override
  public Submission submit(InferenceRequest request) {
    if (draining || closed) {
      refused.increment();
      return Submission.failed(new InferenceException.NotReady("ensemble '" + config.name() + "' is unloading"));
    }
    CompletableFuture<InferenceResult> result = new CompletableFuture<>();
    Run run = new Run(request, result);
    running.add(run);
    accepted.increment();
    // Counted before the caller hears of the outcome, so statistics read after an answer include it.
    Submission submission = Submission.of(result).observedBy(run::finished);
    run.start();
    return submission;
  }

  @Override
  public int inFlight() {
    return running.size();
  }

  /**
   * Requests accepted, refused, succeeded, failed and cancelled; each successful request counts as one
   * execution of its rows. Steps are counted by their own models' schedulers.
   */
  @Override
  public SchedulerStats stats() {
    TreeMap<Integer, Long> sizes = new TreeMap<>();
    requestSizes.forEach((size, count) -> sizes.put(size, count.sum()));
    long done = succeeded.sum();
    return new SchedulerStats(accepted.sum(), accepted.sum(), done, rows.sum(),
        Map.of(RejectReason.NOT_READY, refused.sum()), 0, cancelled.sum(), done, failed.sum(), sizes, 0,
        running.size());
  }

  @Override
  public CompletionStage<Void> drain() {
    draining = true;
    if (running.isEmpty()) {
      drained.complete(null);
    }
    return drained;
  }

  @Override
  public void close() {
    closed = true;
    for (Run run : List.copyOf(running)) {
      run.result.completeExceptionally(
          new InferenceException.NotReady("ensemble '" + config.name() + "' was unloaded"));
    }
    drain();
  }

  /** One request's way through the steps. */
  private final class Run {
    final InferenceRequest request;
    final CompletableFuture<InferenceResult> result;
    /** Guarded by {@code this}: the run's tensors by ensemble name. */
    final Map<String, Tensor> tensors = new HashMap<>();
    /** Guarded by {@code this}: per step, tensors it reads that are still missing; -1 once submitted. */
    final int[] missing;
    /** Guarded by {@code this}: the steps submitted and not completed. */
    final Map<Integer, Submission> outstanding = new HashMap<>();
    /** Guarded by {@code this}. */
    int stepsLeft;
    long queueNanos;
    long computeInputNanos;
    long computeNanos;
    long computeOutputNanos;
    boolean over;

    Run(InferenceRequest request, CompletableFuture<InferenceResult> result) {
      this.request = request;
      this.result = result;
      this.missing = new int[graph.steps().size()];
      this.stepsLeft = missing.length;
    }

    void start() {
      List<Integer> ready;
      synchronized (this) {
        for (int i = 0; i < missing.length; i++) {
          missing[i] = graph.reads().get(i).size();
        }
        ready = arrived(request.inputs());
      }
      ready.forEach(this::submitStep);
    }

    /** Under the lock: records tensors and answers the steps they complete. */
    private List<Integer> arrived(Map<String, Tensor> named) {
      List<Integer> ready = new ArrayList<>(1);
      for (Map.Entry<String, Tensor> tensor : named.entrySet()) {
        if (tensors.putIfAbsent(tensor.getKey(), tensor.getValue()) != null) {
          continue;
        }
        for (int reader : graph.readers().getOrDefault(tensor.getKey(), List.of())) {
          if (--missing[reader] == 0) {
            missing[reader] = -1;
            ready.add(reader);
          }
        }
      }
      return ready;
    }

    private void submitStep(int index) {
      EnsembleConfig.Step step = graph.steps().get(index);
      Map<String, Tensor> inputs = new LinkedHashMap<>();
      synchronized (this) {
        if (over) {
          return;
        }
        step.inputMap().forEach((input, tensor) -> inputs.put(input, tensors.get(tensor)));
      }
      Lease lease;
      try {
        lease = registry.acquire(step.modelName(), step.versionString());
      } catch (InferenceException e) {
        stepFailed(index, null, 0, e);
        return;
      }
      ModelVersion version = lease.version();
      InferenceRequest stepRequest = new InferenceRequest(request.id(), inputs, List.copyOf(step.outputMap().keySet()),
          0, request.timeoutMicros(), request.deadlineNanos(), Map.of());
      long submitted = System.nanoTime();
      Submission submission;
      try {
        submission = version.infer(stepRequest);
      } catch (RuntimeException e) {
        lease.close();
        stepFailed(index, version, submitted, e);
        return;
      }
      boolean withdraw;
      synchronized (this) {
        withdraw = over;
        if (!over) {
          outstanding.put(index, submission);
        }
      }
      if (withdraw) {
        submission.cancel();
      }
      submission.result().whenComplete((stepResult, failure) -> {
        lease.close();
        if (failure != null) {
          stepFailed(index, version, submitted, failure);
        } else {
          stepSucceeded(index, version, submitted, stepResult);
        }
      });
    }

    private void stepSucceeded(int index, ModelVersion version, long submitted, InferenceResult stepResult) {
      observer.get().succeeded(version, System.nanoTime() - submitted, stepResult);
      EnsembleConfig.Step step = graph.steps().get(index);
      Map<String, Tensor> produced = new LinkedHashMap<>();
      for (Map.Entry<String, String> mapped : step.outputMap().entrySet()) {
        Tensor output = stepResult.outputs().get(mapped.getKey());
        if (output == null) {
          stepFailed(index, null, 0, new InferenceException.BackendFailure(
              "output '" + mapped.getKey() + "' is missing from the answer", null));
          return;
        }
        produced.put(mapped.getValue(), output);
      }
      List<Integer> ready;
      boolean last;
      synchronized (this) {
        outstanding.remove(index);
        if (over) {
          return;
        }
        queueNanos += stepResult.queueNanos();
        computeInputNanos += stepResult.computeInputNanos();
        computeNanos += stepResult.computeNanos();
        computeOutputNanos += stepResult.computeOutputNanos();
        ready = arrived(produced);
        last = --stepsLeft == 0;
      }
      if (last) {
        complete();
      } else {
        ready.forEach(this::submitStep);
      }
    }

    private void stepFailed(int index, ModelVersion version, long submitted, Throwable failure) {
      Throwable cause = InferenceException.unwrap(failure);
      if (version != null) {
        observer.get().failed(version, System.nanoTime() - submitted, cause);
      }
      synchronized (this) {
        outstanding.remove(index);
      }
      EnsembleConfig.Step step = graph.steps().get(index);
      String prefix = "ensemble '" + config.name() + "' step " + index + " (model '" + step.modelName() + "'): ";
      result.completeExceptionally(named(prefix, cause));
    }

    private void complete() {
      List<String> wanted = new ArrayList<>(request.outputs());
      if (wanted.isEmpty()) {
        config.outputs().forEach(output -> wanted.add(output.name()));
      }
      Map<String, Tensor> outputs = new LinkedHashMap<>();
      InferenceResult done;
      synchronized (this) {
        wanted.forEach(name -> outputs.put(name, tensors.get(name)));
        done = new InferenceResult(outputs, queueNanos, computeInputNanos, computeNanos, computeOutputNanos, rows());
      }
      result.complete(done);
    }

    /** Rows of the request: its batch dimension when the ensemble batches, else 1. */
    int rows() {
      if (!config.batched() || request.inputs().isEmpty()) {
        return 1;
      }
      return (int) request.inputs().values().iterator().next().dim(0);
    }

    /** The request completed, however: withdraws the steps still queued, counts it, lets drain finish. */
    void finished(InferenceResult value, Throwable failure) {
      List<Submission> withdraw;
      synchronized (this) {
        over = true;
        withdraw = List.copyOf(outstanding.values());
        outstanding.clear();
      }
      withdraw.forEach(Submission::cancel);
      if (failure == null) {
        succeeded.increment();
        rows.add(value.batchSize());
        requestSizes.computeIfAbsent(value.batchSize(), size -> new LongAdder()).increment();
      } else if (InferenceException.unwrap(failure) instanceof InferenceException.Cancelled) {
        cancelled.increment();
      } else {
        failed.increment();
      }
      running.remove(this);
      if (draining && running.isEmpty()) {
        drained.complete(null);
      }
    }
  }

  /** The same kind of failure, its message prefixed with the step it came from. */
  static InferenceException named(String prefix, Throwable cause) {
    if (!(cause instanceof InferenceException e)) {
      return new InferenceException.BackendFailure(prefix + "internal error", cause);
    }
    String message = prefix + e.getMessage();
    return switch (e.kind()) {
      case INVALID_INPUT -> new InferenceException.InvalidInput(message);
      case NOT_FOUND -> new InferenceException.NotFound(message);
      case NOT_READY -> new InferenceException.NotReady(message, ((InferenceException.NotReady) e).retryAfter());
      case OVERLOADED -> new InferenceException.Overloaded(message, ((InferenceException.Overloaded) e).reason(),
          ((InferenceException.Overloaded) e).retryAfter());
      case DEADLINE_EXCEEDED -> new InferenceException.DeadlineExceeded(message);
      case CANCELLED -> new InferenceException.Cancelled(message);
      case BACKEND_FAILURE -> new InferenceException.BackendFailure(message, e.getCause());
      case UNAUTHENTICATED -> new InferenceException.Unauthenticated(message);
      case FORBIDDEN -> new InferenceException.Forbidden(message);
      case TOO_LARGE -> new InferenceException.TooLarge(message);
    };
  }
}
