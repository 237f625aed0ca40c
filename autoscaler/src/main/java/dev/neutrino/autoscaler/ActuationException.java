package dev.neutrino.autoscaler;

/** Reading or setting a target's replicas failed; the message says why, without a stack trace. */
public final class ActuationException extends Exception {

  private static final long serialVersionUID = 1L;

  public ActuationException(String message) {
    super(message, null, false, false);
  }
}
