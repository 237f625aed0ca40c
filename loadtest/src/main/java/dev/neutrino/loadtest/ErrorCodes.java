package dev.neutrino.loadtest;

import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;

/**
 * The error codes a run counts failures by: the HTTP status or gRPC status name the server answered,
 * or what went wrong on the client side. Codes are shared string constants, so that counting one
 * allocates nothing.
 */
final class ErrorCodes {
  static final String TIMEOUT = "timeout";
  static final String CONNECTION_REFUSED = "connection_refused";
  static final String CONNECTION_CLOSED = "connection_closed";
  static final String STREAM_RESET = "stream_reset";
  static final String CLIENT_BUSY = "client_busy";
  static final String IO_ERROR = "io_error";
  static final String BAD_RESPONSE = "bad_response";
  /** The answer's outputs differ from what the input file's {@code validation_data} expects. */
  static final String VALIDATION = "validation";

  private static final String[] HTTP = new String[600];

  static {
    for (int i = 0; i < HTTP.length; i++) {
      HTTP[i] = Integer.toString(i).intern();
    }
  }

  private ErrorCodes() {}

  /** The code of an HTTP status, for example {@code "429"}. */
  static String http(int status) {
    return status >= 0 && status < HTTP.length ? HTTP[status] : Integer.toString(status);
  }

  /** The code of a client-side failure. */
  static String of(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String name = t.getClass().getSimpleName();
      if (t instanceof TimeoutException || name.contains("Timeout")) {
        return TIMEOUT;
      }
      if (t instanceof ConnectException) {
        return CONNECTION_REFUSED;
      }
      if (name.equals("HttpClosedException") || t instanceof ClosedChannelException) {
        return CONNECTION_CLOSED;
      }
      if (name.equals("StreamResetException")) {
        return STREAM_RESET;
      }
      if (name.equals("ConnectionPoolTooBusyException")) {
        return CLIENT_BUSY;
      }
    }
    String message = failure.getMessage();
    if (message != null && message.toLowerCase(java.util.Locale.ROOT).contains("closed")) {
      return CONNECTION_CLOSED;
    }
    return IO_ERROR;
  }
}
