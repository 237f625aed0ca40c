package dev.neutrino.gateway;

import static dev.neutrino.runtime.testing.FlagTables.helpFlags;
import static dev.neutrino.runtime.testing.FlagTables.readmeFlags;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code neutrino serve}'s command line: its help, its rules, its exit status, and the README's table. */
class ServeCommandLineTest {
  private static String help() {
    return GatewayConfig.commandLine().getUsageMessage(picocli.CommandLine.Help.Ansi.OFF);
  }

  @Test
  void helpListsEveryFlagOfTheTableWithItsValueName() {
    String help = help();
    assertEquals(new TreeSet<>(GatewayConfig.FLAGS.keySet().stream().map(f -> "--" + f).toList()), helpFlags(help));
    assertTrue(help.contains("--http-port=<port>"), help);
    assertTrue(help.contains("--load-model=<model>"), help);
    assertTrue(help.contains("--config=<file>"), help);
    assertTrue(help.contains("--version"), help);
    Matcher accessLog = Pattern.compile("^ +--access-log(\\S*)", Pattern.MULTILINE).matcher(help);
    assertTrue(accessLog.find(), help);
    assertEquals("", accessLog.group(1), "a switch is shown without a value: " + help);
    assertFalse(help.contains(" V "), "no placeholder value names");
  }

  @Test
  void readmeTableListsTheSameFlagsAsHelp() throws IOException {
    assertEquals(helpFlags(help()), readmeFlags("## Flags of `./neutrino serve`"));
  }

  @Test
  void aFlagGivenTwiceKeepsItsLastValueAndRepeatableOnesCollect() throws IOException {
    GatewayConfig config = GatewayConfig.fromArgs(new String[] {"--http-port", "9000", "--http-port=9100",
        "--model-control-mode", "explicit", "--load-model", "a", "--load-model", "b"});
    assertEquals(9100, config.httpPort());
    assertEquals(List.of("a", "b"), config.repository().loadModels());
  }

  @Test
  void unknownFlagsAndMissingValuesNameTheFlag() {
    String unknown = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--htp-port", "9000"})).getMessage();
    assertTrue(unknown.contains("--htp-port"), unknown);
    String missing = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--grpc-port"})).getMessage();
    assertTrue(missing.contains("--grpc-port"), missing);
    String stray = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"serve"})).getMessage();
    assertTrue(stray.contains("'serve'"), stray);
  }

  @Test
  void theProcessExitsWithTwoAndNamesTheFlagForBadInput() throws Exception {
    Run bad = serve("--http-port", "eighty");
    assertEquals(2, bad.status());
    assertTrue(bad.err().contains("--http-port") && bad.err().contains("eighty"), bad.err());

    Run help = serve("--help");
    assertEquals(0, help.status());
    assertTrue(help.out().contains("Usage: neutrino serve") && help.out().contains("--max-request-bytes=<bytes>"),
        help.out());

    Run version = serve("--version");
    assertEquals(0, version.status());
    assertTrue(version.out().startsWith("neutrino "), version.out());
  }

  private record Run(int status, String out, String err) {}

  /** Runs {@code neutrino serve} in its own JVM, on this test's class path; each of these ends by itself. */
  private static Run serve(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
    process.getOutputStream().close();
    // Both answers are short: reading one stream to its end cannot block on the other filling up.
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("neutrino serve " + args[0] + " did not end");
    }
    return new Run(process.exitValue(), out, err);
  }
}
