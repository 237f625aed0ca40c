package dev.neutrino.autoscaler.replay;

import dev.neutrino.autoscaler.ReplicaBounds;
import dev.neutrino.autoscaler.internal.ConfigLoader;
import dev.neutrino.autoscaler.internal.Flags;
import dev.neutrino.autoscaler.sim.SimulationSettings;
import dev.neutrino.autoscaler.sim.Trace;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code autoscale replay}: a trace against a real local gateway, time-compressed, beside its simulation.
 * Its fields are its flags.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, versionProvider = Flags.Version.class,
    sortOptions = false, usageHelpWidth = 110,
    description = "Replays a request-rate trace against a real local gateway (open-loop load following the trace, "
        + "the autoscaler's loop scaling the model's instances from the gateway's metrics), time-compressed, and "
        + "simulates the same trace with the same settings: both in one table, their differences, an HTML page "
        + "and a per-second CSV.")
public final class ReplayCommand {

  @Option(names = "--trace", paramLabel = "<file>", required = true,
      description = "request-rate trace (CSV: second,requests_per_second); see generate-trace (required)")
  Path trace;

  @Option(names = "--policy", paramLabel = "<name>", defaultValue = "predictive",
      description = "kpa, hpa, slo or predictive (default ${DEFAULT-VALUE})")
  String policy;

  @Option(names = "--policy-config", paramLabel = "<file>",
      description = "YAML with a block for the policy (as simulate takes) overriding its parameters and interval")
  Path policyConfig;

  @Option(names = "--speedup", paramLabel = "<k>", defaultValue = "60",
      description = "trace seconds per wall second: a 1h trace at 60 takes 1 minute (default ${DEFAULT-VALUE})")
  double speedup;

  @Option(names = "--peak-rate", paramLabel = "<rate>",
      description = "requests per wall second at the trace's peak; every rate is divided by the same factor "
          + "(default: 70 %% of --max instances at the measured service time)")
  Double peakRate;

  @Option(names = "--url", paramLabel = "<url>",
      description = "a running gateway (explicit model control) to replay against (default: start one, ports 0)")
  URI url;

  @Option(names = "--metrics-url", paramLabel = "<url>",
      description = "its /metrics (default: the own gateway's, or port 8002 of --url)")
  URI metricsUrl;

  @Option(names = "--prometheus", paramLabel = "<binary>",
      description = "start this Prometheus, scraping the gateway every 500ms, and read the metrics from it "
          + "(default: scrape the gateway directly)")
  Path prometheus;

  @Option(names = "--gateway-jar", paramLabel = "<file>",
      description = "the gateway to start (default gateway/target/neutrino-gateway.jar)")
  Path gatewayJar;

  @Option(names = "--model-repository", paramLabel = "<dir>",
      description = "what the started gateway serves (default model-repo/target/example-repository)")
  Path modelRepository;

  @Option(names = "--model", paramLabel = "<name>", defaultValue = ReplaySettings.DEFAULT_MODEL,
      description = "the model whose instances are scaled (default ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--replica-concurrency", paramLabel = "<n>",
      description = "requests one instance serves at once, for the policy and the simulation (default 1)")
  Integer replicaConcurrency;

  @Option(names = "--latency-target", paramLabel = "<duration>", converter = Flags.DurationValue.class,
      description = "requests later than this are late (default 250ms)")
  Duration latencyTarget;

  @Option(names = "--slo-quantile", paramLabel = "<q>",
      description = "share of a second's requests that must be on time (default 0.99)")
  Double sloQuantile;

  @Option(names = "--min", paramLabel = "<n>", description = "the fewest instances (default 1)")
  Integer min;

  @Option(names = "--max", paramLabel = "<n>", description = "the most instances (default 2)")
  Integer max;

  @Option(names = "--initial", paramLabel = "<n>", description = "instances at the start (default --min, at least 1)")
  Integer initial;

  @Option(names = "--seed", paramLabel = "<n>", description = "seed of the arrivals, real and simulated (default 1)")
  Long seed;

  @Option(names = "--out", paramLabel = "<file>",
      description = "the HTML report (default: the trace's name with -replay.html, beside it)")
  Path out;

  @Option(names = "--timeline", paramLabel = "<file>",
      description = "the per-second CSV of both runs (default: the trace's name with -replay.csv, beside it)")
  Path timeline;

  /** The settings the flags give; relative defaults resolve against {@code home} (the project's root). */
  ReplaySettings settings(Path home) throws IOException {
    ConfigLoader.SimulatorPolicy override = null;
    if (policyConfig != null) {
      override = ConfigLoader.simulatorPolicies(Files.readString(policyConfig)).get(policy);
    }
    int lowest = Objects.requireNonNullElse(min, ReplaySettings.DEFAULT_BOUNDS.min());
    int highest = Objects.requireNonNullElse(max, ReplaySettings.DEFAULT_BOUNDS.max());
    return new ReplaySettings(policy, override, speedup, peakRate == null ? Double.NaN : peakRate, url, metricsUrl, prometheus,
        gatewayJar != null ? gatewayJar : home.resolve("gateway/target/neutrino-gateway.jar"),
        modelRepository != null ? modelRepository : home.resolve("model-repo/target/example-repository"),
        model,
        Objects.requireNonNullElse(replicaConcurrency, ReplaySettings.DEFAULT_REPLICA_CONCURRENCY),
        Objects.requireNonNullElse(latencyTarget, SimulationSettings.DEFAULT_LATENCY_TARGET),
        Objects.requireNonNullElse(sloQuantile, SimulationSettings.DEFAULT_SLO_QUANTILE),
        new ReplicaBounds(lowest, highest),
        Objects.requireNonNullElse(initial, Math.max(1, lowest)),
        Objects.requireNonNullElse(seed, SimulationSettings.DEFAULT_SEED),
        ReplaySettings.DEFAULT_MAX_WALL);
  }

  /** Runs the replay and its simulation; returns the exit status. */
  public int run(PrintStream stdout) throws IOException, InterruptedException {
    Path home = Path.of(System.getProperty("neutrino.home", "."));
    return run(stdout, home, home.resolve("target"));
  }

  /** As {@link #run(PrintStream)}, with the project's root and the own gateway's log folder given. */
  public int run(PrintStream stdout, Path home, Path workDir) throws IOException, InterruptedException {
    ReplaySettings settings = settings(home);
    if (!java.util.List.of("kpa", "hpa", "slo", "predictive").contains(policy)) {
      throw new IllegalArgumentException("unknown policy '" + policy + "': kpa, hpa, slo or predictive");
    }
    Trace requests = Trace.read(trace);
    String name = trace.getFileName().toString();
    ReplayOutcome outcome = Replay.run(name, requests, settings, workDir, stdout);
    stdout.print(outcome.table());
    String stem = name.replaceFirst("\\.[^.]*$", "");
    Path html = out != null ? out : trace.resolveSibling(stem + "-replay.html");
    Files.writeString(html, outcome.html());
    Path csv = timeline != null ? timeline : trace.resolveSibling(stem + "-replay.csv");
    Files.writeString(csv, outcome.timelineCsv());
    stdout.println("report: " + html.toAbsolutePath() + "; timeline: " + csv.toAbsolutePath());
    return 0;
  }
}
