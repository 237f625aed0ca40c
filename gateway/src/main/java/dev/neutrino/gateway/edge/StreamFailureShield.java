package dev.neutrino.gateway.edge;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Exception;

/**
 * Keeps the failure of one HTTP/2 stream's write from closing its whole connection.
 *
 * <p>Design note. Vert.x writes a response's trailers (gRPC's {@code grpc-status}) without a promise
 * to fail, that is with Netty's void promise, which reports a failed write as an exception through
 * the channel's pipeline. A write fails when its stream closes before the write left the flow
 * controller: the client reset the call (it cancelled it, or its deadline passed) just as its answer
 * was being written, trailers queued behind the answer's DATA. The failure is a stream error and
 * Netty has already reset that stream, but Vert.x 5.0.7's connection handler closes the connection
 * on any exception it is handed, failing every other call the connection carries. This handler,
 * just ahead of Vert.x's, takes such stream errors out of the pipeline; every other exception goes
 * on to Vert.x as before.
 *
 * <p>Stateless: one instance serves every connection.
 */
@ChannelHandler.Sharable
final class StreamFailureShield extends ChannelInboundHandlerAdapter {
  static final StreamFailureShield INSTANCE = new StreamFailureShield();
  private static final String NAME = "neutrino-stream-failures";

  private StreamFailureShield() {}

  /** Puts the shield ahead of {@code pipeline}'s HTTP/2 handler, when it has one and no shield yet. */
  static void install(ChannelPipeline pipeline) {
    ChannelHandlerContext http2 = pipeline.context(Http2ConnectionHandler.class);
    if (http2 != null && pipeline.get(NAME) == null) {
      pipeline.addBefore(http2.name(), NAME, INSTANCE);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof Http2Exception.StreamException) {
      return; // one stream's failure, already reset by Netty: the connection and its other streams go on
    }
    ctx.fireExceptionCaught(cause);
  }
}
