package dev.neutrino.gateway.grpc;

import dev.neutrino.gateway.admission.Permit;
import dev.neutrino.gateway.call.InferenceCall;
import dev.neutrino.gateway.generate.GenerationCall;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelStreamInferResponse;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * One {@code ModelStreamInfer} call: a bidirectional stream of inference requests, each answered as
 * soon as it completes (not in request order), tagged with its request's {@code id}.
 *
 * <p>Design note. A request that fails (unknown model, bad input, deadline, backend failure) is
 * answered with a {@code ModelStreamInferResponse} whose {@code error_message} says why and whose
 * {@code infer_response} carries the request's model, version and id; the stream stays open. The call
 * ends with OK once the client has half-closed and every request has been answered. A message that
 * is not valid protobuf, or does not decompress, is answered the same way, without an id. Only two things end the stream
 * early: the client going away (every request it still has queued is withdrawn) and a message over
 * the size limit (Vert.x ends the call with RESOURCE_EXHAUSTED).
 *
 * <p>Each request passes the gateway's front door as soon as its message has arrived, before it is
 * parsed: its model, version and id are read off the wire ({@link ModelNamePeek}), and one refused
 * because its model, or the gateway, is at its concurrency limit is answered with that refusal as its
 * {@code error_message}, tagged with them, and the stream goes on. A compressed message, or one whose
 * head cannot be read that way, meets the same door once parsed. An inference's permit is owned by its
 * {@link InferenceCall}; a generating request's is given back when its last response is written.
 *
 * <p>A request for a generative model ({@code task: generation}) is answered by
 * {@link StreamGeneration}, as Triton's decoupled models answer: several responses, the last one
 * flagged {@code triton_final_response}; the client going away stops its sequence.
 *
 * <p>Flow control: at most {@link #MAX_OUTSTANDING} requests of one stream are in the scheduler at a
 * time, and none are read while the response's write queue is full; past either, the stream stops
 * reading and HTTP/2 flow control holds the client back. The call's gRPC deadline applies to every
 * request of the stream.
 *
 * <p>Thread-safety: confined to the call's event loop. Completions of the scheduler's stages are
 * brought back to it before they touch this object.
 */
final class StreamInferCall {
  /** Requests of one stream that may be queued or running at once. */
  static final int MAX_OUTSTANDING = 128;

  private final InferenceService service;
  private final GrpcServerRequest<Received<ModelInferRequest>, ModelStreamInferResponse> call;
  private final GrpcServerResponse<Received<ModelInferRequest>, ModelStreamInferResponse> response;
  private final Context context;
  private final long deadlineNanos;
  private final Set<Pending> outstanding = Collections.newSetFromMap(new IdentityHashMap<>());
  private boolean inputEnded;
  private boolean paused;
  private boolean ended;
  private boolean gone;

  StreamInferCall(InferenceService service,
      GrpcServerRequest<Received<ModelInferRequest>, ModelStreamInferResponse> call, Context context,
      long deadlineNanos) {
    this.service = service;
    this.call = call;
    this.response = call.response();
    this.context = context;
    this.deadlineNanos = deadlineNanos;
  }

  void start() {
    call.messageHandler(message -> {
      if (gone) {
        return;
      }
      ModelNamePeek.Head refused = service.refusedUnparsed(message);
      if (refused != null) {
        write(error(refused, service.refusal(refused.modelName())));
        return;
      }
      onRequest(service.read(ServiceMethods.MODEL_STREAM_INFER, message));
    });
    call.endHandler(v -> {
      inputEnded = true;
      endIfDone();
    });
    InferenceService.whenGone(call, this::onGone);
    response.drainHandler(v -> resumeIfRoom());
  }

  private void onRequest(Received<ModelInferRequest> received) {
    if (received.problem() != null) {
      write(error(ModelInferRequest.getDefaultInstance(), received.problem()));
      return;
    }
    Permit permit = service.admit(received.message());
    if (permit == null) {
      write(error(received.message(), service.refusal(received.message().getModelName())));
      return;
    }
    Pending pending = new Pending(received.message());
    outstanding.add(pending);
    pauseIfFull();
    if (service.generates(received.message())) {
      pending.generating = permit;
      service.generate(pending, received.message(), this::write, error -> {
        if (error != null) {
          write(error(pending.message, error));
        }
        pending.handle(null);
      });
      return;
    }
    pending.inference = service.infer("ModelStreamInfer", call, received.message(), deadlineNanos, context,
        pending, permit);
  }

  /** One request of the stream, from its arrival until its answer is written. */
  private final class Pending implements Handler<AsyncResult<ModelInferResponse>>, GenerationCall.Client {
    final ModelInferRequest message;
    /** Null until {@code infer} returns; its answer may come before that. */
    InferenceCall inference;
    /** Stops a generating request's sequence, once it has started. */
    Runnable stopGenerating;
    /** A generating request's place under the concurrency limit; null for an inference (its call owns it). */
    Permit generating;

    Pending(ModelInferRequest message) {
      this.message = message;
    }

    @Override
    public boolean gone() {
      return gone;
    }

    @Override
    public void whenGone(Runnable cancel) {
      stopGenerating = cancel;
    }

    /** Its answer written; {@code outcome} is null when a generating request has written its own. */
    @Override
    public void handle(AsyncResult<ModelInferResponse> outcome) {
      outstanding.remove(this);
      if (generating != null) {
        generating.release();
      }
      if (outcome == null) {
        // Every response of a generating request is written already.
      } else if (outcome.succeeded()) {
        write(ModelStreamInferResponse.newBuilder().setInferResponse(outcome.result()).build());
      } else {
        write(error(message, GrpcStatusMapping.of(outcome.cause(), "ModelStreamInfer").message()));
      }
      resumeIfRoom();
      endIfDone();
    }
  }

  /** An error answer that names the request it belongs to. */
  private static ModelStreamInferResponse error(ModelInferRequest request, String message) {
    return error(new ModelNamePeek.Head(request.getModelName(), request.getModelVersion(), request.getId()), message);
  }

  /** An error answer that names the request it belongs to by the head read off its message, unparsed. */
  private static ModelStreamInferResponse error(ModelNamePeek.Head request, String message) {
    return ModelStreamInferResponse.newBuilder()
        .setErrorMessage(message)
        .setInferResponse(ModelInferResponse.newBuilder()
            .setModelName(request.modelName())
            .setModelVersion(request.modelVersion())
            .setId(request.id()))
        .build();
  }

  private void write(ModelStreamInferResponse answer) {
    if (gone) {
      return;
    }
    try {
      response.write(answer);
    } catch (IllegalStateException e) {
      // The client reset the stream: nobody is left to answer.
      onGone();
      return;
    }
    pauseIfFull();
  }

  private void pauseIfFull() {
    if (!paused && !gone && (outstanding.size() >= MAX_OUTSTANDING || response.writeQueueFull())) {
      paused = true;
      call.pause();
    }
  }

  private void resumeIfRoom() {
    if (paused && !gone && outstanding.size() < MAX_OUTSTANDING && !response.writeQueueFull()) {
      paused = false;
      call.resume();
    }
  }

  private void endIfDone() {
    if (inputEnded && outstanding.isEmpty() && !gone && !ended) {
      ended = true;
      InferenceService.end(response, GrpcStatus.OK, null);
    }
  }

  /** The client cancelled or vanished: withdraw what it still has queued. */
  private void onGone() {
    if (gone) {
      return;
    }
    gone = true;
    // Cancelling may complete a stage, and so run its completion, right here: iterate over a copy.
    for (Pending pending : new ArrayList<>(outstanding)) {
      if (pending.inference != null) {
        pending.inference.cancel();
      }
      if (pending.stopGenerating != null) {
        pending.stopGenerating.run();
      }
    }
  }
}
