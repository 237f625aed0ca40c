package dev.neutrino.autoscaler.replay;

import dev.neutrino.autoscaler.DurationText;
import dev.neutrino.autoscaler.sim.PolicySetup;
import dev.neutrino.autoscaler.sim.Report;
import dev.neutrino.autoscaler.sim.SimulationResult;
import dev.neutrino.autoscaler.sim.SimulationSettings;
import dev.neutrino.autoscaler.sim.Trace;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * A replay and its simulation: the real run and the simulated one as the simulator reports them (same
 * trace, divided rates, policy, bounds, measured service time and cold start), and what was measured.
 *
 * @param traceName the trace file's name
 * @param scaledTrace the trace with its rates divided (requests per wall second in the replay)
 * @param settings the simulation's settings: the measured service time and cold start (in trace time)
 * @param setup the policy both ran
 * @param speedup trace seconds per wall second
 * @param tracePeak the trace's peak as written
 * @param peakRate the replay's peak, requests per wall second
 * @param divisor what every rate was divided by
 * @param wallSeconds the trace's length in wall time
 * @param gateway the gateway replayed against
 * @param metrics where the autoscaler read the metrics
 * @param gatewayLog the own gateway's log, or null for a running one
 * @param serviceTime the median latency of sequential requests before the trace
 * @param changes every instance change, the one before the trace first
 * @param traceStartNanos the wall reading of trace second 0
 * @param coldStartWallSeconds the mean wall duration of the first load and of the loads that added instances
 * @param unanswered requests with no answer when the drain ended
 * @param loadAverageBefore the machine's 1-minute load average before the trace
 * @param loadAverageAfter and after it
 * @param realArrivals requests scheduled in each trace second of the real run
 * @param realLateOrDropped of those, the late or dropped
 * @param gatewayLoad the gateway's own {@code neutrino_model_load_seconds} of the model's last load (instances
 *     created and warmed up), or why it has none
 * @param real the real run
 * @param simulated the simulation
 */
public record ReplayOutcome(
    String traceName,
    Trace scaledTrace,
    SimulationSettings settings,
    PolicySetup setup,
    double speedup,
    double tracePeak,
    double peakRate,
    double divisor,
    double wallSeconds,
    URI gateway,
    String metrics,
    Path gatewayLog,
    Duration serviceTime,
    List<RecordingActuator.Change> changes,
    long traceStartNanos,
    double coldStartWallSeconds,
    long unanswered,
    String loadAverageBefore,
    String loadAverageAfter,
    long[] realArrivals,
    long[] realLateOrDropped,
    String gatewayLoad,
    SimulationResult real,
    SimulationResult simulated) {

  /** The changes made during the trace: (trace second, from, to, wall seconds it took, applied). */
  public List<String> changesDuringTrace() {
    return changes.stream().filter(c -> c.startNanos() >= traceStartNanos)
        .map(c -> String.format(Locale.ROOT, "t=%.0fs %d -> %d in %.2fs%s", (c.startNanos() - traceStartNanos)
            * speedup / 1e9, c.from(), c.to(), c.wallSeconds(), c.ok() ? "" : " (failed)"))
        .toList();
  }

  /** The text report: what was replayed and measured, the two rows side by side, and their differences. */
  public String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT,
        "replay of %s: %ds of trace at speedup %s (%.1fs of wall time); rates / %.2f (peak %.0f/s -> %.1f/s); "
            + "policy %s every %s of trace time%n",
        traceName, scaledTrace.seconds(), Replay.number(speedup), wallSeconds, divisor, tracePeak, peakRate,
        setup.name(), DurationText.format(setup.interval())));
    sb.append(String.format(Locale.ROOT, "gateway %s%s; metrics: %s; load average (1 min) %s before, %s after%n",
        gateway, gatewayLog == null ? "" : " (own, log " + gatewayLog + ")", metrics, loadAverageBefore,
        loadAverageAfter));
    sb.append(String.format(Locale.ROOT,
        "measured: service time %s (median of sequential requests); cold start %.2fs of wall time (mean of %d "
            + "loads adding instances) = %s of trace time, which the simulation takes; the gateway's own "
            + "neutrino_model_load_seconds of its last load: %s%n",
        DurationText.format(serviceTime), coldStartWallSeconds, loadsAdding(), DurationText.format(settings.coldStart()),
        gatewayLoad));
    List<String> during = changesDuringTrace();
    sb.append("instance changes during the trace: ").append(during.isEmpty() ? "none" : String.join(", ", during))
        .append('\n');
    sb.append(Report.table(traceName + " (rates divided)", scaledTrace, settings, List.of(setup, setup),
        List.of(real, simulated)));
    sb.append(String.format(Locale.ROOT,
        "real - sim: SLO-violating s %+d (of %d), late+dropped %+.2f pp, replica-s %+.0f (%s), mean replicas %+.2f, "
            + "max %+d, p99 %s%n",
        real.sloViolatingSeconds() - simulated.sloViolatingSeconds(), scaledTrace.seconds(),
        share(real) - share(simulated), real.replicaSeconds() - simulated.replicaSeconds(),
        simulated.replicaSeconds() == 0 ? "-" : String.format(Locale.ROOT, "%+.1f%%",
            100 * (real.replicaSeconds() / simulated.replicaSeconds() - 1)),
        (real.replicaSeconds() - simulated.replicaSeconds()) / scaledTrace.seconds(),
        real.maxReplicas() - simulated.maxReplicas(), p99Difference()));
    sb.append(String.format(Locale.ROOT,
        "(a real trace second holds 1/%s of a simulated one's requests: %,d real against %,d simulated; "
            + "%d unanswered at the end)%n",
        Replay.number(speedup), real.arrivals(), simulated.arrivals(), unanswered));
    return sb.toString();
  }

  /** The HTML page: the simulator's report of the two runs. */
  public String html() {
    return Report.html(traceName + " replayed (real) and simulated (sim)", scaledTrace, settings,
        List.of(setup, setup), List.of(real, simulated));
  }

  /** The per-second timeline of both, as CSV. */
  public String timelineCsv() {
    StringBuilder sb = new StringBuilder("second,rate_per_s,real_arrivals,real_late_or_dropped,real_replicas,real_ready,"
        + "real_p99_ms,sim_replicas,sim_ready,sim_p99_ms\n");
    for (int s = 0; s < scaledTrace.seconds(); s++) {
      sb.append(s).append(',').append(String.format(Locale.ROOT, "%.3f", scaledTrace.rate(s))).append(',')
          .append(realArrivals[s]).append(',').append(realLateOrDropped[s]).append(',')
          .append(real.replicas()[s]).append(',').append(real.readyReplicas()[s]).append(',')
          .append(ms(real.p99PerSecond()[s])).append(',')
          .append(simulated.replicas()[s]).append(',').append(simulated.readyReplicas()[s]).append(',')
          .append(ms(simulated.p99PerSecond()[s])).append('\n');
    }
    return sb.toString();
  }

  private int loadsAdding() {
    int n = 0;
    for (int i = 0; i < changes.size(); i++) {
      RecordingActuator.Change c = changes.get(i);
      if (c.ok() && (i == 0 || c.to() > c.from())) {
        n++;
      }
    }
    return n;
  }

  private String p99Difference() {
    if (Double.isNaN(real.p99LatencySeconds()) || Double.isNaN(simulated.p99LatencySeconds())) {
      return "-";
    }
    return String.format(Locale.ROOT, "%+.0fms", 1000 * (real.p99LatencySeconds() - simulated.p99LatencySeconds()));
  }

  private static double share(SimulationResult r) {
    return r.arrivals() == 0 ? 0 : 100.0 * r.lateOrDropped() / r.arrivals();
  }

  private static String ms(double seconds) {
    return Double.isNaN(seconds) ? "" : String.format(Locale.ROOT, "%.1f", seconds * 1000);
  }
}
