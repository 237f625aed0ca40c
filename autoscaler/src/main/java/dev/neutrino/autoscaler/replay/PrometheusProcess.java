package dev.neutrino.autoscaler.replay;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A real Prometheus as a child process: the given binary on a loopback port the system picks, scraping one
 * gateway's metrics endpoint, storage in the given folder. Its life is bounded twice, by
 * {@link #close()} and by {@code timeout} where there is one, so it also ends if this JVM dies first.
 * The replay's own runs at {@link #SCRAPE_INTERVAL} of wall time (short, because a second of wall time
 * is {@code speedup} seconds of the trace); the integration tests run one the same way.
 */
public final class PrometheusProcess implements AutoCloseable {

  static final Duration SCRAPE_INTERVAL = Duration.ofMillis(500);
  /**
   * As long as the interval: a scrape that times out marks the gateway's series stale (no value until
   * the next one), and a gateway under a replay's load can be slow to answer.
   */
  static final Duration SCRAPE_TIMEOUT = SCRAPE_INTERVAL;
  /** The window of the answer-rate query: several scrapes. */
  static final Duration RATE_WINDOW = Duration.ofSeconds(3);
  private static final Duration READY_WITHIN = Duration.ofSeconds(60);
  /** What Prometheus logs (level info) once it listens, with the port it was given. */
  private static final Pattern LISTENING = Pattern.compile("msg=\"Listening on\" address=127\\.0\\.0\\.1:(\\d+)");

  private final Process process;
  private final URI url;

  private PrometheusProcess(Process process, URI url) {
    this.process = process;
    this.url = url;
  }

  static PrometheusProcess start(Path binary, URI metrics, Path dir, Duration maxLifetime)
      throws IOException, InterruptedException {
    if (!Files.isExecutable(binary)) {
      throw new IllegalArgumentException("--prometheus " + binary + " is not an executable (Debian's package "
          + "installs /usr/bin/prometheus: apt-get install prometheus)");
    }
    return start(binary, metrics, dir, maxLifetime, SCRAPE_INTERVAL, SCRAPE_TIMEOUT);
  }

  /**
   * Starts {@code binary} scraping {@code metrics} (its host, port and path) every {@code interval},
   * and waits until it is ready.
   *
   * @throws IOException when it exits or is not ready within a minute, naming its log
   */
  public static PrometheusProcess start(Path binary, URI metrics, Path dir, Duration maxLifetime,
      Duration interval, Duration scrapeTimeout) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path config = dir.resolve("prometheus.yml");
    long ms = interval.toMillis();
    Files.writeString(config, """
        global:
          scrape_interval: %dms
          evaluation_interval: %dms
        scrape_configs:
          - job_name: neutrino-gateway
            scrape_interval: %dms
            scrape_timeout: %dms
            metrics_path: %s
            static_configs:
              - targets: ['%s:%d']
        """.formatted(ms, ms, ms, scrapeTimeout.toMillis(), metrics.getPath(), metrics.getHost(), metrics.getPort()));
    List<String> command = new ArrayList<>();
    Path timeout = Path.of("/usr/bin/timeout");
    if (Files.isExecutable(timeout)) {
      command.addAll(List.of(timeout.toString(), Long.toString(maxLifetime.toSeconds())));
    }
    // Port 0, read back from its log: a port chosen here and freed before Prometheus binds it can be
    // taken by anything else in between. It names the address it listens on at level info.
    command.addAll(List.of(binary.toString(),
        "--config.file=" + config.toAbsolutePath(),
        "--storage.tsdb.path=" + dir.resolve("data").toAbsolutePath(),
        "--web.listen-address=127.0.0.1:0",
        "--log.level=info"));
    Path log = dir.resolve("prometheus.log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    PrometheusProcess p = null;
    try {
      String port = ChildOutput.await(process, log, LISTENING, READY_WITHIN, "prometheus").group(1);
      p = new PrometheusProcess(process, URI.create("http://127.0.0.1:" + port));
      p.awaitReady(log);
    } catch (IOException | InterruptedException | RuntimeException e) {
      stop(process);
      throw e;
    }
    return p;
  }

  /** Its HTTP API, {@code http://127.0.0.1:PORT}. */
  public URI url() {
    return url;
  }

  private void awaitReady(Path log) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("prometheus exited with " + process.exitValue() + "; its log " + log + ":\n"
            + Files.readString(log));
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
    throw new IOException("prometheus was not ready within " + READY_WITHIN.toSeconds() + "s; its log: " + log);
  }

  @Override
  public void close() {
    stop(process);
  }

  private static void stop(Process process) {
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
}
