package dev.neutrino.autoscaler.sim;

import dev.neutrino.autoscaler.DurationText;
import dev.neutrino.autoscaler.ReplicaBounds;
import dev.neutrino.autoscaler.internal.ConfigLoader;
import dev.neutrino.autoscaler.internal.Flags;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code autoscale simulate}: replays a trace under each policy and reports them side by side. Its
 * fields are its flags; those left null take {@link SimulationSettings#defaults()}.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, versionProvider = Flags.Version.class,
    sortOptions = false, usageHelpWidth = 110,
    description = "Replays a request-rate trace under each policy and reports them side by side (a table, and an "
        + "HTML page with charts).")
public final class SimulateCommand {
  @Option(names = "--trace", paramLabel = "<file>", required = true,
      description = "request-rate trace (CSV: second,requests_per_second); see generate-trace (required)")
  Path trace;

  @Option(names = "--policy", paramLabel = "<list>", defaultValue = "kpa,hpa,slo,predictive",
      description = "policies to compare, comma-separated (default ${DEFAULT-VALUE})")
  String policies;

  @Option(names = "--policy-config", paramLabel = "<file>",
      description = "YAML with kpa:/hpa:/slo:/predictive: blocks overriding policy parameters and interval")
  Path policyConfig;

  @Option(names = "--out", paramLabel = "<file>",
      description = "the HTML report (default: the trace's name with .html, beside it)")
  Path out;

  @Option(names = "--decision-log", paramLabel = "<file>",
      description = "write every simulated scaling decision, one line each, with its reason")
  Path decisionLog;

  @Option(names = "--seed", paramLabel = "<n>", description = "seed of the Poisson arrivals (default 1)")
  Long seed;

  @Option(names = "--service-time", paramLabel = "<duration>", converter = Flags.DurationValue.class,
      description = "time one request takes on a replica (default 50ms)")
  Duration serviceTime;

  @Option(names = "--replica-concurrency", paramLabel = "<n>",
      description = "requests a replica serves at once (default 4)")
  Integer replicaConcurrency;

  @Option(names = "--cold-start", paramLabel = "<duration|measured|measured-replica>",
      description = "from asking for a replica to it serving; measured: the --model's load in --bench-json (a "
          + "model instance); measured-replica: a new gateway process's start to ready with the request-path "
          + "warm-up on, in --bench-json (a Kubernetes replica) (default 30s, or measured when --bench-json is given)")
  String coldStart;

  @Option(names = "--bench-json", paramLabel = "<file>",
      description = "the JSON of ./neutrino bench --scenario coldstart --json FILE, for --cold-start measured "
          + "or measured-replica")
  Path benchJson;

  @Option(names = "--model", paramLabel = "<name>", defaultValue = "text_encoder",
      description = "whose measured cold start to take (default ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--latency-target", paramLabel = "<duration>", converter = Flags.DurationValue.class,
      description = "requests later than this are late (default 250ms)")
  Duration latencyTarget;

  @Option(names = "--slo-quantile", paramLabel = "<q>",
      description = "share of a second's requests that must be on time (default 0.99)")
  Double sloQuantile;

  @Option(names = "--queue-limit", paramLabel = "<n>",
      description = "queued requests per ready replica before rejecting (default 100)")
  Integer queueLimit;

  @Option(names = "--min", paramLabel = "<n>", description = "the fewest replicas, for every policy (default 1)")
  Integer min;

  @Option(names = "--max", paramLabel = "<n>", description = "the most replicas, for every policy (default 50)")
  Integer max;

  @Option(names = "--initial", paramLabel = "<n>",
      description = "replicas at the start (default: enough for the first second at 70 %%)")
  Integer initial;

  /** Runs the simulation; returns the exit status. */
  public int run(PrintStream stdout) throws IOException {
    SimulationSettings d = SimulationSettings.defaults();
    SimulationSettings settings = new SimulationSettings(
        Objects.requireNonNullElse(serviceTime, d.serviceTime()),
        Objects.requireNonNullElse(replicaConcurrency, d.replicaConcurrency()),
        coldStart(d.coldStart(), stdout),
        Objects.requireNonNullElse(latencyTarget, d.latencyTarget()),
        Objects.requireNonNullElse(sloQuantile, d.sloQuantile()),
        Objects.requireNonNullElse(queueLimit, d.queueLimitPerReplica()),
        new ReplicaBounds(Objects.requireNonNullElse(min, d.bounds().min()),
            Objects.requireNonNullElse(max, d.bounds().max())),
        Objects.requireNonNullElse(initial, 0),
        Objects.requireNonNullElse(seed, d.seed()));
    Map<String, ConfigLoader.SimulatorPolicy> overrides = Map.of();
    if (policyConfig != null) {
      overrides = ConfigLoader.simulatorPolicies(Files.readString(policyConfig));
    }
    List<PolicySetup> setups = new ArrayList<>();
    for (String name : policies.split(",")) {
      String n = name.strip();
      setups.add(PolicySetup.of(n, settings, overrides.get(n)));
    }
    Trace requests = Trace.read(trace);
    List<SimulationResult> results;
    if (decisionLog != null) {
      List<String> lines = new ArrayList<>();
      results = Simulator.compare(requests, setups, settings, lines::add);
      Files.write(decisionLog, lines);
    } else {
      results = Simulator.compare(requests, setups, settings);
    }
    String name = trace.getFileName().toString();
    stdout.print(Report.table(name, requests, settings, setups, results));
    Path html = out != null ? out : trace.resolveSibling(name.replaceFirst("\\.[^.]*$", "") + ".html");
    Files.writeString(html, Report.html(name, requests, settings, setups, results));
    stdout.println("report: " + html.toAbsolutePath());
    return 0;
  }

  /** The cold start to simulate: the flag's duration, or the measured one, or {@code fallback}. */
  private Duration coldStart(Duration fallback, PrintStream stdout) throws IOException {
    String kind = coldStart == null ? (benchJson != null ? "measured" : null) : coldStart.strip();
    if (!"measured".equals(kind) && !"measured-replica".equals(kind)) {
      if (kind == null) {
        return fallback;
      }
      try {
        return DurationText.parse(kind);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--cold-start: " + e.getMessage() + ", or measured, or measured-replica");
      }
    }
    if (benchJson == null) {
      throw new IllegalArgumentException("--cold-start " + kind + " needs --bench-json FILE (the JSON of "
          + "./neutrino bench --scenario coldstart --json FILE)");
    }
    if (kind.equals("measured-replica")) {
      MeasuredColdStart.ReplicaStart r = MeasuredColdStart.replicaStartFromBenchJson(benchJson);
      stdout.println("cold start: " + DurationText.format(r.readyAfter()) + ", a new gateway process until ready "
          + "with the request-path warm-up on (" + (r.warmupSecs() > 0 ? "at most " + r.warmupSecs() + " s, " : "")
          + "mean of " + r.rounds() + " round(s)) in " + benchJson + "; scheduling the pod and pulling its image "
          + "are not in it");
      return r.readyAfter();
    }
    MeasuredColdStart m = MeasuredColdStart.fromBenchJson(benchJson, model);
    stdout.println("cold start: " + DurationText.format(m.coldStart()) + ", measured for " + m.model() + " in "
        + benchJson + " (pass " + m.pass() + ")");
    return m.coldStart();
  }
}
