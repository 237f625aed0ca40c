package dev.neutrino.gateway.http;

import dev.neutrino.runtime.InferenceException;

/** The one place where domain errors become HTTP status codes (DESIGN.md, "Errors"). */
final class HttpStatusMapping {
  private HttpStatusMapping() {}

  static int status(InferenceException.Kind kind) {
    return switch (kind) {
      case INVALID_INPUT -> 400;
      case NOT_FOUND -> 404;
      case NOT_READY -> 503;
      case OVERLOADED -> 429;
      case DEADLINE_EXCEEDED -> 504;
      // The client is gone; if the connection still stands, 499 is the conventional "client closed".
      case CANCELLED -> 499;
      case BACKEND_FAILURE -> 500;
      case UNAUTHENTICATED -> 401;
      case FORBIDDEN -> 403;
      case TOO_LARGE -> 413;
    };
  }
}
