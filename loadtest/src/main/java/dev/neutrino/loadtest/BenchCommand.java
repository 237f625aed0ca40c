package dev.neutrino.loadtest;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;
import dev.neutrino.loadtest.profile.CpuProfiler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neutrino bench --scenario NAME}: the side-by-side scenarios of BENCHMARKS.md. Its fields are its flags. */
@Command(name = "neutrino bench", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    sortOptions = false, usageHelpWidth = 110,
    description = {"Measures the gateway beside the in-process limit (ONNX Runtime on the same model at its best "
        + "batch size) and the naive server (the JDK's HTTP server, one ONNX Runtime call per request), in one run, "
        + "under one generator, on this machine. Starts its own gateway on free ports with the example models.",
        "",
        "Scenarios:",
        "  overhead            identity_fp32, one client: p50/p99 of HTTP JSON, HTTP binary, gRPC, naive and",
        "                      in-process calls; overhead = gateway minus in-process",
        "  throughput-mlp      recommender_mlp, closed-loop concurrency sweep: requests/s, p50/p99 per level",
        "  throughput-encoder  text_encoder, the same for a compute-heavy model",
        "  overload            recommender_mlp, open loop at twice the measured capacity: goodput, p99 of",
        "                      successes, share and latency of rejections",
        "  http-floor          recommender_floor (recommender_mlp's sizes and configuration, a model that does",
        "                      nothing) beside recommender_mlp on one gateway: the gateway's own transport floor",
        "  hotswap             recommender_mlp, open loop at half capacity while a new version is swapped in",
        "  coldstart           every example model: load (instances, warm-up) and first answer, without,",
        "                      filling and from the optimized-graph cache; then a new gateway's first windows",
        "                      after it reports ready, its request-path warm-up off and on",
        "  profile             identity_fp32 and recommender_mlp over each protocol under closed-loop load while",
        "                      JFR samples: CPU microseconds per request by stage, flame graphs",
        "  all                 every scenario once, one JSON document and one page with the headline table",
        "                      (concurrency levels default to " + BenchCommand.ALL_LEVELS + ")",
        "",
        "overload runs each server as a child process pinned with taskset to the upper half of the cores and",
        "the generator on the others, when taskset exists and there are 2 cores or more. A level whose",
        "generator saturated (CPU, or an open loop behind its schedule) is marked invalid, with the reason.",
        ""})
final class BenchCommand {
  /** The concurrency levels of {@code --scenario all} unless given: those issue #15's table quotes. */
  static final String ALL_LEVELS = "1,4,16,64";

  @Option(names = "--scenario", paramLabel = "<name>", description = "the scenario to run (required), or all")
  String scenario;

  @Option(names = "--duration", paramLabel = "<time>", defaultValue = "3s", converter = Flags.DurationValue.class,
      description = "measured time per level (default ${DEFAULT-VALUE})")
  Duration duration;

  @Option(names = "--warmup", paramLabel = "<time>", defaultValue = "1s", converter = Flags.DurationValue.class,
      description = "warm-up before each level (default ${DEFAULT-VALUE}); each target first warms up for T+2s at "
          + "its top level, then in 1 s rounds until the JIT compilers are quiet (at most 10), and an open loop is preceded by a closed loop on all its connections; 0 skips warm-ups")
  Duration warmup;

  @Option(names = "--concurrency", paramLabel = "<levels>", defaultValue = "1,2,4,8,16,32,64,128",
      description = "levels of the throughput sweeps (default ${DEFAULT-VALUE})")
  String concurrency;

  @Option(names = "--limit-duration", paramLabel = "<time>", defaultValue = "1.5s",
      converter = Flags.DurationValue.class,
      description = "time per batch size of the in-process limit (default ${DEFAULT-VALUE})")
  Duration limitDuration;

  @Option(names = "--naive-workers", paramLabel = "<n>", defaultValue = "0",
      description = "the naive server's worker threads (default: try a few, keep the best)")
  int naiveWorkers;

  @Option(names = "--client-threads", paramLabel = "<n>", defaultValue = "" + ClientSettings.DEFAULT_EVENT_LOOPS,
      description = "the generator's event-loop threads (default ${DEFAULT-VALUE})")
  int clientThreads;

  @Option(names = "--target-latency", paramLabel = "<time>", defaultValue = "50ms",
      converter = Flags.DurationValue.class,
      description = "overload: also run the gateway with this target_latency_microseconds on the model, so that it "
          + "refuses at the door what it cannot serve in time (default ${DEFAULT-VALUE}; 0 skips that run)")
  Duration targetLatency;

  @Option(names = "--gateway-flags", paramLabel = "<flags>", defaultValue = "",
      description = "flags of ./neutrino serve for the gateway under test, in one argument, e.g. \"--cpu-threads 1\"")
  String gatewayFlags;

  @Option(names = "--gateway-java-options", paramLabel = "<options>", defaultValue = "",
      description = "JVM options of the gateway processes the bench starts (overload, coldstart), in one argument, "
          + "e.g. \"-XX:+UseZGC\"; the gateways it runs in its own JVM take this JVM's (JAVA_OPTS)")
  String gatewayJavaOptions;

  @Option(names = "--profile-concurrency", paramLabel = "<n>", defaultValue = "" + CpuProfiler.DEFAULT_CONCURRENCY,
      description = "profile: closed-loop clients while recording (default ${DEFAULT-VALUE})")
  int profileConcurrency;

  @Option(names = "--profile-period", paramLabel = "<time>", defaultValue = "2ms", converter = Flags.DurationValue.class,
      description = "profile: JFR's sampling period, at least 1ms (default ${DEFAULT-VALUE})")
  Duration profilePeriod;

  @Option(names = "--profile-dir", paramLabel = "<dir>",
      description = "profile: also write each protocol and model's collapsed stacks and flame graph page here")
  Path profileDir;

  @Option(names = "--json", paramLabel = "<file>",
      description = "the report as JSON (fields of BENCHMARKS.md, with the headline ratios)")
  Path json;

  @Option(names = "--html", paramLabel = "<file>",
      description = "a self-contained page with a latency-versus-throughput chart per target")
  Path html;

  /** @return the process exit status: 0 done, 1 failed, 2 a bad command line, 3 the scenario could not run */
  static int run(String[] args, PrintStream out, PrintStream err) {
    BenchCommand flags = new BenchCommand();
    CommandLine commandLine = Main.commandLine(flags);
    Bench.Options options;
    Bench.ProfileOptions profile;
    try {
      CommandLine.ParseResult parsed = commandLine.parseArgs(args);
      if (Main.printedHelp(commandLine, parsed, out)) {
        return 0;
      }
      if ("all".equals(flags.scenario) && !parsed.hasMatchedOption("--concurrency")) {
        flags.concurrency = ALL_LEVELS;
      }
      options = flags.options();
      profile = flags.profileOptions();
    } catch (CommandLine.ParameterException | IllegalArgumentException e) {
      err.println("neutrino bench: " + e.getMessage());
      err.println("(./neutrino bench --help lists the scenarios and flags)");
      return 2;
    }
    Path json = flags.json;
    Path html = flags.html;
    if (options.scenario().equals("all")) {
      return runAll(options, profile, json, html, out, err);
    }
    try {
      Report report = new Bench(options, profile, out).run();
      report.setting("load_average_1m_at_end", MachineInfo.loadAverage());
      out.println("headline:");
      report.ratios().forEach((k, v) -> out.println("  " + k + " = " + v));
      if (json != null) {
        report.writeJson(json);
        out.println("wrote " + json);
      }
      if (html != null) {
        HtmlReport.write(report, html);
        out.println("wrote " + html);
      }
      return 0;
    } catch (Bench.Unavailable e) {
      err.println("neutrino bench: " + e.getMessage());
      return 3;
    } catch (Exception e) {
      err.println("neutrino bench: " + options.scenario() + " failed: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }

  private Bench.ProfileOptions profileOptions() {
    if (profileConcurrency < 1) {
      throw new IllegalArgumentException("--profile-concurrency must be at least 1, got " + profileConcurrency);
    }
    if (profilePeriod.compareTo(Duration.ofMillis(1)) < 0) {
      throw new IllegalArgumentException("--profile-period must be at least 1ms (JFR's finest), got "
          + profilePeriod.toNanos() / 1e6 + "ms");
    }
    return new Bench.ProfileOptions(profileConcurrency, profilePeriod, profileDir);
  }

  private static int runAll(Bench.Options options, Bench.ProfileOptions profile, Path json, Path html,
      PrintStream out, PrintStream err) {
    BenchAll all = new BenchAll(options, profile, out);
    try {
      all.run();
      out.println("headline:");
      all.headline().forEach(row -> out.println("  " + row.figure() + ": " + row.value()
          + (row.goal().isEmpty() ? "" : "   (goal " + row.goal() + ")")));
      if (json != null) {
        all.writeJson(json);
        out.println("wrote " + json);
      }
      if (html != null) {
        all.writeHtml(html);
        out.println("wrote " + html);
      }
      return all.reports().isEmpty() ? 3 : 0;
    } catch (Exception e) {
      err.println("neutrino bench: all failed: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }

  private Bench.Options options() {
    if (scenario == null || !(Bench.SCENARIOS.contains(scenario) || scenario.equals("all"))) {
      throw new IllegalArgumentException(scenario == null ? "give a scenario: --scenario NAME"
          : "unknown scenario '" + scenario + "'; scenarios: " + String.join(", ", Bench.SCENARIOS) + ", all");
    }
    List<Integer> levels = new ArrayList<>();
    for (double c : Flags.sweep("concurrency", concurrency)) {
      if (c != Math.rint(c)) {
        throw new IllegalArgumentException("--concurrency needs whole numbers, got " + c);
      }
      levels.add((int) c);
    }
    if (duration.isZero()) {
      throw new IllegalArgumentException("--duration must be above 0");
    }
    return new Bench.Options(scenario, warmup, duration, levels, limitDuration, naiveWorkers,
        Math.max(1, clientThreads),
        words(gatewayFlags), targetLatency, words(gatewayJavaOptions));
  }

  /** The words of a one-argument list of flags or options. */
  private static List<String> words(String line) {
    return Arrays.stream(line.trim().split("\\s+")).filter(f -> !f.isEmpty()).toList();
  }
}
