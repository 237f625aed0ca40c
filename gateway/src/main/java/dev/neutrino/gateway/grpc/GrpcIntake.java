package dev.neutrino.gateway.grpc;

import dev.neutrino.gateway.edge.BodyBudget;
import dev.neutrino.gateway.metrics.EdgeRefusals;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.grpc.common.GrpcStatus;

/**
 * The receive side of every gRPC call, between its HTTP/2 stream and Vert.x's deframer: holds the
 * bytes of each message in the gateway's {@link BodyBudget} while they arrive, and answers at once
 * what Vert.x would leave hanging.
 *
 * <p>Design note. Vert.x's deframer buffers a message as its bytes come (it never sizes a buffer
 * from the length prefix) and skips a message over the size limit; so the memory a call holds is the
 * message being received, which is what this wrapper reserves. Each chunk is reserved whole before it
 * is handed on (the deframer turns completed messages into requests synchronously), then the
 * reservation is cut back to the bytes of the message still incomplete. When the budget cannot take a
 * chunk, the call ends with RESOURCE_EXHAUSTED and the rest of its stream is dropped unread. A message
 * whose compressed flag is set on a call that declared no {@code grpc-encoding} ends the call with
 * INTERNAL, as the gRPC specification asks (Vert.x would throw and never answer). The reservation is
 * released when the stream ends, fails or closes.
 *
 * <p>Thread-safety: confined to its stream's event loop, like the request it wraps.
 */
final class GrpcIntake extends ChunkTap {
  private static final String GRPC_ENCODING = "grpc-encoding";

  private final BodyBudget.Reservation reservation;
  private final EdgeRefusals refusals;
  private final long maxMessageBytes;
  private final boolean encoded;
  private boolean stopped;
  /** Framing: the prefix being read, or (while {@code payloadLeft > 0}) the payload's bytes left. */
  private final MessagePrefix prefix = new MessagePrefix();
  private long payloadLeft;
  private boolean skipping;

  private GrpcIntake(HttpServerRequestInternal request, BodyBudget budget, EdgeRefusals refusals,
      long maxMessageBytes) {
    super(request);
    this.reservation = budget.open();
    this.refusals = refusals;
    this.maxMessageBytes = maxMessageBytes;
    String encoding = request.getHeader(GRPC_ENCODING);
    this.encoded = encoding != null && !encoding.isBlank() && !encoding.equalsIgnoreCase("identity");
    request.exceptionHandler(error -> stop());
    request.response().closeHandler(v -> stop());
  }

  /** {@code request} wrapped, or itself when it cannot be (no internal request to wrap). */
  static HttpServerRequest wrap(HttpServerRequest request, BodyBudget budget, EdgeRefusals refusals,
      long maxMessageBytes) {
    return request instanceof HttpServerRequestInternal internal
        ? new GrpcIntake(internal, budget, refusals, maxMessageBytes) : request;
  }

  @Override
  public HttpServerRequest endHandler(Handler<Void> handler) {
    delegate.endHandler(handler == null ? null : v -> {
      stop();
      handler.handle(v);
    });
    return this;
  }

  @Override
  public HttpServerRequest exceptionHandler(Handler<Throwable> handler) {
    delegate.exceptionHandler(error -> {
      stop();
      if (handler != null) {
        handler.handle(error);
      }
    });
    return this;
  }

  @Override
  void onChunk(Buffer chunk) {
    if (stopped) {
      return;
    }
    if (!reservation.grow(chunk.length())) {
      refusals.refused(EdgeRefusals.Reason.BODY_BUDGET);
      answer(GrpcStatus.RESOURCE_EXHAUSTED, "the server is receiving too many request messages at once; retry later");
      return;
    }
    if (!follow(chunk)) {
      answer(GrpcStatus.INTERNAL, "a compressed message arrived but the call declared no grpc-encoding");
      return;
    }
    dataHandler.handle(chunk);
    if (!stopped) {
      long partial = payloadLeft == 0 ? prefix.bytesRead()
          : skipping ? 0 : MessagePrefix.BYTES + prefix.length() - payloadLeft;
      reservation.shrink(reservation.heldBytes() - partial);
    }
  }

  /** Follows the framing through {@code chunk}; false at a compressed message the call cannot have. */
  private boolean follow(Buffer chunk) {
    int size = chunk.length();
    int at = 0;
    while (at < size) {
      if (payloadLeft > 0) {
        int step = (int) Math.min(payloadLeft, size - at);
        payloadLeft -= step;
        at += step;
        continue;
      }
      boolean complete = prefix.take(chunk.getByte(at++) & 0xFF);
      if (prefix.compressed() && !encoded) {
        return false;
      }
      if (complete) {
        skipping = prefix.length() > maxMessageBytes; // Vert.x skips it without buffering
        payloadLeft = prefix.length();
      }
    }
    return true;
  }

  /** Ends the call with {@code status} (headers only, as gRPC answers a call it fails at once). */
  private void answer(GrpcStatus status, String message) {
    stop();
    HttpServerResponse response = delegate.response();
    if (!response.ended() && !response.closed() && !response.headWritten()) {
      response.putHeader("content-type", "application/grpc")
          .putHeader("grpc-status", Integer.toString(status.code))
          .putHeader("grpc-message", message) // plain ASCII, nothing to percent-encode
          .end();
    }
    response.reset(0); // NO_ERROR: stop the client's sending; the answer is complete
  }

  private void stop() {
    stopped = true;
    reservation.release();
  }
}
