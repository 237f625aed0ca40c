package dev.neutrino.gateway.security;

import java.util.concurrent.TimeUnit;

/**
 * The audit trail of repository changes: every load and unload requested over HTTP or gRPC is logged
 * once it is done, at INFO on the logger {@value #LOGGER_NAME}, with who asked (the peer address), the
 * model, the outcome ({@code ok} or the error) and how long it took. Stateless and thread-safe.
 */
public final class RepositoryAudit {
  public static final String LOGGER_NAME = "neutrino.repository.audit";
  private static final System.Logger LOG = System.getLogger(LOGGER_NAME);
  private static final int MAX_QUOTED = 200;

  private RepositoryAudit() {}

  /** A change requested and not yet done. Use once, on any thread. */
  public static final class Change {
    private final String protocol;
    private final String action;
    private final String model;
    private final String peer;
    private final long startedNanos;

    private Change(String protocol, String action, String model, String peer, long startedNanos) {
      this.protocol = protocol;
      this.action = action;
      this.model = model;
      this.peer = peer;
      this.startedNanos = startedNanos;
    }

    /**
     * Logs the change's outcome.
     *
     * @param failure why it failed, or null when it succeeded
     */
    public void finished(Throwable failure) {
      long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - startedNanos);
      LOG.log(System.Logger.Level.INFO, line(protocol, action, model, peer, failure, micros));
    }
  }

  /**
   * A change starts now.
   *
   * @param protocol {@code http} or {@code grpc}
   * @param action {@code load} or {@code unload}
   * @param peer the client's address as the connection reports it
   */
  public static Change started(String protocol, String action, String model, String peer) {
    return new Change(protocol, action, model, peer, System.nanoTime());
  }

  /** The log line of one change: {@code repository load of model 'm' by 127.0.0.1:5000 over http: ok in 12.345 ms}. */
  static String line(String protocol, String action, String model, String peer, Throwable failure, long micros) {
    Throwable cause = failure;
    while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String outcome = cause == null ? "ok" : "failed: " + clean(String.valueOf(cause.getMessage()));
    return "repository " + action + " of model '" + clean(model) + "' by " + peer + " over " + protocol + ": "
        + outcome + " in " + String.format(java.util.Locale.ROOT, "%.3f", micros / 1000.0) + " ms";
  }

  /** Client text made safe for one log line: control characters replaced, length bounded. */
  private static String clean(String text) {
    return ClientText.printable(text, MAX_QUOTED);
  }
}
