package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The capacity probe end to end: the load generator's windows against a real gateway on loopback,
 * in windows of a fifth of a second. Figures are not asserted, only that every window reached the
 * server and the probe's answer is what its windows measured.
 */
@Timeout(120)
class CapacityProbeGatewayTest {
  @Test
  void probesARealGatewayThenSearchesFromTheMedian(@TempDir Path repository) throws Exception {
    Gateway gateway = IdentityGateway.start(repository, "identity");
    CapacityProbe.Settings settings = new CapacityProbe.Settings(Duration.ofMillis(200), 3, Duration.ofSeconds(2),
        Duration.ofMillis(100), Duration.ofMillis(200), 2, Duration.ofSeconds(5), 0);
    List<String> labels = new ArrayList<>();
    List<LevelResult> windows = new ArrayList<>();
    CapacityProbe.Result result;
    try {
      CpuMeter meter = new CpuMeter();
      try (GeneratorWindows generator = new GeneratorWindows(Endpoint.http("127.0.0.1", gateway.httpPort()),
          ClientSettings.of("identity", Protocol.HTTP_BINARY, 4), meter, 4, settings.highestRateFactor(),
          (label, r) -> {
            labels.add(label);
            windows.add(r);
          })) {
        result = new CapacityProbe(settings, System::nanoTime).run(generator);
      }
    } finally {
      IdentityGateway.stop(gateway);
    }

    int warmups = result.warmupRps().size();
    List<Double> all = new ArrayList<>(result.warmupRps());
    all.addAll(result.samplesRps());
    assertEquals(CapacityProbe.stoppedRising(all, 3), result.warmupSettled(),
        "settled exactly when the windows had stopped rising: " + all);
    assertTrue(!result.warmupSettled() || warmups >= CapacityProbe.MIN_WARMUP_WINDOWS, "settled only after a warm-up");
    assertEquals(warmups > 0, result.warmupSeconds() > 0);
    assertEquals(3, result.samples().size());
    for (LevelResult sample : result.samples()) {
      assertEquals(LoadSpec.Mode.CLOSED, sample.spec().mode());
      assertEquals(4, sample.spec().concurrency());
      assertTrue(sample.ok() > 0 && sample.errors().isEmpty(), "answered: " + sample.ok() + ", " + sample.errors());
    }
    assertEquals(CapacityProbe.median(result.samplesRps()), result.capacityRps());
    assertFalse(result.steps().isEmpty());
    assertEquals(result.capacityRps(), result.steps().get(0).rate(), "the search starts at the capacity");
    for (CapacityProbe.Step step : result.steps()) {
      assertEquals(LoadSpec.Mode.OPEN, step.result().spec().mode());
      // The step reached the server: its requests were served, or refused (a refusal is the server's answer).
      long answered = step.result().ok() + step.result().refused();
      assertTrue(answered > 0, "answered in open loop: " + step.result().ok() + ", " + step.result().errors());
      assertEquals(CapacityProbe.good(step.result(), 0), step.good());
    }
    List<String> closed = new ArrayList<>();
    for (int i = 1; i <= warmups + 3; i++) {
      closed.add("window " + i);
    }
    assertEquals(closed, labels.subList(0, warmups + 3));
    assertEquals("step 1", labels.get(warmups + 3));
    assertEquals(warmups + 3 + result.steps().size(), windows.size(), "every window reported as it ended");
  }
}
