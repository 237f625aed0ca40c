package dev.neutrino.gateway.grpc;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.gateway.grpc.GrpcInferenceCodec.Decoded;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
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
 */
final class GrpcInference {
  private final ModelRepository repository;
  private final ModelInferRequest message;
  private final long callDeadlineNanos;
  private final Context context;
  private final Handler<AsyncResult<ModelInferResponse>> answer;
  private CompletionStage<InferenceResult> stage;
  private boolean cancelled;

  /**
   * @param callDeadlineNanos the call's gRPC deadline ({@link System#nanoTime()} scale), or
   *     {@link InferenceRequest#NO_DEADLINE}
   * @param answer gets the encoded response or the failure, once, on {@code context}
   */
  GrpcInference(ModelRepository repository, ModelInferRequest message, long callDeadlineNanos, Context context,
      Handler<AsyncResult<ModelInferResponse>> answer) {
    this.repository = repository;
    this.message = message;
    this.callDeadlineNanos = callDeadlineNanos;
    this.context = context;
    this.answer = answer;
  }

  /** Decodes and leases; the answer may come before this returns (a bad request, an unknown model). */
  void start() {
    Decoded decoded;
    try {
      decoded = GrpcInferenceCodec.decode(message, callDeadlineNanos);
    } catch (RuntimeException e) {
      answer.handle(Future.failedFuture(e));
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
      answer.handle(Future.failedFuture(e));
      return;
    }
    if (leasing.isDone()) {
      // The usual case: the model is loaded, so stay on this event loop without a hop.
      Lease lease;
      try {
        lease = leasing.join();
      } catch (CompletionException | CancellationException e) {
        answer.handle(Future.failedFuture(e instanceof CompletionException ? e.getCause() : e));
        return;
      }
      run(lease, decoded);
    } else {
      // Residency: the model is being loaded for this request.
      Future.fromCompletionStage(leasing, context).onComplete(leased -> {
        if (leased.failed()) {
          answer.handle(Future.failedFuture(leased.cause()));
        } else if (cancelled) {
          leased.result().close();
          answer.handle(Future.failedFuture(new CancellationException("the client went away")));
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
      lease.close();
      answer.handle(Future.failedFuture(e));
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
      } finally {
        lease.close();
      }
    });
  }

}
