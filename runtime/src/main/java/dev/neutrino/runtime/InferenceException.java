package dev.neutrino.runtime;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The failures of the request path: one small sealed family, carried by failed futures and mapped to
 * HTTP and gRPC in exactly one place per protocol (by {@link #kind()}).
 *
 * <p>These are expected outcomes, not bugs: they carry no stack trace, so refusing a request is cheap.
 * Messages are meant for the client: they name the input or model at fault and never a file path.
 */
public abstract sealed class InferenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, in the terms of the wire protocols. */
  public enum Kind {
    INVALID_INPUT,
    NOT_FOUND,
    NOT_READY,
    OVERLOADED,
    DEADLINE_EXCEEDED,
    CANCELLED,
    BACKEND_FAILURE,
    UNAUTHENTICATED,
    FORBIDDEN,
    TOO_LARGE
  }

  private InferenceException(String message, Throwable cause) {
    super(message, cause, false, false);
  }

  public abstract Kind kind();

  /**
   * What a failed future failed with: {@code failure} without the {@link CompletionException} and
   * {@link ExecutionException} wrappers that stages add, and a JDK {@link CancellationException} as
   * {@link Cancelled}. The one place causes are unwrapped; anything else comes back as it is.
   */
  public static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof CancellationException) {
      return new Cancelled("the request was cancelled");
    }
    return cause;
  }

  /** Shape, datatype, size, an unknown input or output: the client's request is wrong. */
  public static final class InvalidInput extends InferenceException {
    private static final long serialVersionUID = 1L;

    public InvalidInput(String message) {
      super(message, null);
    }

    @Override
    public Kind kind() {
      return Kind.INVALID_INPUT;
    }
  }

  /** The model, or the version of it, does not exist. */
  public static final class NotFound extends InferenceException {
    private static final long serialVersionUID = 1L;

    public NotFound(String message) {
      super(message, null);
    }

    @Override
    public Kind kind() {
      return Kind.NOT_FOUND;
    }
  }

  /** The model exists but cannot serve now: loading, unloading, or failed. */
  public static final class NotReady extends InferenceException {
    private static final long serialVersionUID = 1L;
    private final Duration retryAfter;

    public NotReady(String message) {
      this(message, null);
    }

    /** @param retryAfter when the model is expected to be ready (for example while it loads), or null */
    public NotReady(String message, Duration retryAfter) {
      super(message, null);
      this.retryAfter = retryAfter;
    }

    /** When to try again, or null when unknown. */
    public Duration retryAfter() {
      return retryAfter;
    }

    @Override
    public Kind kind() {
      return Kind.NOT_READY;
    }
  }

  /** No capacity: the queue is full, or the request cannot be served before its deadline. */
  public static final class Overloaded extends InferenceException {
    private static final long serialVersionUID = 1L;
    private final Duration retryAfter;
    private final String reason;

    /**
     * @param reason a short, bounded label for metrics, such as {@code queue_full}
     * @param retryAfter when the client may usefully try again
     */
    public Overloaded(String message, String reason, Duration retryAfter) {
      super(message, null);
      this.reason = reason;
      this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
      return retryAfter;
    }

    public String reason() {
      return reason;
    }

    @Override
    public Kind kind() {
      return Kind.OVERLOADED;
    }
  }

  /** The request's deadline passed before it could run. */
  public static final class DeadlineExceeded extends InferenceException {
    private static final long serialVersionUID = 1L;

    public DeadlineExceeded(String message) {
      super(message, null);
    }

    @Override
    public Kind kind() {
      return Kind.DEADLINE_EXCEEDED;
    }
  }

  /**
   * The client went away or cancelled, and its request was withdrawn (or its answer dropped). The
   * one representation of a cancellation on the request path: a scheduler's {@code Submission}
   * fails with it, and each protocol maps it once (HTTP: no answer, counted as 499; gRPC: CANCELLED).
   */
  public static final class Cancelled extends InferenceException {
    private static final long serialVersionUID = 1L;

    public Cancelled(String message) {
      super(message, null);
    }

    @Override
    public Kind kind() {
      return Kind.CANCELLED;
    }
  }

  /** The runtime failed while running the model. The cause is kept for logs, never sent. */
  public static final class BackendFailure extends InferenceException {
    private static final long serialVersionUID = 1L;

    public BackendFailure(String message, Throwable cause) {
      super(message, cause);
    }

    @Override
    public Kind kind() {
      return Kind.BACKEND_FAILURE;
    }
  }

  /** No or bad credentials. */
  public static final class Unauthenticated extends InferenceException {
    private static final long serialVersionUID = 1L;

    public Unauthenticated(String message) {
      super(message, null);
    }

    @Override
    public Kind kind() {
      return Kind.UNAUTHENTICATED;
    }
  }

  /** Credentials that do not allow this call. */
  public static final class Forbidden extends InferenceException {
    private static final long serialVersionUID = 1L;

    public Forbidden(String message) {
      super(message, null);
    }

    @Override
    public Kind kind() {
      return Kind.FORBIDDEN;
    }
  }

  /** The request body or message is over the configured limit. */
  public static final class TooLarge extends InferenceException {
    private static final long serialVersionUID = 1L;

    public TooLarge(String message) {
      super(message, null);
    }

    @Override
    public Kind kind() {
      return Kind.TOO_LARGE;
    }
  }
}
