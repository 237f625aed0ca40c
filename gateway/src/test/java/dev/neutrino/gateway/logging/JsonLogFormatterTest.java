package dev.neutrino.gateway.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class JsonLogFormatterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final JsonLogFormatter formatter = new JsonLogFormatter();

  private static JsonNode parseOneLine(String line) throws Exception {
    assertTrue(line.endsWith("\n"), "ends the line");
    assertEquals(line.length() - 1, line.indexOf('\n'), "one line: " + line);
    JsonNode node = JSON.readTree(line);
    assertTrue(node.isObject());
    return node;
  }

  @Test
  void writesTimeLevelLoggerAndMessage() throws Exception {
    LogRecord record = new LogRecord(Level.WARNING, "queue of model {0} is full");
    record.setLoggerName("dev.neutrino.batching.DynamicBatcher");
    record.setParameters(new Object[] {"simple"});
    record.setInstant(Instant.parse("2025-01-02T03:04:05.678Z"));
    JsonNode node = parseOneLine(formatter.format(record));
    assertEquals("2025-01-02T03:04:05.678Z", node.get("time").asText());
    assertEquals("WARN", node.get("level").asText());
    assertEquals("dev.neutrino.batching.DynamicBatcher", node.get("logger").asText());
    assertEquals("queue of model simple is full", node.get("message").asText());
  }

  @Test
  void keepsMultiLineMessagesAndStackTracesOnOneLine() throws Exception {
    LogRecord record = new LogRecord(Level.SEVERE, "first line\nsecond \"quoted\" line\t\u0001");
    record.setLoggerName("x");
    record.setThrown(new IllegalStateException("boom\nagain"));
    JsonNode node = parseOneLine(formatter.format(record));
    assertEquals("ERROR", node.get("level").asText());
    assertEquals("first line\nsecond \"quoted\" line\t\u0001", node.get("message").asText());
    assertEquals("java.lang.IllegalStateException: boom\nagain", node.get("error").asText());
    assertTrue(node.get("stack").asText().contains("keepsMultiLineMessagesAndStackTracesOnOneLine"));
  }

  @Test
  void addsRequestFieldsWhereKnown() throws Exception {
    LogRecord record = new LogRecord(Level.INFO, "request failed");
    record.setParameters(new Object[] {new LogFields.Request("req-7", "simple", "1")});
    JsonNode node = parseOneLine(formatter.format(record));
    assertEquals("req-7", node.get("request_id").asText());
    assertEquals("simple", node.get("model").asText());
    assertEquals("1", node.get("version").asText());

    LogRecord unknown = new LogRecord(Level.INFO, "no request here");
    unknown.setParameters(new Object[] {new LogFields.Request("", null, null)});
    JsonNode bare = parseOneLine(formatter.format(unknown));
    assertFalse(bare.has("request_id"));
    assertFalse(bare.has("model"));
    assertEquals("", bare.get("logger").asText(), "a record without a logger name still has the field");
  }

  @Test
  void writesAccessLines() throws Exception {
    LogRecord record = new LogRecord(Level.INFO, "http POST 429");
    record.setLoggerName(AccessLog.LOGGER_NAME);
    record.setParameters(new Object[] {new LogFields.Access("http", "POST", "/v2/models/simple/infer", "429", 123,
        "simple", "1", "abc")});
    JsonNode node = parseOneLine(formatter.format(record));
    assertEquals("POST", node.get("method").asText());
    assertEquals("/v2/models/simple/infer", node.get("path").asText());
    assertEquals(429, node.get("status").asInt());
    assertTrue(node.get("status").isInt(), "an HTTP status is a number");
    assertEquals(123, node.get("duration_us").asLong());
    assertEquals("simple", node.get("model").asText());

    LogRecord grpc = new LogRecord(Level.INFO, "grpc POST OK");
    grpc.setParameters(new Object[] {new LogFields.Access("grpc", "POST",
        "/inference.GRPCInferenceService/ModelInfer", "OK", 50, null, null, null)});
    assertEquals("OK", parseOneLine(formatter.format(grpc)).get("status").asText());
  }

  @Test
  void handlerWritesEachRecordAsOneLine() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    JsonLogHandler handler = new JsonLogHandler(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    Logger logger = Logger.getLogger("dev.neutrino.test.JsonLogFormatterTest");
    logger.setUseParentHandlers(false);
    logger.addHandler(handler);
    try {
      logger.info("one");
      logger.log(Level.WARNING, "two\nlines", new RuntimeException("x"));
      System.getLogger("dev.neutrino.test.JsonLogFormatterTest").log(System.Logger.Level.INFO, "three {0}", "3");
    } finally {
      logger.removeHandler(handler);
    }
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(3, lines.length);
    assertEquals("one", JSON.readTree(lines[0]).get("message").asText());
    assertEquals("two\nlines", JSON.readTree(lines[1]).get("message").asText());
    assertEquals("three 3", JSON.readTree(lines[2]).get("message").asText());
  }

  @Test
  void parsesLogLevels() {
    assertEquals(Level.FINE, LogSetup.parseLevel("DEBUG"));
    assertEquals(Level.WARNING, LogSetup.parseLevel("warn"));
    assertEquals(Level.SEVERE, LogSetup.parseLevel("error"));
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> LogSetup.parseLevel("loud"));
    assertTrue(e.getMessage().contains("loud"));
  }
}
