package dev.neutrino.gateway.grpc;

import dev.neutrino.runtime.InferenceException;
import io.vertx.grpc.common.GrpcStatus;

/**
 * The one place where failures become gRPC statuses (DESIGN.md, "Errors"). A known failure never
 * becomes UNKNOWN; anything else is INTERNAL with a message that reveals nothing of the server.
 */
final class GrpcStatusMapping {
  private static final System.Logger LOG = System.getLogger(GrpcStatusMapping.class.getName());

  private GrpcStatusMapping() {}

  /** A status and the message sent with it. */
  record Failure(GrpcStatus status, String message) {}

  static GrpcStatus status(InferenceException.Kind kind) {
    return switch (kind) {
      case INVALID_INPUT -> GrpcStatus.INVALID_ARGUMENT;
      case NOT_FOUND -> GrpcStatus.NOT_FOUND;
      case NOT_READY -> GrpcStatus.UNAVAILABLE;
      case OVERLOADED -> GrpcStatus.RESOURCE_EXHAUSTED;
      case DEADLINE_EXCEEDED -> GrpcStatus.DEADLINE_EXCEEDED;
      case CANCELLED -> GrpcStatus.CANCELLED;
      case BACKEND_FAILURE -> GrpcStatus.INTERNAL;
      case UNAUTHENTICATED -> GrpcStatus.UNAUTHENTICATED;
      case FORBIDDEN -> GrpcStatus.PERMISSION_DENIED;
      case TOO_LARGE -> GrpcStatus.RESOURCE_EXHAUSTED;
    };
  }

  /**
   * The status {@code failure} (a failed future's cause) is answered with, without logging: for
   * metrics and the access log. Unexpected failures are INTERNAL.
   */
  static GrpcStatus statusOf(Throwable failure) {
    return InferenceException.unwrap(failure) instanceof InferenceException e ? status(e.kind()) : GrpcStatus.INTERNAL;
  }

  /**
   * What to answer for {@code failure}, a failed future's cause. Unexpected failures are logged here,
   * with their stack trace, and answered as INTERNAL.
   *
   * @param what the call, for the log line, for example {@code ModelInfer}
   */
  static Failure of(Throwable failure, String what) {
    Throwable cause = InferenceException.unwrap(failure);
    if (cause instanceof InferenceException e) {
      return new Failure(status(e.kind()), e.getMessage());
    }
    LOG.log(System.Logger.Level.ERROR, "unexpected failure serving " + what, cause);
    return new Failure(GrpcStatus.INTERNAL, "internal error");
  }
}
