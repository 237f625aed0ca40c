package dev.neutrino.autoscaler.replay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a child process writes to its log file. Child servers here listen on ports the system picks
 * (0) and print them: a port chosen by the parent and freed before the child binds it can be taken by
 * anything else in between.
 */
public final class ChildOutput {
  private ChildOutput() {}

  /**
   * The first match of {@code line} in {@code log}, read as it grows, within {@code within}.
   *
   * @param who names the child in errors ("the gateway", "prometheus")
   * @throws IOException when the child exits before printing it (quoting its log) or the time runs out
   */
  public static Matcher await(Process process, Path log, Pattern line, Duration within, String who)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      boolean exited = !process.isAlive();
      Matcher m = line.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (m.find()) {
        return m;
      }
      if (exited) {
        throw new IOException(who + " exited with " + process.exitValue() + " before it listened; its log " + log
            + ":\n" + (Files.exists(log) ? Files.readString(log) : "(none)"));
      }
      Thread.sleep(50);
    }
    throw new IOException(who + " did not listen within " + within.toSeconds() + "s; its log: " + log);
  }
}
