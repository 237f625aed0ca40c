package dev.neutrino.gateway.call;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.batching.Submission;
import dev.neutrino.gateway.admission.Permit;
import dev.neutrino.gateway.logging.AccessLog;
import dev.neutrino.gateway.logging.LogFields;
import dev.neutrino.gateway.metrics.Protocol;
import dev.neutrino.repo.Lease;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.runtime.InferenceException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.internal.ContextInternal;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One inference call, whichever protocol it came in on: decode, lease, submit, answer,
 * observe, release. A front end supplies only its protocol (a {@link Front}: decoding, encoding,
 * the status mapping); everything else happens here, once.
 *
 * <h2>Design note</h2>
 *
 * <p><b>Steps.</b> {@link Front#decode()} gives the protocol-neutral request. The call's deadline
 * (gRPC's {@code grpc-timeout}) goes into the request; merged with the request's {@code timeout}
 * parameter it bounds how long leasing may wait for a model residency is loading. Access
 * control and the body budget have run before: a front end checks them before it reads the body.
 * {@code repository.acquireAsync}
 * leases the version: when it completes at once (the model is loaded, the usual case) the call stays
 * on this event loop without a hop; otherwise its completion is brought back to the caller's
 * context. The leased call then joins its event loop's pass ({@link Arrivals}), which submits every
 * call of the pass together when the pass ends ({@code ModelVersion.inferAll}) and hands each its
 * {@link Submission}; its result is brought back to the caller's context (handled at once when it is
 * complete already, as a cache hit is), and the front end answers it.
 *
 * <p><b>Cancellation.</b> {@link #cancel()} (the client went away) withdraws the submission, which
 * reaches the batcher's queue through every wrapper; while the model is still loading, or the
 * call's pass has not ended, it keeps the request from being submitted at all. Either way the front
 * end is answered with {@link InferenceException.Cancelled}, which each protocol maps in its one
 * place (HTTP: no answer, 499; gRPC: CANCELLED).
 *
 * <p><b>Ownership and threads.</b> Created, started and cancelled on the caller's event loop; every
 * continuation comes back to that context before it touches this object, so nothing here needs a
 * lock. The front end hears of the outcome exactly once, through {@link Front#answer} or
 * {@link Front#fail}. The call then observes it once (metrics, statistics, the access log), unless
 * it is the gateway's own warm-up ({@link Front#warmup()}), and releases the lease last, after the
 * answer was written.
 *
 * <p><b>Admission.</b> The front end admitted the request at its door, before reading its body, and
 * hands its {@link Permit} to the call when it starts it: from then on the call owns it, and gives it
 * back exactly once, when the outcome is observed, whatever the outcome (answered, failed, refused,
 * cancelled, the client gone), with the call's latency as a sample when it succeeded (and was not the
 * warm-up's).
 */
public final class InferenceCall {
  private final InferenceCalls calls;
  private final Protocol protocol;
  private final Front front;
  private final long callDeadlineNanos;
  private final Context context;
  private final Permit permit;
  private final long arrivedNanos = System.nanoTime();
  private String requestId;
  /** Set when leased, for the pass that submits it. */
  private Lease lease;
  private InferenceRequest request;
  private Submission submission;
  private boolean cancelled;
  private boolean finished;

  /**
   * The protocol half of a call, supplied by a front end for one request. Every method is called on
   * the call's event loop, at most once, in the order decode, then answer or fail.
   */
  public interface Front {
    /** The model the request names. */
    String model();

    /** The version the request names; null or empty for the newest ready one. */
    String version();

    /** The request's method and path, for the access log. */
    String method();

    String path();

    /**
     * Whether the request is the gateway's own warm-up ({@link WarmupMark}): it is served like any
     * other and not observed (no metrics, statistics, access log or admission sample).
     */
    default boolean warmup() {
      return false;
    }

    /**
     * Decodes the request, checking everything that needs no model.
     *
     * @throws InferenceException naming the input, output or parameter at fault
     */
    InferenceRequest decode();

    /**
     * Encodes and writes a successful result.
     *
     * @return the status answered, as metrics label it: the protocol's success code, or another when
     *     the client was gone by then
     * @throws RuntimeException when the result cannot be encoded; the call then fails it
     */
    String answer(ModelVersion version, InferenceResult result);

    /**
     * Answers a failure through the protocol's status mapping.
     *
     * @param failure unwrapped ({@link InferenceException#unwrap}): an {@link InferenceException},
     *     or something unexpected, to be logged and answered as an internal error
     * @return the status answered, as metrics label it
     */
    String fail(Throwable failure);
  }

  InferenceCall(InferenceCalls calls, Protocol protocol, Front front, long callDeadlineNanos, Context context,
      Permit permit) {
    this.calls = calls;
    this.permit = permit;
    this.protocol = protocol;
    this.front = front;
    this.callDeadlineNanos = callDeadlineNanos;
    this.context = context;
  }

  void start() {
    InferenceRequest request;
    CompletableFuture<Lease> leasing;
    try {
      request = withDeadline(front.decode(), callDeadlineNanos);
      requestId = request.id();
      leasing = calls.repository.acquireAsync(front.model(), front.version(), leaseDeadline(request))
          .toCompletableFuture();
    } catch (RuntimeException e) {
      finish(null, null, e);
      return;
    }
    if (leasing.isDone()) {
      // The usual case: the model is loaded, so stay on this event loop without a hop.
      Lease lease;
      try {
        lease = leasing.join();
      } catch (CompletionException | CancellationException e) {
        finish(null, null, e);
        return;
      }
      leased(request, lease);
    } else {
      // Residency: the model is loading for this request.
      Future.fromCompletionStage(leasing, context).onComplete(lease -> {
        if (lease.succeeded()) {
          leased(request, lease.result());
        } else {
          finish(null, null, lease.cause());
        }
      });
    }
  }

  /**
   * Withdraws the request if it has not started running, or keeps it from being submitted while its
   * model loads; the front end then gets {@link InferenceException.Cancelled}. Idempotent; on the
   * call's event loop.
   */
  public void cancel() {
    if (cancelled || finished) {
      return;
    }
    cancelled = true;
    if (submission != null) {
      submission.cancel();
    }
  }

  private void leased(InferenceRequest request, Lease lease) {
    if (!cancelled) {
      run(lease, request);
      return;
    }
    try {
      finish(lease.version(), null, new InferenceException.Cancelled("the client went away"));
    } finally {
      lease.close();
    }
  }

  /** Joins this event loop's pass ({@link Arrivals}), which submits the request when the pass ends. */
  private void run(Lease lease, InferenceRequest request) {
    this.lease = lease;
    this.request = request;
    calls.arrivals.add(this, (ContextInternal) context);
  }

  /** The version the request was leased on; after {@link #run}. */
  ModelVersion version() {
    return lease.version();
  }

  /** The decoded request; after {@link #run}. */
  InferenceRequest request() {
    return request;
  }

  /** Whether the client went away before the request was submitted. */
  boolean cancelled() {
    return cancelled;
  }

  /** The pass submitted the request; its result is brought back to this call's context. */
  void submitted(Submission submission) {
    this.submission = submission;
    CompletionStage<InferenceResult> result = submission.result();
    CompletableFuture<InferenceResult> now = result.toCompletableFuture();
    if (!now.isDone()) {
      Future.fromCompletionStage(result, context).onComplete(outcome ->
          completed(lease, outcome.succeeded() ? outcome.result() : null, outcome.cause()));
      return;
    }
    // Refused at once, or answered from the cache: no need to leave this event loop.
    InferenceResult value = null;
    Throwable error = null;
    try {
      value = now.join();
    } catch (CompletionException | CancellationException e) {
      error = e;
    }
    completed(lease, value, error);
  }

  /**
   * The request was not submitted: {@code failure} when submitting it threw, or
   * {@link InferenceException.Cancelled} when the client went away first.
   */
  void notSubmitted(Throwable failure) {
    completed(lease, null, failure);
  }

  private void completed(Lease lease, InferenceResult result, Throwable failure) {
    try {
      finish(lease.version(), result, failure);
    } finally {
      lease.close();
    }
  }

  /**
   * Answers and observes the call, once: {@code result} when it succeeded, else {@code failure}.
   *
   * @param version the version it ran on or resolved to, or null when it failed before leasing one
   */
  private void finish(ModelVersion version, InferenceResult result, Throwable failure) {
    if (finished) {
      return;
    }
    finished = true;
    long nanos = -1;
    try {
      Throwable cause = failure == null ? null : InferenceException.unwrap(failure);
      String code;
      if (cause == null) {
        try {
          code = front.answer(version, result);
        } catch (RuntimeException e) {
          cause = e;
          code = front.fail(e);
        }
      } else {
        code = front.fail(cause);
      }
      if (!front.warmup()) {
        nanos = observe(version, code, result, cause);
      }
    } finally {
      if (nanos >= 0) {
        permit.succeeded(nanos);
      } else {
        permit.release();
      }
    }
  }

  /**
   * The one observation of a call: metrics and statistics, then the access log.
   *
   * @return the call's latency when it succeeded, else -1
   */
  private long observe(ModelVersion version, String code, InferenceResult result, Throwable failure) {
    long nanos = System.nanoTime() - arrivedNanos;
    boolean succeeded = false;
    if (version == null) {
      calls.metrics.failed(protocol, front.model(), front.version(), code, nanos, failure);
    } else if (failure == null && code.equals(protocol.successCode())) {
      succeeded = true;
      calls.metrics.succeeded(protocol, version, nanos, result);
    } else {
      calls.metrics.failed(protocol, version, code, nanos, failure);
    }
    AccessLog log = calls.accessLog;
    if (log.enabled()) {
      log.log(new LogFields.Access(protocol.label(), front.method(), front.path(), code,
          TimeUnit.NANOSECONDS.toMicros(nanos), front.model(),
          version != null ? version.versionString() : front.version(), requestId));
    }
    return succeeded ? nanos : -1;
  }

  /**
   * How long leasing may wait for a model that is loading: until the earlier of the call's deadline
   * and the request's {@code timeout}.
   */
  private static long leaseDeadline(InferenceRequest request) {
    long deadline = request.deadlineNanos();
    if (request.timeoutMicros() > 0) {
      deadline = Math.min(deadline, System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(request.timeoutMicros()));
    }
    return deadline;
  }

  private static InferenceRequest withDeadline(InferenceRequest request, long deadlineNanos) {
    if (deadlineNanos == request.deadlineNanos()) {
      return request;
    }
    return new InferenceRequest(request.id(), request.inputs(), request.outputs(), request.priority(),
        request.timeoutMicros(), Math.min(deadlineNanos, request.deadlineNanos()), request.parameters());
  }
}
