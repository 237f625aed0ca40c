package dev.neutrino.autoscaler.sim;

import dev.neutrino.autoscaler.ReplicaBounds;
import dev.neutrino.autoscaler.internal.ConfigLoader;
import dev.neutrino.autoscaler.internal.Flags;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code autoscale simulate}: replays a trace under each policy and reports them side by side. */
public final class SimulateCommand {

  public static final String USAGE = """
      usage: ./neutrino autoscale simulate --trace FILE [FLAGS]

        --trace FILE              request-rate trace (CSV: second,requests_per_second); see generate-trace
        --policy LIST             policies to compare, comma-separated (default kpa,hpa,slo)
        --policy-config FILE      YAML with kpa:/hpa:/slo: blocks overriding policy parameters and interval
        --out FILE                the HTML report (default: the trace's name with .html, beside it)
        --decision-log FILE       write every simulated scaling decision, one line each, with its reason
        --seed N                  seed of the Poisson arrivals (default 1)
        --service-time D          time one request takes on a replica (default 50ms)
        --replica-concurrency N   requests a replica serves at once (default 4)
        --cold-start D            from asking for a replica to it serving (default 30s)
        --latency-target D        requests later than this are late (default 250ms)
        --slo-quantile Q          share of a second's requests that must be on time (default 0.99)
        --queue-limit N           queued requests per ready replica before rejecting (default 100)
        --min N / --max N         replica bounds for every policy (default 1 / 50)
        --initial N               replicas at the start (default: enough for the first second at 70 %)
      """;

  private static final Set<String> FLAGS = Set.of("trace", "policy", "policy-config", "out", "decision-log", "seed", "service-time",
      "replica-concurrency", "cold-start", "latency-target", "slo-quantile", "queue-limit", "min", "max", "initial");

  private SimulateCommand() {}

  /** Runs the command; returns the exit status. */
  public static int run(List<String> args, PrintStream out) throws IOException {
    Flags f = Flags.parse(args, FLAGS, Set.of());
    Path tracePath = Path.of(f.required("trace"));
    SimulationSettings d = SimulationSettings.defaults();
    SimulationSettings settings = new SimulationSettings(
        f.duration("service-time", d.serviceTime()),
        f.integer("replica-concurrency", d.replicaConcurrency()),
        f.duration("cold-start", d.coldStart()),
        f.duration("latency-target", d.latencyTarget()),
        f.number("slo-quantile", d.sloQuantile()),
        f.integer("queue-limit", d.queueLimitPerReplica()),
        new ReplicaBounds(f.integer("min", d.bounds().min()), f.integer("max", d.bounds().max())),
        f.integer("initial", 0),
        f.longValue("seed", d.seed()));
    Map<String, ConfigLoader.SimulatorPolicy> overrides = Map.of();
    if (f.has("policy-config")) {
      overrides = ConfigLoader.simulatorPolicies(Files.readString(Path.of(f.required("policy-config"))));
    }
    List<PolicySetup> setups = new ArrayList<>();
    for (String name : f.text("policy", "kpa,hpa,slo").split(",")) {
      String n = name.strip();
      PolicySetup base = PolicySetup.defaultFor(n, settings);
      ConfigLoader.SimulatorPolicy o = overrides.get(n);
      setups.add(o == null ? base
          : new PolicySetup(o.spec(), o.interval() != null ? o.interval() : base.interval()));
    }
    Trace trace = Trace.read(tracePath);
    List<SimulationResult> results;
    if (f.has("decision-log")) {
      List<String> lines = new ArrayList<>();
      results = Simulator.compare(trace, setups, settings, lines::add);
      Files.write(Path.of(f.required("decision-log")), lines);
    } else {
      results = Simulator.compare(trace, setups, settings);
    }
    String name = tracePath.getFileName().toString();
    out.print(Report.table(name, trace, settings, setups, results));
    Path html = f.has("out") ? Path.of(f.required("out"))
        : tracePath.resolveSibling(name.replaceFirst("\\.[^.]*$", "") + ".html");
    Files.writeString(html, Report.html(name, trace, settings, setups, results));
    out.println("report: " + html.toAbsolutePath());
    return 0;
  }
}
