package dev.neutrino.gateway.logging;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One gateway's access log: a line per request (inference or not, HTTP or gRPC) on the logger
 * {@value #LOGGER_NAME}, whose fields {@link JsonLogFormatter} writes. Off unless the gateway's
 * configuration turns it on; off, {@link #enabled()} is false and front ends skip the bookkeeping.
 * Thread-safe.
 */
public final class AccessLog {
  public static final String LOGGER_NAME = "neutrino.access";
  private static final AccessLog OFF = new AccessLog(null);

  private final Logger logger;

  private AccessLog(Logger logger) {
    this.logger = logger;
  }

  /** An access log that writes when {@code enabled}, else nothing. */
  public static AccessLog create(boolean enabled) {
    return enabled ? new AccessLog(Logger.getLogger(LOGGER_NAME)) : OFF;
  }

  public boolean enabled() {
    return logger != null;
  }

  public void log(LogFields.Access line) {
    if (logger != null && logger.isLoggable(Level.INFO)) {
      // The path stays out of the message: it is the client's text, and braces in a message are
      // formatting directives to java.util.logging.
      logger.log(Level.INFO, line.protocol() + " " + line.method() + " " + line.status(), line);
    }
  }
}
