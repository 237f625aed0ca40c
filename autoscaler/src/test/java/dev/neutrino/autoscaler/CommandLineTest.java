package dev.neutrino.autoscaler;

import static dev.neutrino.runtime.testing.FlagTables.helpFlags;
import static dev.neutrino.runtime.testing.FlagTables.readmeFlags;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.autoscaler.internal.Flags;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The autoscaler's command lines: help, version, repeats, bad input, and the README's tables. */
class CommandLineTest {
  private static String help(String... command) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(command), java.util.stream.Stream.of("--help"))
        .toArray(String[]::new);
    assertTrue(Flags.printedHelp(Main.commandLine().parseArgs(args), new PrintStream(out, true, StandardCharsets.UTF_8)));
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void readmeTablesListTheSameFlagsAsHelp() throws IOException {
    assertEquals(helpFlags(help()), readmeFlags("### Flags of `./neutrino autoscale`"));
    assertEquals(helpFlags(help("simulate")), readmeFlags("### Flags of `./neutrino autoscale simulate`"));
    assertEquals(helpFlags(help("generate-trace")), readmeFlags("### Flags of `./neutrino autoscale generate-trace`"));
    assertEquals(helpFlags(help("compare")), readmeFlags("### Flags of `./neutrino autoscale compare`"));
    assertEquals(helpFlags(help("replay")), readmeFlags("### Flags of `./neutrino autoscale replay`"));
  }

  @Test
  void helpNamesValuesDefaultsAndSubcommands() {
    String main = help();
    assertTrue(main.contains("--config=<file>") && main.contains("simulate") && main.contains("generate-trace"), main);
    Matcher dryRun = Pattern.compile("^ +--dry-run(\\S*)", Pattern.MULTILINE).matcher(main);
    assertTrue(dryRun.find(), main);
    assertEquals("", dryRun.group(1), "a switch is shown without a value: " + main);
    String trace = help("generate-trace");
    assertTrue(trace.contains("--duration=<duration>") && trace.contains("(default 1h)"), trace);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(Flags.printedHelp(Main.commandLine().parseArgs("--version"), new PrintStream(out, true, StandardCharsets.UTF_8)));
    assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("neutrino-autoscaler "));
  }

  @Test
  void aFlagGivenTwiceKeepsItsLastValue(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("t.csv");
    CommandLine.ParseResult parsed = Main.commandLine().parseArgs("generate-trace", "--shape", "step",
        "--out", file.toString(), "--duration", "10s", "--seed", "1", "--seed=7", "--peak", "200");
    assertTrue(parsed.hasSubcommand());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status = ((dev.neutrino.autoscaler.sim.GenerateTraceCommand) parsed.subcommand().commandSpec().userObject())
        .run(new PrintStream(out, true, StandardCharsets.UTF_8));
    assertEquals(0, status);
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("step trace, seed 7, 10s"), out.toString());
    assertEquals(11, Files.readAllLines(file).size(), "a header and one line per second");
  }

  @Test
  void badInputNamesTheFlag() {
    CommandLine commandLine = Main.commandLine();
    String duration = assertThrows(CommandLine.ParameterException.class,
        () -> commandLine.parseArgs("generate-trace", "--shape", "step", "--out", "x", "--duration", "soon"))
        .getMessage();
    assertTrue(duration.contains("--duration") && duration.contains("soon"), duration);
    String shape = assertThrows(CommandLine.ParameterException.class,
        () -> Main.commandLine().parseArgs("generate-trace", "--shape", "wavy", "--out", "x")).getMessage();
    assertTrue(shape.contains("--shape") && shape.contains("wavy"), shape);
    String missing = assertThrows(CommandLine.ParameterException.class,
        () -> Main.commandLine().parseArgs("simulate", "--seed", "1")).getMessage();
    assertTrue(missing.contains("--trace"), missing);
    String unknown = assertThrows(CommandLine.ParameterException.class,
        () -> Main.commandLine().parseArgs("--confg", "a.yaml")).getMessage();
    assertTrue(unknown.contains("--confg"), unknown);
  }

  @Test
  void theProcessExitsWithTwoAndNamesTheFlag() throws Exception {
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), Main.class.getName(), "simulate", "--trace", "t.csv", "--min", "few")
        .start();
    process.getOutputStream().close();
    process.getInputStream().readAllBytes();
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("neutrino autoscale did not end");
    }
    assertEquals(2, process.exitValue(), err);
    assertTrue(err.contains("--min") && err.contains("few"), err);
  }
}
