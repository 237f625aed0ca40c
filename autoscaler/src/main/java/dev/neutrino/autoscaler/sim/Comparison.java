package dev.neutrino.autoscaler.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Several policies on several traces, and whether a candidate policy wins on each: fewer SLO-violating
 * seconds than every other policy (or none where the best of them has none) at no more replica-seconds
 * than the cheapest of them. Pure: the same traces and settings give the same table.
 */
public final class Comparison {

  /** A named trace. */
  public record NamedTrace(String name, Trace trace) {
    public NamedTrace {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(trace, "trace");
    }
  }

  /** One trace's results, in the order of the setups. */
  public record Row(String trace, List<SimulationResult> results) {

    /** The candidate (the last result) against every other policy on this trace. */
    public boolean candidateWins() {
      SimulationResult candidate = results.get(results.size() - 1);
      int fewest = Integer.MAX_VALUE;
      double cheapest = Double.POSITIVE_INFINITY;
      for (SimulationResult r : results.subList(0, results.size() - 1)) {
        fewest = Math.min(fewest, r.sloViolatingSeconds());
        cheapest = Math.min(cheapest, r.replicaSeconds());
      }
      boolean fewer = candidate.sloViolatingSeconds() < fewest || (fewest == 0 && candidate.sloViolatingSeconds() == 0);
      return fewer && candidate.replicaSeconds() <= cheapest;
    }

    /** The fewest SLO-violating seconds of the policies other than the candidate. */
    public int othersFewestViolating() {
      int fewest = Integer.MAX_VALUE;
      for (SimulationResult r : results.subList(0, results.size() - 1)) {
        fewest = Math.min(fewest, r.sloViolatingSeconds());
      }
      return fewest;
    }
  }

  private final List<PolicySetup> setups;
  private final List<Row> rows;

  private Comparison(List<PolicySetup> setups, List<Row> rows) {
    this.setups = setups;
    this.rows = rows;
  }

  /**
   * Runs every setup on every trace (same arrivals for all setups on one trace). The last setup is
   * the candidate; there must be at least two.
   */
  public static Comparison run(List<NamedTrace> traces, List<PolicySetup> setups, SimulationSettings settings) {
    if (setups.size() < 2) {
      throw new IllegalArgumentException("a comparison needs at least two policies, the candidate last");
    }
    if (traces.isEmpty()) {
      throw new IllegalArgumentException("a comparison needs at least one trace");
    }
    List<Row> rows = new ArrayList<>();
    for (NamedTrace t : traces) {
      rows.add(new Row(t.name(), Simulator.compare(t.trace(), setups, settings)));
    }
    return new Comparison(List.copyOf(setups), List.copyOf(rows));
  }

  public List<Row> rows() {
    return rows;
  }

  public String candidate() {
    return setups.get(setups.size() - 1).name();
  }

  /** On how many traces the candidate wins. */
  public int wins() {
    int wins = 0;
    for (Row r : rows) {
      wins += r.candidateWins() ? 1 : 0;
    }
    return wins;
  }

  /** The candidate's SLO-violating seconds over all traces divided by the others' fewest, trace by trace. */
  public double violatingRatio() {
    long candidate = 0;
    long others = 0;
    for (Row r : rows) {
      candidate += r.results().get(r.results().size() - 1).sloViolatingSeconds();
      others += r.othersFewestViolating();
    }
    return others == 0 ? (candidate == 0 ? 0 : Double.POSITIVE_INFINITY) : (double) candidate / others;
  }

  /** The table: one row per trace, {@code violating s / replica-s} per policy, and the verdict. */
  public String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-12s", "trace"));
    for (PolicySetup s : setups) {
      sb.append(String.format(Locale.ROOT, " %22s", s.name() + " viol s / repl-s"));
    }
    sb.append(String.format(Locale.ROOT, "  %s%n", candidate() + " wins"));
    for (Row r : rows) {
      sb.append(String.format(Locale.ROOT, "%-12s", r.trace()));
      for (SimulationResult res : r.results()) {
        sb.append(String.format(Locale.ROOT, " %22s",
            String.format(Locale.ROOT, "%d / %,.0f", res.sloViolatingSeconds(), res.replicaSeconds())));
      }
      sb.append(String.format(Locale.ROOT, "  %s%n", r.candidateWins() ? "yes" : "no"));
    }
    long candidate = 0;
    long others = 0;
    for (Row r : rows) {
      candidate += r.results().get(r.results().size() - 1).sloViolatingSeconds();
      others += r.othersFewestViolating();
    }
    sb.append(String.format(Locale.ROOT,
        "%s wins on %d of %d traces (fewer SLO-violating seconds than every other policy, or none where the best "
            + "has none, at no more replica-seconds than the cheapest); violating seconds %d against %d for the "
            + "best other policy on each trace (ratio %.2f)%n",
        candidate(), wins(), rows.size(), candidate, others, violatingRatio()));
    return sb.toString();
  }
}
