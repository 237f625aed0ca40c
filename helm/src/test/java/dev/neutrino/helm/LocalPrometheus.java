package dev.neutrino.helm;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Debian's Prometheus (and its promtool) as child processes, the way the autoscaler's integration tests run
 * it: a temporary configuration, storage under a given folder, a free loopback port, a bounded lifetime.
 * {@code ./neutrino test} installs the package when it is missing.
 */
final class LocalPrometheus implements AutoCloseable {

  static final Path PROMETHEUS = onPath("prometheus").orElse(Path.of("/usr/bin/prometheus"));
  static final Path PROMTOOL = onPath("promtool").orElse(Path.of("/usr/bin/promtool"));
  private static final Duration READY_WITHIN = Duration.ofSeconds(30);
  /** What Prometheus logs (level info) once it listens, with the port it was given. */
  private static final Pattern LISTENING = Pattern.compile("msg=\"Listening on\" address=127\\.0\\.0\\.1:(\\d+)");

  private final Process process;
  final URI url;
  private final Path log;

  private LocalPrometheus(Process process, URI url, Path log) {
    this.process = process;
    this.url = url;
    this.log = log;
  }

  static Path require(Path binary) {
    if (!Files.isExecutable(binary)) {
      fail(binary.getFileName() + " is needed on the PATH (or at " + binary + ") and is missing: ./neutrino test "
          + "installs Debian's prometheus package (apt-get install -y prometheus) before mvn verify");
    }
    return binary;
  }

  /**
   * Starts Prometheus evaluating {@code rules} every second and scraping {@code target} every second as job
   * {@code job}, with {@code namespace} as a target label (what the Prometheus Operator adds).
   */
  static LocalPrometheus start(Path dir, Path rules, String job, String namespace, String target)
      throws IOException, InterruptedException {
    require(PROMETHEUS);
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files:
          - %s
        scrape_configs:
          - job_name: %s
            scrape_interval: 1s
            scrape_timeout: 900ms
            static_configs:
              - targets: ['%s']
                labels:
                  namespace: %s
        """.formatted(rules.toAbsolutePath(), job, target, namespace));
    Path log = dir.resolve("prometheus.log");
    // Port 0, read back from the line it logs (level info) once it listens.
    Process process = Gateways.start(List.of(PROMETHEUS.toString(),
        "--config.file=" + config.toAbsolutePath(),
        "--storage.tsdb.path=" + dir.resolve("data").toAbsolutePath(),
        "--web.listen-address=127.0.0.1:0",
        "--log.level=info"), java.util.Map.of(), log);
    LocalPrometheus p = null;
    try {
      int port = Integer.parseInt(Gateways.awaitLine(process, log, LISTENING).group(1));
      p = new LocalPrometheus(process, URI.create("http://127.0.0.1:" + port), log);
      Instant deadline = Instant.now().plus(READY_WITHIN);
      while (true) {
        if (!process.isAlive()) {
          fail("prometheus exited with " + process.exitValue() + ": " + Files.readString(log));
        }
        try {
          if (Gateways.get(p.url.resolve("/-/ready")).statusCode() == 200) {
            return p;
          }
        } catch (IOException notYet) {
          // not listening yet
        }
        if (Instant.now().isAfter(deadline)) {
          fail("prometheus not ready within " + READY_WITHIN + ": " + Files.readString(log));
        }
        Thread.sleep(100);
      }
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      Gateways.stop(process);
      throw e;
    }
  }

  String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() {
    try {
      Gateways.stop(process);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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
