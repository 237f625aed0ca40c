package dev.neutrino.gateway;

import dev.neutrino.gateway.logging.LogFields;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The records one {@code java.util.logging} logger publishes while this is open: the access log
 * ({@code AccessLog.LOGGER_NAME}) or the repository audit, for the tests that read them. Public for
 * the tests of the front-end packages. Thread-safe: records arrive on the gateway's threads.
 */
public final class CapturedLog implements AutoCloseable {
  private final Logger logger;
  private final List<LogRecord> records = new ArrayList<>();
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord record) {
      synchronized (records) {
        records.add(record);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  private CapturedLog(Logger logger) {
    this.logger = logger;
    logger.addHandler(handler);
  }

  /** Starts capturing what the logger named {@code loggerName} publishes. */
  public static CapturedLog of(String loggerName) {
    return new CapturedLog(Logger.getLogger(loggerName));
  }

  /** The records so far, oldest first. */
  public List<LogRecord> records() {
    synchronized (records) {
      return List.copyOf(records);
    }
  }

  /** Each record's message, as logged (not formatted). */
  public List<String> messages() {
    return records().stream().map(LogRecord::getMessage).toList();
  }

  /** The access-log lines among the records' parameters. */
  public List<LogFields.Access> accessLines() {
    List<LogFields.Access> lines = new ArrayList<>();
    for (LogRecord record : records()) {
      for (Object parameter : record.getParameters() == null ? new Object[0] : record.getParameters()) {
        if (parameter instanceof LogFields.Access line) {
          lines.add(line);
        }
      }
    }
    return lines;
  }

  @Override
  public void close() {
    logger.removeHandler(handler);
  }
}
