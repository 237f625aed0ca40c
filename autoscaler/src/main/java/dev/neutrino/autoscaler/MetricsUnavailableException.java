package dev.neutrino.autoscaler;

/** The demand of a target could not be read; the message says why, without a stack trace. */
public final class MetricsUnavailableException extends Exception {

  private static final long serialVersionUID = 1L;

  public MetricsUnavailableException(String message) {
    super(message, null, false, false);
  }
}
