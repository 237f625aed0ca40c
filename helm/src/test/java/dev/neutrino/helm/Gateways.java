package dev.neutrino.helm;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged gateway (its shaded jar beside the gateway module's artifact) and the example repository
 * (beside model-repo's), which this module declares as test dependencies so that the reactor builds them
 * first. Child processes run under {@code timeout} so that they end even if the test JVM dies first.
 */
final class Gateways {

  static final Duration READY_WITHIN = Duration.ofSeconds(90);
  private static final Duration MAX_LIFETIME = Duration.ofMinutes(4);
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Gateways() {}

  static Path jar() {
    return existing(buildFolderOf("dev.neutrino.gateway.Main").resolve("neutrino-gateway.jar"));
  }

  static Path exampleRepository() {
    return existing(buildFolderOf("dev.neutrino.repo.examples.ExampleModels").resolve("example-repository"));
  }

  static Path java() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  /** What {@code neutrino serve --help} prints. */
  static String help() throws IOException, InterruptedException {
    Process p = new ProcessBuilder(java().toString(), "-jar", jar().toString(), "--help").redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      fail("--help failed: " + out);
    }
    return out;
  }

  /** Starts a command bounded by {@code timeout}, its output to {@code log}. */
  static Process start(List<String> command, Map<String, String> env, Path log) throws IOException {
    List<String> bounded = new ArrayList<>();
    Path timeout = Path.of("/usr/bin/timeout");
    if (Files.isExecutable(timeout)) {
      bounded.addAll(List.of(timeout.toString(), Long.toString(MAX_LIFETIME.toSeconds())));
    }
    bounded.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(bounded).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    return builder.start();
  }

  static void stop(Process process) throws InterruptedException {
    if (process == null) {
      return;
    }
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  /** Polls {@code url} until it answers 200; fails with the log if the process ends or the time runs out. */
  static void awaitOk(Process process, URI url, Path log) throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(READY_WITHIN);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        fail("the gateway exited with " + process.exitValue() + " before " + url + " answered 200:\n" + tail(log));
      }
      try {
        if (get(url).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    fail(url + " did not answer 200 within " + READY_WITHIN + ":\n" + tail(log));
  }

  static HttpResponse<String> get(URI url) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The first match of {@code line} in the output a process writes to {@code log}, within
   * {@link #READY_WITHIN}; fails with the log if the process ends first. Servers here listen on ports
   * the system picks (0) and print them: a port chosen by the test and freed before the child binds it
   * can be taken by anything else in between.
   */
  static Matcher awaitLine(Process process, Path log, Pattern line) throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(READY_WITHIN);
    while (Instant.now().isBefore(deadline)) {
      boolean exited = !process.isAlive();
      Matcher m = line.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (m.find()) {
        return m;
      }
      if (exited) {
        fail("the process exited with " + process.exitValue() + " before it printed '" + line + "':\n" + tail(log));
      }
      Thread.sleep(50);
    }
    return fail("no line '" + line + "' within " + READY_WITHIN + ":\n" + tail(log));
  }

  static String tail(Path log) throws IOException {
    if (!Files.exists(log)) {
      return "(no output)";
    }
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  private static Path buildFolderOf(String className) {
    try {
      Class<?> type = Class.forName(className, false, Gateways.class.getClassLoader());
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
    } catch (ReflectiveOperationException | java.net.URISyntaxException e) {
      throw new AssertionError("cannot find the build folder of " + className, e);
    }
  }

  private static Path existing(Path p) {
    if (!Files.exists(p)) {
      fail("these tests run the real gateway and need " + p + "; run mvn verify (or ./neutrino test) from the "
          + "project's root, which packages gateway and model-repo before this module's tests");
    }
    return p;
  }
}
