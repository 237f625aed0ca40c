package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe's windows against a real server that counts the connections it accepts (the transport
 * floor, replaying a real gateway's answers): an open window after the search runs on the search's
 * connections, as overload's window at twice the capacity does, and opens none.
 */
@Timeout(120)
class GeneratorWindowsTest {
  private static final String MODEL = "identity";

  @Test
  void anOpenWindowAfterTheSearchOpensNoConnections(@TempDir Path repository) throws Exception {
    try (TransportFloor floor = TransportFloor.start(IdentityGateway.answers(repository, MODEL, false), 1)) {
      double factor = 2;
      double firstRate = 500;
      try (GeneratorWindows windows = new GeneratorWindows(floor.http(),
          ClientSettings.of(MODEL, Protocol.HTTP_BINARY, 4), new CpuMeter(), 4, factor, (label, r) -> { })) {
        assertTrue(windows.closed("window 1", Duration.ofMillis(200)).ok() > 0);
        long closed = floor.connectionsAccepted();
        assertEquals(0, windows.openConnections(), "no open window yet");
        LevelResult step = windows.open("step 1", firstRate, Duration.ofMillis(100), Duration.ofMillis(200));
        assertTrue(step.ok() > 0, step.errors().toString());
        assertEquals(GeneratorWindows.openConnections(factor * firstRate, 4), windows.openConnections(),
            "connections for the requests of the open window at the highest rate");
        long afterSearch = floor.connectionsAccepted();
        // The pool's connections, and at most one more that the client's first calls (metadata, a check) took.
        assertTrue(afterSearch > closed && afterSearch - closed <= windows.openConnections() + 1,
            closed + " then " + afterSearch);

        LevelResult twice = windows.open("2x capacity", factor * firstRate, Duration.ofMillis(100),
            Duration.ofMillis(200), Duration.ofSeconds(5));
        assertTrue(twice.ok() > 0, twice.errors().toString());
        assertEquals(LoadSpec.Mode.OPEN, twice.spec().mode());
        assertEquals(factor * firstRate, twice.spec().rate());
        assertEquals(afterSearch, floor.connectionsAccepted(), "the window ran on the search's connections");
      }
    }
  }
}
