package dev.neutrino.autoscaler.internal;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus (Debian's {@code prometheus} package) as a child process: a temporary
 * configuration scraping one target every second, storage under the given directory, listening on a
 * free loopback port. Its lifetime is bounded twice: {@link #close()} stops it, and it runs under
 * {@code timeout} so it also ends if the test JVM dies first.
 */
final class LocalPrometheus implements AutoCloseable {

  /** The first {@code prometheus} on the PATH (where {@code ./neutrino test} installs it), else Debian's. */
  static final Path BINARY = onPath("prometheus").orElse(Path.of("/usr/bin/prometheus"));
  private static final Duration MAX_LIFETIME = Duration.ofMinutes(3);
  private static final Duration READY_WITHIN = Duration.ofSeconds(30);

  private final Process process;
  private final URI url;
  private final Path log;

  private LocalPrometheus(Process process, URI url, Path log) {
    this.process = process;
    this.url = url;
    this.log = log;
  }

  static LocalPrometheus start(String scrapeTarget, Path dir) throws IOException, InterruptedException {
    if (!Files.isExecutable(BINARY)) {
      fail("Prometheus is needed on the PATH (or at " + BINARY + ") for this integration test and is missing: "
          + "./neutrino test installs Debian's package (apt-get install -y prometheus) before mvn verify");
    }
    Files.createDirectories(dir);
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: neutrino-gateway
            scrape_interval: 1s
            scrape_timeout: 900ms
            static_configs:
              - targets: ['%s']
        """.formatted(scrapeTarget));
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    List<String> command = new ArrayList<>();
    Path timeout = Path.of("/usr/bin/timeout");
    if (Files.isExecutable(timeout)) {
      command.addAll(List.of(timeout.toString(), Long.toString(MAX_LIFETIME.toSeconds())));
    }
    command.addAll(List.of(BINARY.toString(),
        "--config.file=" + config.toAbsolutePath(),
        "--storage.tsdb.path=" + dir.resolve("data").toAbsolutePath(),
        "--web.listen-address=127.0.0.1:" + port,
        "--log.level=warn"));
    Path log = dir.resolve("prometheus.log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    LocalPrometheus p = new LocalPrometheus(process, URI.create("http://127.0.0.1:" + port), log);
    try {
      p.awaitReady();
    } catch (RuntimeException | Error | IOException | InterruptedException e) {
      p.close();
      throw e;
    }
    return p;
  }

  URI url() {
    return url;
  }

  private void awaitReady() throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    Instant deadline = Instant.now().plus(READY_WITHIN);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        fail("prometheus exited with " + process.exitValue() + ": " + Files.readString(log));
      }
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(url.resolve("/-/ready"))
            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    fail("prometheus not ready within " + READY_WITHIN + ": " + Files.readString(log));
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
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
