package dev.neutrino.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * wrk (the Debian package {@code wrk}), when it is on the PATH, as a second load generator independent
 * of ours: a closed loop of HTTP/1.1 keep-alive connections posting one inference body, written into
 * a Lua script in a temporary folder. Nothing depends on it being installed: {@link #find()} is empty
 * when it is not.
 */
final class Wrk {
  private static final Pattern REQUESTS_PER_SECOND = Pattern.compile("(?m)^Requests/sec:\\s+([0-9.]+)");
  private static final Pattern NON_2XX = Pattern.compile("(?m)^\\s*Non-2xx or 3xx responses:\\s+(\\d+)");
  private static final Pattern SOCKET_ERRORS =
      Pattern.compile("(?m)^\\s*Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
  private static final Duration EXTRA_WAIT = Duration.ofSeconds(30);

  private final Path executable;

  private Wrk(Path executable) {
    this.executable = executable;
  }

  /**
   * What one wrk run measured.
   *
   * @param errors answers that were not 2xx or 3xx, plus socket errors
   */
  record Result(double requestsPerSecond, long errors) {}

  /** wrk from the PATH, or empty when it is not installed. */
  static Optional<Wrk> find() {
    return SearchPath.find("wrk").map(Wrk::new);
  }

  /**
   * The Lua script that makes every wrk request a POST of {@code body} with {@code headers}: each byte
   * of the body as a three-digit decimal escape, so that any binary tensor survives.
   *
   * @param headers name and value pairs
   */
  static String script(byte[] body, List<String[]> headers) {
    StringBuilder lua = new StringBuilder(body.length * 4 + 256);
    lua.append("wrk.method = \"POST\"\n");
    for (String[] header : headers) {
      lua.append("wrk.headers[\"").append(header[0]).append("\"] = \"").append(header[1]).append("\"\n");
    }
    lua.append("wrk.body = \"");
    for (byte b : body) {
      lua.append('\\').append(String.format("%03d", b & 0xFF));
    }
    lua.append("\"\n");
    return lua.toString();
  }

  /**
   * Parses wrk's summary.
   *
   * @throws IOException when it has no {@code Requests/sec} line
   */
  static Result parse(String output) throws IOException {
    Matcher rps = REQUESTS_PER_SECOND.matcher(output);
    if (!rps.find()) {
      throw new IOException("wrk printed no Requests/sec line: " + output.strip());
    }
    long errors = 0;
    Matcher non2xx = NON_2XX.matcher(output);
    if (non2xx.find()) {
      errors += Long.parseLong(non2xx.group(1));
    }
    Matcher socket = SOCKET_ERRORS.matcher(output);
    if (socket.find()) {
      for (int i = 1; i <= 4; i++) {
        errors += Long.parseLong(socket.group(i));
      }
    }
    return new Result(Double.parseDouble(rps.group(1)), errors);
  }

  /**
   * Posts {@code body} to {@code url} over {@code connections} connections from {@code threads}
   * threads for {@code duration}.
   *
   * @throws IOException when wrk cannot run, fails, or does not finish in time
   */
  Result run(String url, byte[] body, List<String[]> headers, int connections, int threads, Duration duration)
      throws IOException {
    Path dir = Files.createTempDirectory("neutrino-wrk-");
    try {
      Path script = Files.writeString(dir.resolve("post.lua"), script(body, headers), StandardCharsets.US_ASCII);
      Path output = dir.resolve("out.txt");
      List<String> command = new ArrayList<>(List.of(executable.toString(),
          "-t", Integer.toString(Math.max(1, Math.min(threads, connections))),
          "-c", Integer.toString(Math.max(1, connections)),
          "-d", Math.max(1, duration.toSeconds()) + "s",
          "-s", script.toString(), url));
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
      boolean done;
      try {
        done = process.waitFor(duration.plus(EXTRA_WAIT).toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while wrk ran", e);
      }
      if (!done) {
        process.destroyForcibly();
        throw new IOException("wrk did not finish within " + duration.plus(EXTRA_WAIT).toSeconds() + " s");
      }
      String printed = Files.readString(output, StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        throw new IOException("wrk exited with " + process.exitValue() + ": " + printed.strip());
      }
      return parse(printed);
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }
}
