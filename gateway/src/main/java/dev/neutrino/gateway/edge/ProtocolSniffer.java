package dev.neutrino.gateway.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObjectDecoder;
import io.vertx.core.http.HttpServerOptions;
import java.nio.charset.StandardCharsets;

/**
 * Stands in for Vert.x's choice between HTTP/1.1 and h2c (prior knowledge) on a cleartext connection,
 * so that an HTTP/1.1 connection gets the gateway's {@link StrictRequestDecoder} before its first
 * request is decoded. It sits just ahead of Vert.x's chooser.
 *
 * <p>Design note. Vert.x's chooser reads the first bytes: the HTTP/2 preface sets HTTP/2 up, anything
 * else sets HTTP/1.1 up and hands those bytes straight to the new request decoder, in one call, which
 * leaves no moment to replace the decoder. So this handler reads the first bytes instead, holding them
 * while they may still be the preface. When they are the preface it hands them to Vert.x's chooser
 * unchanged. When they are not, it first hands the chooser an empty line alone (a CRLF, which an
 * HTTP/1.1 server ignores before a request line, RFC 9112 2.2): the chooser sets HTTP/1.1 up and its
 * decoder consumes the line, holding nothing; the decoder is then replaced and the held bytes follow.
 * Either way it leaves the pipeline after the first bytes. Confined to the channel's event loop.
 */
final class ProtocolSniffer extends ChannelInboundHandlerAdapter {
  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EMPTY_LINE = {'\r', '\n'};

  private final HttpServerOptions options;
  private ByteBuf held;

  /** To be put just ahead of Vert.x's chooser; {@code options} are its server's, for the decoder. */
  ProtocolSniffer(HttpServerOptions options) {
    this.options = options;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf bytes)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (held == null) {
      held = bytes;
    } else {
      held = Unpooled.wrappedBuffer(held, bytes);
    }
    int readable = held.readableBytes();
    int compared = Math.min(readable, PREFACE.length);
    for (int i = 0; i < compared; i++) {
      if (held.getByte(held.readerIndex() + i) != PREFACE[i]) {
        http1(ctx);
        return;
      }
    }
    if (readable >= PREFACE.length) {
      http2(ctx);
    }
    // else: a prefix of the preface so far; wait for more
  }

  private void http2(ChannelHandlerContext ctx) {
    ByteBuf bytes = held;
    held = null;
    ctx.pipeline().remove(this);
    ctx.fireChannelRead(bytes); // to the chooser, which sets HTTP/2 up
  }

  private void http1(ChannelHandlerContext ctx) {
    ByteBuf bytes = held;
    held = null;
    ctx.fireChannelRead(Unpooled.wrappedBuffer(EMPTY_LINE)); // the chooser sets HTTP/1.1 up; its decoder skips the line
    if (ctx.pipeline().get(HttpObjectDecoder.class) != null) {
      ctx.pipeline().replace(HttpObjectDecoder.class, "httpDecoder", new StrictRequestDecoder(options));
    }
    ctx.pipeline().remove(this);
    ctx.fireChannelRead(bytes);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (held != null) {
      held.release(); // the connection ended before its protocol was known
      held = null;
    }
  }
}
