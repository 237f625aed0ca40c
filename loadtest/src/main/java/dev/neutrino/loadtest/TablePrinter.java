package dev.neutrino.loadtest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The console table of one target's runs, one row per level, printed as each level finishes.
 * Columns have fixed widths so rows line up without knowing the rows to come; the errors by status
 * come last because their width varies.
 */
final class TablePrinter {
  private final boolean open;
  private final boolean batch;
  private final boolean phase;

  /**
   * @param open rows are open-loop rates rather than concurrencies
   * @param batch show a batch-size column (the in-process limit)
   * @param phase show a phase column (the hot-swap scenario)
   */
  TablePrinter(boolean open, boolean batch, boolean phase) {
    this.open = open;
    this.batch = batch;
    this.phase = phase;
  }

  static TablePrinter forRuns(List<Report.Run> runs) {
    return new TablePrinter(
        !runs.isEmpty() && runs.get(0).result().spec().mode() == LoadSpec.Mode.OPEN,
        runs.stream().anyMatch(r -> r.batchSize() != null),
        runs.stream().anyMatch(r -> r.phase() != null));
  }

  String header() {
    List<String> cells = new ArrayList<>();
    cells.add(pad(open ? "rate/s" : "conc", 7));
    if (batch) {
      cells.add(pad("batch", 5));
    }
    if (phase) {
      cells.add(pad("phase", 6));
    }
    for (String h : new String[] {"requests", "ok", "rps", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us",
        "srv batch", "queue us", "compute us", "gen cpu"}) {
      cells.add(pad(h, Math.max(h.length(), 8)));
    }
    return " " + String.join(" ", cells) + "  errors";
  }

  String row(Report.Run run) {
    LevelResult r = run.result();
    ServerStats s = r.server();
    List<String> cells = new ArrayList<>();
    cells.add(pad(open ? Report.number(r.spec().rate()) : Integer.toString(r.spec().concurrency()), 7));
    if (batch) {
      cells.add(pad(run.batchSize() == null ? "" : run.batchSize().toString(), 5));
    }
    if (phase) {
      cells.add(pad(run.phase() == null ? "" : run.phase(), 6));
    }
    cells.add(pad(Long.toString(r.requests()), 8));
    cells.add(pad(Long.toString(r.ok()), 8));
    cells.add(pad(Report.number(r.throughputRps()), 8));
    cells.add(pad(Long.toString(r.latency().p50()), 8));
    cells.add(pad(Long.toString(r.latency().p90()), 8));
    cells.add(pad(Long.toString(r.latency().p99()), 8));
    cells.add(pad(Long.toString(r.latency().p999()), 8));
    cells.add(pad(Long.toString(r.latency().max()), 8));
    cells.add(pad(Report.orNa(s.avgBatchSize()), 9));
    cells.add(pad(Report.orNa(s.queueUsAvg()), 8));
    cells.add(pad(Report.orNa(s.computeUsAvg()), 10));
    cells.add(pad(String.format(Locale.ROOT, "%.2f", r.generatorCpuCores()), 8));
    return " " + String.join(" ", cells) + "  " + Report.errorsAndValidity(r);
  }

  /** The whole table, header first. */
  String table(List<Report.Run> runs) {
    StringBuilder out = new StringBuilder(header()).append('\n');
    runs.forEach(run -> out.append(row(run)).append('\n'));
    return out.toString();
  }

  private static String pad(String text, int width) {
    return text.length() >= width ? text : " ".repeat(width - text.length()) + text;
  }
}
