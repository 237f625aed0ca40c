package dev.neutrino.gateway.logging;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * The serving process's logging: every {@code java.util.logging} and {@code System.Logger} record
 * (Vert.x and Netty log through them too) as one JSON object per line on standard output, at the
 * level {@code --log-level} names, and the access log ({@link AccessLog#LOGGER_NAME}) at INFO when
 * {@code --access-log} is on, whatever that level.
 *
 * <p>Logging is configured once per process, by {@code Main}, never by a gateway: several gateways in
 * one JVM (the tests) leave it alone. Keep the returned object for the life of the process: it holds
 * the loggers whose level it set (the JDK keeps loggers only weakly).
 */
public final class LogSetup {
  /** The {@code --log-level} values and what they mean. */
  public static final Map<String, Level> LEVELS = Map.of(
      "error", Level.SEVERE,
      "warn", Level.WARNING,
      "warning", Level.WARNING,
      "info", Level.INFO,
      "debug", Level.FINE,
      "trace", Level.FINEST);
  public static final String DEFAULT_LEVEL = "info";

  private final Logger root;
  private final Logger access;

  private LogSetup(Logger root, Logger access) {
    this.root = root;
    this.access = access;
  }

  /**
   * Parses a {@code --log-level} value.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Level parseLevel(String name) {
    Level level = LEVELS.get(name.toLowerCase(Locale.ROOT));
    if (level == null) {
      throw new IllegalArgumentException("log level must be one of error, warn, info, debug, trace; got '"
          + name + "'");
    }
    return level;
  }

  /** Replaces the process's log handlers with one JSON handler on {@code out}. */
  public static LogSetup install(Level level, boolean accessLog, PrintStream out) {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    for (Handler handler : root.getHandlers()) {
      root.removeHandler(handler);
    }
    JsonLogHandler handler = new JsonLogHandler(out);
    handler.setLevel(Level.ALL);
    root.addHandler(handler);
    root.setLevel(level);
    Logger access = Logger.getLogger(AccessLog.LOGGER_NAME);
    access.setLevel(accessLog ? Level.INFO : Level.OFF);
    return new LogSetup(root, access);
  }

  /** The level the root logger is at. */
  public Level level() {
    return root.getLevel();
  }

  /** Whether access lines are written. */
  public boolean accessLogOn() {
    return access.isLoggable(Level.INFO);
  }
}
