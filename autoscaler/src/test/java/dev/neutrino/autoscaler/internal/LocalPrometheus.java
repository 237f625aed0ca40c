package dev.neutrino.autoscaler.internal;

import static org.junit.jupiter.api.Assertions.fail;

import dev.neutrino.autoscaler.replay.PrometheusProcess;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A real Prometheus (Debian's {@code prometheus} package) for the integration tests: the replay's
 * {@link PrometheusProcess}, scraping one target every second, and a test failure naming how to
 * install it when it is missing.
 */
final class LocalPrometheus implements AutoCloseable {

  /** The first {@code prometheus} on the PATH (where {@code ./neutrino test} installs it), else Debian's. */
  static final Path BINARY = onPath("prometheus").orElse(Path.of("/usr/bin/prometheus"));
  private static final Duration MAX_LIFETIME = Duration.ofMinutes(3);
  private static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(1);
  private static final Duration SCRAPE_TIMEOUT = Duration.ofMillis(900);

  private final PrometheusProcess process;

  private LocalPrometheus(PrometheusProcess process) {
    this.process = process;
  }

  /** Starts it scraping {@code http://SCRAPE_TARGET/metrics}. */
  static LocalPrometheus start(String scrapeTarget, Path dir) throws IOException, InterruptedException {
    if (!Files.isExecutable(BINARY)) {
      fail("Prometheus is needed on the PATH (or at " + BINARY + ") for this integration test and is missing: "
          + "./neutrino test installs Debian's package (apt-get install -y prometheus) before mvn verify");
    }
    return new LocalPrometheus(PrometheusProcess.start(BINARY, URI.create("http://" + scrapeTarget + "/metrics"),
        dir, MAX_LIFETIME, SCRAPE_INTERVAL, SCRAPE_TIMEOUT));
  }

  URI url() {
    return process.url();
  }

  @Override
  public void close() {
    process.close();
  }

  private static Optional<Path> onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return Optional.of(Path.of(dir, command));
      }
    }
    return Optional.empty();
  }
}
