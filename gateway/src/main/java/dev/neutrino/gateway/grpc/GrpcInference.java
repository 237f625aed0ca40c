package dev.neutrino.gateway.grpc;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.gateway.grpc.GrpcInferenceCodec.Decoded;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.logging.AccessLog;
import dev.neutrino.gateway.logging.LogFields;
import dev.neutrino.gateway.metrics.GatewayMetrics;
import dev.neutrino.gateway.metrics.Protocol;
import dev.neutrino.repo.Lease;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.repo.ModelVersion;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One {@code ModelInferRequest} on the domain path HTTP takes too: decode, lease the model version
 * ({@code repository.acquireAsync}, which may first load a model residency had evicted), submit
 * ({@code ModelVersion.infer}), encode the answer. {@code ModelInfer} runs one per call,
 * {@code ModelStreamInfer} one per stream message.
 *
 * <p>Ownership and threads: created and started on the call's event loop; every continuation comes
 * back to the call's context before it touches this object, so none of it needs a lock. The answer
 * handler is called exactly once, on that context, with the encoded response or the failure; the
 * lease is released right after it returns, so after the response is written. {@link #cancel()} (the
 * client went away) withdraws the request if it is still queued, or keeps it from being submitted
 * if its model is still loading; the answer is then a {@link CancellationException}.
 *
 * <p>Each inference is reported once to the gateway's metrics (and access log, when on), right
 * after its answer has been handed to the call: labelled with the version it ran on, or, when it
 * failed before reaching one, with whatever loaded version its names resolve to.
 */
final class GrpcInference {
  private final ModelRepository repository;
  private final ModelInferRequest message;
  private final long callDeadlineNanos;
  private final Context context;
  private final Handler<AsyncResult<ModelInferResponse>> answer;
  private final Observers observers;
  private final long arrivedNanos = System.nanoTime();
  private CompletionStage<InferenceResult> stage;
  private boolean cancelled;

  /**
   * Who hears of each answered inference.
   *
   * @param path the call's method path, for the access log
   */
  record Observers(GatewayMetrics metrics, AccessLog accessLog, String path) {}

  /**
   * @param callDeadlineNanos the call's gRPC deadline ({@link System#nanoTime()} scale), or
   *     {@link InferenceRequest#NO_DEADLINE}
   * @param answer gets the encoded response or the failure, once, on {@code context}
   */
  GrpcInference(ModelRepository repository, ModelInferRequest message, long callDeadlineNanos, Context context,
      Handler<AsyncResult<ModelInferResponse>> answer, Observers observers) {
    this.repository = repository;
    this.message = message;
    this.callDeadlineNanos = callDeadlineNanos;
    this.context = context;
    this.answer = answer;
    this.observers = observers;
  }

  /** Decodes and leases; the answer may come before this returns (a bad request, an unknown model). */
  void start() {
    Decoded decoded;
    try {
      decoded = GrpcInferenceCodec.decode(message, callDeadlineNanos);
    } catch (RuntimeException e) {
      failBeforeVersion(e);
      return;
    }
    InferenceRequest request = decoded.request();
    long deadline = request.deadlineNanos();
    if (request.timeoutMicros() > 0) {
      deadline = Math.min(deadline, System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(request.timeoutMicros()));
    }
    CompletableFuture<Lease> leasing;
    try {
      leasing = repository.acquireAsync(message.getModelName(), message.getModelVersion(), deadline)
          .toCompletableFuture();
    } catch (RuntimeException e) {
      failBeforeVersion(e);
      return;
    }
    if (leasing.isDone()) {
      // The usual case: the model is loaded, so stay on this event loop without a hop.
      Lease lease;
      try {
        lease = leasing.join();
      } catch (CompletionException | CancellationException e) {
        failBeforeVersion(e instanceof CompletionException ? e.getCause() : e);
        return;
      }
      run(lease, decoded);
    } else {
      // Residency: the model is being loaded for this request.
      Future.fromCompletionStage(leasing, context).onComplete(leased -> {
        if (leased.failed()) {
          failBeforeVersion(leased.cause());
        } else if (cancelled) {
          ModelVersion version = leased.result().version();
          CancellationException gone = new CancellationException("the client went away");
          try {
            answer.handle(Future.failedFuture(gone));
            observe(version, null, gone);
          } finally {
            leased.result().close();
          }
        } else {
          run(leased.result(), decoded);
        }
      });
    }
  }

  /** Withdraws the request if it has not started running. Idempotent; on the call's event loop. */
  void cancel() {
    cancelled = true;
    if (stage != null) {
      stage.toCompletableFuture().cancel(false);
    }
  }

  private void run(Lease lease, Decoded decoded) {
    ModelVersion version = lease.version();
    try {
      stage = version.infer(decoded.request());
    } catch (RuntimeException e) {
      try {
        answer.handle(Future.failedFuture(e));
        observe(version, null, e);
      } finally {
        lease.close();
      }
      return;
    }
    Future.fromCompletionStage(stage, context).onComplete(result -> {
      AsyncResult<ModelInferResponse> outcome;
      try {
        outcome = result.succeeded()
            ? Future.succeededFuture(GrpcInferenceCodec.encode(version.name(), version.versionString(),
                decoded.request().id(), result.result().outputs(), decoded.rawOutputs()))
            : Future.failedFuture(result.cause());
      } catch (RuntimeException e) {
        outcome = Future.failedFuture(e);
      }
      try {
        answer.handle(outcome);
        observe(version, outcome.succeeded() ? result.result() : null, outcome.succeeded() ? null : outcome.cause());
      } finally {
        lease.close();
      }
    });
  }

  /** Answers a failure that came before the request reached a model version, and reports it. */
  private void failBeforeVersion(Throwable failure) {
    answer.handle(Future.failedFuture(failure));
    long nanos = System.nanoTime() - arrivedNanos;
    String code = GrpcStatusMapping.statusOf(failure).name();
    observers.metrics().failed(Protocol.GRPC, message.getModelName(), message.getModelVersion(), code, nanos, failure);
    access(code, nanos, message.getModelVersion());
  }

  /**
   * Reports an answered inference on {@code version}: {@code result} when it succeeded, else
   * {@code failure}.
   */
  private void observe(ModelVersion version, InferenceResult result, Throwable failure) {
    long nanos = System.nanoTime() - arrivedNanos;
    String code;
    if (result != null) {
      code = Protocol.GRPC.successCode();
      observers.metrics().succeeded(Protocol.GRPC, version, nanos, result);
    } else {
      code = GrpcStatusMapping.statusOf(failure).name();
      observers.metrics().failed(Protocol.GRPC, version, code, nanos, failure);
    }
    access(code, nanos, version.versionString());
  }

  private void access(String code, long nanos, String version) {
    AccessLog log = observers.accessLog();
    if (log.enabled()) {
      log.log(new LogFields.Access("grpc", "POST", observers.path(), code, TimeUnit.NANOSECONDS.toMicros(nanos),
          message.getModelName(), version, message.getId()));
    }
  }

}
