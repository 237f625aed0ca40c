package dev.neutrino.gateway.edge;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.ContentLengthNotAllowedException;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.Http2Settings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Vert.x's HTTP/1.1 request decoder, failing two request shapes Vert.x would otherwise take in or
 * leave hanging. A failed request reaches the server's invalid-request handler, which answers 400
 * naming the problem and closes the connection; nothing after a refused request is decoded.
 *
 * <ul>
 *   <li>{@code Content-Length} together with {@code Transfer-Encoding: chunked}: the shape of request
 *       smuggling (RFC 9112 6.1). Netty 4.2.18 refuses it without naming why; Netty 4.2.9 (or 4.2.18
 *       with {@code io.netty.handler.codec.http.rfc9112TransferEncoding=false}) dropped the length and
 *       read the body chunked, which a proxy in front may not have done.
 *   <li>{@code Upgrade: h2c} without a valid {@code HTTP2-Settings} header (or without both names in
 *       {@code Connection}): Vert.x answers such an upgrade 400 with neither a length nor a close, and
 *       the client waits for ever. The {@code Upgrade} header is taken off, so that the failure takes
 *       the invalid-request path. A valid upgrade is left to Vert.x (101, then HTTP/2).
 * </ul>
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {
  /** Set at a refused request: nothing after it is decoded, so no request pipelined behind it is served. */
  private boolean refused;

  StrictRequestDecoder(HttpServerOptions options) {
    super(options);
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    refused = true;
    try {
      super.handleTransferEncodingChunkedWithContentLength(message);
    } catch (ContentLengthNotAllowedException unnamed) {
      // Netty 4.2.18 refuses the shape too (RFC 9112), with a failure the answer could not name.
    }
    message.setDecoderResult(DecoderResult.failure(new RefusedRequest("a request may not carry both Content-Length and "
        + "Transfer-Encoding: chunked (RFC 9112 6.1); send one of them")));
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
    if (refused) {
      buffer.skipBytes(buffer.readableBytes()); // the connection is closed once the refusal is answered
      return;
    }
    int before = out.size();
    super.decode(ctx, buffer, out);
    for (int i = before; i < out.size(); i++) {
      if (out.get(i) instanceof HttpRequest request) {
        checkUpgrade(request);
      }
    }
  }

  private void checkUpgrade(HttpRequest request) {
    HttpHeaders headers = request.headers();
    String upgrade = headers.get(HttpHeaderNames.UPGRADE);
    if (upgrade == null || !upgrade.toLowerCase(Locale.ROOT).contains("h2c") || validH2cUpgrade(headers)) {
      return;
    }
    headers.remove(HttpHeaderNames.UPGRADE);
    refused = true;
    if (request.decoderResult().isSuccess()) {
      request.setDecoderResult(DecoderResult.failure(new RefusedRequest("Upgrade: h2c needs a valid HTTP2-Settings header, "
          + "named with Upgrade in Connection (RFC 7540 3.2); or speak HTTP/2 with prior knowledge")));
    }
  }

  /** As Vert.x accepts an upgrade: both names in {@code Connection}, settings that decode. */
  private static boolean validH2cUpgrade(HttpHeaders headers) {
    String connection = headers.get(HttpHeaderNames.CONNECTION);
    if (connection == null) {
      return false;
    }
    boolean upgrade = false;
    boolean settings = false;
    for (String token : connection.split(",")) {
      String name = token.trim().toLowerCase(Locale.ROOT);
      upgrade |= name.equals("upgrade");
      settings |= name.equals("http2-settings");
    }
    return upgrade && settings && settings(headers.get("HTTP2-Settings"));
  }

  /** Whether {@code value} is a SETTINGS payload in base64url: whole six-byte settings, each value allowed. */
  private static boolean settings(String value) {
    if (value == null) {
      return false;
    }
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(value.trim());
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (bytes.length % 6 != 0) {
      return false;
    }
    Http2Settings settings = new Http2Settings();
    try {
      for (int at = 0; at < bytes.length; at += 6) {
        char id = (char) ((bytes[at] & 0xFF) << 8 | bytes[at + 1] & 0xFF);
        long v = (bytes[at + 2] & 0xFFL) << 24 | (bytes[at + 3] & 0xFFL) << 16 | (bytes[at + 4] & 0xFFL) << 8
            | bytes[at + 5] & 0xFFL;
        settings.put(id, Long.valueOf(v));
      }
    } catch (IllegalArgumentException e) {
      return false;
    }
    return true;
  }
}
