package dev.neutrino.gateway.logging;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Formats each {@link LogRecord} as one JSON object on one line: {@code time} (ISO-8601, UTC),
 * {@code level}, {@code logger}, {@code message}, then the fields of any {@link LogFields} among the
 * record's parameters ({@code request_id}, {@code model}, {@code version}, and an access line's
 * {@code protocol}, {@code method}, {@code path}, {@code status} (a number for HTTP), {@code duration_us}), then
 * {@code error} and {@code stack} when it carries a throwable. Newlines inside values are escaped,
 * so a line is always one object.
 *
 * <p>Levels use the usual names: SEVERE is ERROR, WARNING is WARN, FINE is DEBUG, FINER and FINEST
 * are TRACE. Thread-safe.
 */
public final class JsonLogFormatter extends Formatter {
  private static final JsonFactory JSON = new JsonFactory();

  @Override
  public String format(LogRecord record) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("time", Instant.ofEpochMilli(record.getMillis()).toString());
      json.writeStringField("level", levelName(record.getLevel()));
      json.writeStringField("logger", record.getLoggerName() == null ? "" : record.getLoggerName());
      json.writeStringField("message", message(record));
      Object[] parameters = record.getParameters();
      if (parameters != null) {
        for (Object parameter : parameters) {
          if (parameter instanceof LogFields fields) {
            writeFields(json, fields);
          }
        }
      }
      Throwable thrown = record.getThrown();
      if (thrown != null) {
        json.writeStringField("error", thrown.toString());
        StringWriter stack = new StringWriter();
        thrown.printStackTrace(new PrintWriter(stack));
        json.writeStringField("stack", stack.toString());
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.append('\n').toString();
  }

  private String message(LogRecord record) {
    try {
      String message = formatMessage(record);
      return message == null ? "" : message;
    } catch (RuntimeException e) {
      return String.valueOf(record.getMessage());
    }
  }

  private static void writeFields(JsonGenerator json, LogFields fields) throws IOException {
    if (fields instanceof LogFields.Request request) {
      optional(json, "request_id", request.requestId());
      optional(json, "model", request.model());
      optional(json, "version", request.version());
    } else if (fields instanceof LogFields.Access access) {
      json.writeStringField("protocol", access.protocol());
      json.writeStringField("method", access.method());
      json.writeStringField("path", access.path());
      if (isHttpStatus(access.status())) {
        json.writeNumberField("status", Integer.parseInt(access.status()));
      } else {
        json.writeStringField("status", access.status());
      }
      json.writeNumberField("duration_us", access.durationMicros());
      optional(json, "model", access.model());
      optional(json, "version", access.version());
      optional(json, "request_id", access.requestId());
    }
  }

  private static boolean isHttpStatus(String status) {
    return status != null && status.length() == 3 && status.chars().allMatch(Character::isDigit);
  }

  private static void optional(JsonGenerator json, String name, String value) throws IOException {
    if (value != null && !value.isEmpty()) {
      json.writeStringField(name, value);
    }
  }

  static String levelName(Level level) {
    int value = level.intValue();
    if (value >= Level.SEVERE.intValue()) {
      return "ERROR";
    }
    if (value >= Level.WARNING.intValue()) {
      return "WARN";
    }
    if (value >= Level.INFO.intValue()) {
      return "INFO";
    }
    if (value >= Level.FINE.intValue()) {
      return "DEBUG";
    }
    return "TRACE";
  }
}
