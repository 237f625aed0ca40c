package dev.neutrino.gateway.logging;

import java.io.PrintStream;
import java.util.logging.ErrorManager;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

/**
 * Writes each record as one JSON line ({@link JsonLogFormatter}) to a stream, standard output by
 * default, flushing after every line so that nothing is lost when the process stops. One
 * {@code print} per line: concurrent records never interleave within a line.
 */
public final class JsonLogHandler extends Handler {
  private final PrintStream out;

  public JsonLogHandler(PrintStream out) {
    this.out = out;
    setFormatter(new JsonLogFormatter());
  }

  @Override
  public void publish(LogRecord record) {
    if (!isLoggable(record)) {
      return;
    }
    String line;
    try {
      line = getFormatter().format(record);
    } catch (RuntimeException e) {
      reportError("cannot format a log record", e, ErrorManager.FORMAT_FAILURE);
      return;
    }
    out.print(line);
    out.flush();
  }

  @Override
  public void flush() {
    out.flush();
  }

  @Override
  public void close() {
    flush();
  }
}
