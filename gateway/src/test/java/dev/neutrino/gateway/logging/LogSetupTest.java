package dev.neutrino.gateway.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogManager;
import org.junit.jupiter.api.Test;

/**
 * The process's logging setup, installed over this test JVM's and then put back: JDK loggers,
 * {@code System.Logger}s and Vert.x's own logger all come out as JSON lines at the chosen level.
 */
class LogSetupTest {

  @Test
  void everyLoggerWritesJsonLinesAtTheChosenLevel() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      LogSetup setup = LogSetup.install(Level.WARNING, true, new PrintStream(bytes, true, StandardCharsets.UTF_8));
      assertEquals(Level.WARNING, setup.level());
      assertTrue(setup.accessLogOn(), "the access log is on whatever the level");
      System.Logger system = System.getLogger("dev.neutrino.test.LogSetupTest");
      system.log(System.Logger.Level.INFO, "below the level");
      system.log(System.Logger.Level.WARNING, "from System.Logger");
      java.util.logging.Logger.getLogger("dev.neutrino.test.jul").severe("from java.util.logging");
      io.vertx.core.internal.logging.LoggerFactory.getLogger("dev.neutrino.test.vertx").warn("from Vert.x");
      AccessLog.create(true).log(new LogFields.Access("http", "GET", "/v2/health/live", "200", 5, null, null, null));
      List<JsonNode> lines = new ArrayList<>();
      for (String line : bytes.toString(StandardCharsets.UTF_8).split("\n")) {
        lines.add(new ObjectMapper().readTree(line));
      }
      List<String> messages = lines.stream().map(l -> l.get("message").asText()).toList();
      assertFalse(messages.contains("below the level"), String.valueOf(messages));
      assertTrue(messages.contains("from System.Logger"), String.valueOf(messages));
      assertTrue(messages.contains("from java.util.logging"), String.valueOf(messages));
      assertTrue(messages.contains("from Vert.x"), String.valueOf(messages));
      assertTrue(lines.stream().anyMatch(l -> "/v2/health/live".equals(l.path("path").asText())), "the access line");
    } finally {
      LogManager.getLogManager().readConfiguration(); // this JVM's own logging again
    }
  }
}
