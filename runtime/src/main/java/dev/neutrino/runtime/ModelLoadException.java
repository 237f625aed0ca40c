package dev.neutrino.runtime;

/** A model could not be loaded. The message is safe to show a client: it names no file path. */
public final class ModelLoadException extends Exception {
  private static final long serialVersionUID = 1L;

  public ModelLoadException(String message) {
    super(message);
  }

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
