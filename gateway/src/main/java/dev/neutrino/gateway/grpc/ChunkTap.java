package dev.neutrino.gateway.grpc;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.internal.http.HttpServerRequestWrapper;

/**
 * A request stream whose chunks pass through {@link #onChunk} before they reach the handler that
 * Vert.x's deframer set ({@link #dataHandler}). Confined to its stream's event loop.
 */
abstract class ChunkTap extends HttpServerRequestWrapper {
  /** Where a chunk goes once it is let through; null until the deframer sets it. */
  Handler<Buffer> dataHandler;

  ChunkTap(HttpServerRequestInternal request) {
    super(request);
  }

  abstract void onChunk(Buffer chunk);

  @Override
  public final HttpServerRequest handler(Handler<Buffer> handler) {
    dataHandler = handler;
    delegate.handler(handler == null ? null : this::onChunk);
    return this;
  }
}
