package dev.neutrino.loadtest;

import static dev.neutrino.runtime.testing.FlagTables.helpFlags;
import static dev.neutrino.runtime.testing.FlagTables.readmeFlags;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The command lines of {@code loadtest} and {@code bench}: help, version, rules, bad input, the README's tables. */
class CommandLinesTest {
  private record Run(int status, String out, String err) {}

  private static Run loadtest(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = LoadtestCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Run bench(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = BenchCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void readmeTablesListTheSameFlagsAsHelp() throws IOException {
    Run loadtest = loadtest("--help");
    assertEquals(0, loadtest.status());
    assertEquals(helpFlags(loadtest.out()), readmeFlags("### Flags of `./neutrino loadtest`"));
    Run bench = bench("--help");
    assertEquals(0, bench.status());
    assertEquals(helpFlags(bench.out()), readmeFlags("### Flags of `./neutrino bench`"));
  }

  @Test
  void helpNamesValuesAndDefaults() {
    String help = loadtest("--help").out();
    assertTrue(help.contains("--duration=<time>") && help.contains("(default 10s)"), help);
    assertTrue(help.contains("--shape=<name:dims>"), help);
    Matcher http2 = Pattern.compile("^ +--http2(\\S*)", Pattern.MULTILINE).matcher(help);
    assertTrue(http2.find(), help);
    assertEquals("", http2.group(1), "a switch is shown without a value: " + help);
    String benchHelp = bench("--help").out();
    assertTrue(benchHelp.contains("throughput-encoder") && benchHelp.contains("--target-latency=<time>"), benchHelp);
    assertTrue(loadtest("--version").out().startsWith("neutrino-loadtest "));
  }

  @Test
  void aFlagGivenTwiceKeepsItsLastValueAndShapesCollect() {
    LoadtestCommand flags = new LoadtestCommand();
    Main.commandLine(flags).parseArgs("--seed", "1", "--seed=2", "--shape", "A:1,16", "--shape=B:2",
        "--warmup", "500ms", "--http2");
    assertEquals(2, flags.seed);
    assertEquals(List.of("A:1,16", "B:2"), flags.shapes);
    assertEquals(Duration.ofMillis(500), flags.warmup);
    assertEquals(Duration.ofSeconds(10), flags.duration);
    assertTrue(flags.http2);
  }

  @Test
  void badInputExitsWithTwoAndNamesTheFlag() {
    Run unknown = loadtest("--modle", "x");
    assertEquals(2, unknown.status());
    assertTrue(unknown.err().contains("--modle"), unknown.err());
    Run duration = loadtest("--model", "m", "--duration", "soon");
    assertEquals(2, duration.status());
    assertTrue(duration.err().contains("--duration") && duration.err().contains("soon"), duration.err());
    Run threads = loadtest("--model", "m", "--client-threads", "two");
    assertEquals(2, threads.status());
    assertTrue(threads.err().contains("--client-threads") && threads.err().contains("two"), threads.err());
    Run sweep = loadtest("--model", "m", "--rate", "300:100:100");
    assertEquals(2, sweep.status());
    assertTrue(sweep.err().contains("--rate"), sweep.err());
    Run client = loadtest("--model", "m", "--http-client", "okhttp");
    assertEquals(2, client.status());
    assertTrue(client.err().contains("--http-client 'okhttp'") && client.err().contains("netty or vertx"), client.err());
    Run nettyHttp2 = loadtest("--model", "m", "--http-client", "netty", "--http2");
    assertEquals(2, nettyHttp2.status());
    assertTrue(nettyHttp2.err().contains("HTTP/1.1 only"), nettyHttp2.err());
    Run missing = loadtest("--model");
    assertEquals(2, missing.status());
    assertTrue(missing.err().contains("--model"), missing.err());
    Run scenario = bench("--scenario", "fastest");
    assertEquals(2, scenario.status());
    assertTrue(scenario.err().contains("fastest"), scenario.err());
    Run benchDuration = bench("--scenario", "overhead", "--limit-duration", "long");
    assertEquals(2, benchDuration.status());
    assertTrue(benchDuration.err().contains("--limit-duration"), benchDuration.err());
  }

  @Test
  void completionCoversTheFlagsOfServeLoadtestAndBench() {
    String script = Main.completion();
    assertTrue(script.startsWith("#!/usr/bin/env bash"), script.substring(0, 80));
    for (String flag : List.of("--http-port", "--load-model", "--shape", "--rate", "--scenario", "--gateway-flags",
        "--gateway-java-options")) {
      assertTrue(script.contains(flag), flag);
    }
  }
}
