package dev.neutrino.gateway.generate;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/**
 * Writes a response as server-sent events: {@code text/event-stream}, each event one {@code data:}
 * line and a blank line. On the response's event loop only.
 */
public final class ServerSentEvents {
  private static final Buffer PREFIX = Buffer.buffer("data: ");
  private static final Buffer END_OF_EVENT = Buffer.buffer("\n\n");

  private final HttpServerResponse response;
  private boolean begun;

  public ServerSentEvents(HttpServerResponse response) {
    this.response = response;
  }

  /** Whether the status and headers have gone out (an error must then be an event). */
  public boolean begun() {
    return begun;
  }

  /** Sends one event whose data is {@code json} (a single line). */
  public void send(Buffer json) {
    if (response.closed() || response.ended()) {
      return;
    }
    if (!begun) {
      begun = true;
      response.setStatusCode(200).setChunked(true)
          .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
    }
    response.write(Buffer.buffer(json.length() + 8).appendBuffer(PREFIX).appendBuffer(json).appendBuffer(END_OF_EVENT));
  }

  /** Sends {@code data: [DONE]}, OpenAI's last event. */
  public void sendDone() {
    send(Buffer.buffer("[DONE]"));
  }

  /** Ends the response. */
  public void end() {
    if (!response.closed() && !response.ended()) {
      response.end();
    }
  }
}
