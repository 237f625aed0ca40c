package dev.neutrino.autoscaler.sim;

import dev.neutrino.autoscaler.DurationText;
import dev.neutrino.autoscaler.internal.Flags;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code autoscale compare}: generates several traces, runs every policy on each and prints one table
 * with the candidate policy's verdict per trace. Its fields are its flags; the simulated replicas are
 * {@link SimulationSettings#defaults()} with the cold start overridable.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = Flags.Version.class,
    sortOptions = false, usageHelpWidth = 110,
    description = "Runs policies on generated traces (bursty with several seeds, diurnal, step) and prints one "
        + "table: SLO-violating seconds and replica-seconds per policy, and whether the last policy wins.")
public final class CompareCommand {

  @Option(names = "--traces", paramLabel = "<list>",
      defaultValue = "bursty:11,bursty:23,bursty:42,bursty:57,bursty:91,diurnal:1,step:1",
      description = "traces as SHAPE:SEED, comma-separated (default ${DEFAULT-VALUE})")
  String traces;

  @Option(names = "--policy", paramLabel = "<list>", defaultValue = "kpa,hpa,slo,predictive",
      description = "policies, comma-separated; the last is the candidate judged on each trace (default "
          + "${DEFAULT-VALUE})")
  String policies;

  @Option(names = "--duration", paramLabel = "<duration>", defaultValue = "1h", converter = Flags.DurationValue.class,
      description = "each trace's length (default ${DEFAULT-VALUE})")
  Duration duration;

  @Option(names = "--base", paramLabel = "<rate>", defaultValue = "100",
      description = "requests/s at rest (default ${DEFAULT-VALUE})")
  double base;

  @Option(names = "--peak", paramLabel = "<rate>", defaultValue = "1000",
      description = "requests/s at the top (default ${DEFAULT-VALUE})")
  double peak;

  @Option(names = "--cold-start", paramLabel = "<duration>", converter = Flags.DurationValue.class,
      description = "from asking for a replica to it serving (default 30s; give a measured one, see "
          + "README's cold-start figures)")
  Duration coldStart;

  /** Runs the comparison; returns the exit status. */
  public int run(PrintStream stdout) {
    SimulationSettings d = SimulationSettings.defaults();
    SimulationSettings settings = coldStart == null ? d : new SimulationSettings(d.serviceTime(),
        d.replicaConcurrency(), coldStart, d.latencyTarget(), d.sloQuantile(), d.queueLimitPerReplica(), d.bounds(),
        d.initialReplicas(), d.seed());
    List<Comparison.NamedTrace> named = new ArrayList<>();
    for (String spec : traces.split(",")) {
      named.add(parseTrace(spec.strip(), (int) duration.toSeconds(), base, peak));
    }
    List<PolicySetup> setups = new ArrayList<>();
    for (String name : policies.split(",")) {
      setups.add(PolicySetup.defaultFor(name.strip(), settings));
    }
    Comparison comparison = Comparison.run(named, setups, settings);
    stdout.printf(Locale.ROOT, "%s traces, peak %.0f/s; replica: %d x %s service, %s cold start; SLO p99 <= %s%n",
        DurationText.format(duration), peak, settings.replicaConcurrency(),
        DurationText.format(settings.serviceTime()), DurationText.format(settings.coldStart()),
        DurationText.format(settings.latencyTarget()));
    stdout.print(comparison.table());
    return 0;
  }

  static Comparison.NamedTrace parseTrace(String spec, int seconds, double base, double peak) {
    String[] parts = spec.split(":");
    if (parts.length != 2) {
      throw new IllegalArgumentException("--traces: expected SHAPE:SEED, got '" + spec + "'");
    }
    TraceGenerator.Shape shape = TraceGenerator.Shape.parse(parts[0]);
    long seed;
    try {
      seed = Long.parseLong(parts[1].strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--traces: seed of '" + spec + "' is not a number");
    }
    String name = shape.name().toLowerCase(Locale.ROOT) + " " + seed;
    return new Comparison.NamedTrace(name, TraceGenerator.generate(shape, seed, seconds, base, peak));
  }
}
