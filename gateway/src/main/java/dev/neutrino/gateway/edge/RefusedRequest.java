package dev.neutrino.gateway.edge;

/**
 * Why the gateway's HTTP/1.1 decoder refused a request ({@link StrictRequestDecoder}): the decoder
 * result's cause, whose message is the answer's. Cheap: no stack trace.
 */
public final class RefusedRequest extends RuntimeException {
  RefusedRequest(String message) {
    super(message, null, false, false);
  }
}
