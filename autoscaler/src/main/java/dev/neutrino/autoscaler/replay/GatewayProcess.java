package dev.neutrino.autoscaler.replay;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A gateway of the replay's own: the packaged gateway jar as a child process on loopback, HTTP and
 * metrics on ports the system picks (0), explicit model control with the replayed model loaded. Its
 * ports come from the line it prints once listening; its output goes to a log file. Its life is bounded
 * twice: {@link #close()} stops it, and it runs under {@code timeout} (where there is one) so it also
 * ends if this JVM dies first.
 */
final class GatewayProcess implements AutoCloseable {

  private static final Pattern LISTENING =
      Pattern.compile("neutrino listening http=([^\\s:]+):(\\d+).*?metrics=([^\\s:]+):(\\d+)");

  private final Process process;
  private final URI http;
  private final URI metrics;
  private final Path log;

  private GatewayProcess(Process process, URI http, URI metrics, Path log) {
    this.process = process;
    this.http = http;
    this.metrics = metrics;
    this.log = log;
  }

  /**
   * Starts the gateway and waits, at most {@code within}, until it prints its ports.
   *
   * @param maxLifetime the gateway is killed after this long whatever happens
   */
  static GatewayProcess start(Path jar, Path repository, String model, Path log, Duration within,
      Duration maxLifetime) throws IOException, InterruptedException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("no gateway jar at " + jar + ": build it (./neutrino build) or give "
          + "--gateway-jar, or replay against a running gateway with --url");
    }
    if (!Files.isDirectory(repository.resolve(model))) {
      throw new IllegalArgumentException("no model '" + model + "' in " + repository + ": give --model-repository");
    }
    List<String> command = new ArrayList<>();
    Path timeout = Path.of("/usr/bin/timeout");
    if (Files.isExecutable(timeout)) {
      command.addAll(List.of(timeout.toString(), Long.toString(maxLifetime.toSeconds())));
    }
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar.toString(),
        "--host", "127.0.0.1",
        "--http-port", "0",
        "--grpc-port", "0",
        "--metrics-port", "0",
        "--model-repository", repository.toString(),
        "--model-control-mode", "explicit",
        "--load-model", model,
        "--log-level", "warn"));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<Matcher> listening = new CompletableFuture<>();
    Thread pump = new Thread(() -> pump(process, log, listening), "replay-gateway-log");
    pump.setDaemon(true);
    pump.start();
    Matcher m;
    try {
      m = listening.get(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      stop(process);
      throw new IOException("the gateway did not print its ports within " + within.toSeconds() + "s (exit "
          + (process.isAlive() ? "none" : process.exitValue()) + "); its log: " + log);
    }
    return new GatewayProcess(process, URI.create("http://" + m.group(1) + ":" + m.group(2)),
        URI.create("http://" + m.group(3) + ":" + m.group(4) + "/metrics"), log);
  }

  /** Copies the gateway's output to the log, completing {@code listening} at the line with its ports. */
  private static void pump(Process process, Path log, CompletableFuture<Matcher> listening) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer out = Files.newBufferedWriter(log)) {
      for (String line; (line = in.readLine()) != null; ) {
        out.write(line);
        out.write('\n');
        out.flush();
        Matcher m = LISTENING.matcher(line);
        if (!listening.isDone() && m.find()) {
          listening.complete(m);
        }
      }
    } catch (IOException e) {
      listening.completeExceptionally(e);
    }
    listening.completeExceptionally(new IOException("the gateway's output ended"));
  }

  URI http() {
    return http;
  }

  URI metrics() {
    return metrics;
  }

  Path log() {
    return log;
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
