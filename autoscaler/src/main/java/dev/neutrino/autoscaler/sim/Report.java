package dev.neutrino.autoscaler.sim;

import dev.neutrino.autoscaler.DurationText;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Presents a comparison: a text table for the terminal and a self-contained HTML page with the same
 * table and inline SVG charts (demand and replicas over time; p99 latency over time against the
 * target). No scripts, no external resources.
 */
public final class Report {

  private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b"};
  private static final int WIDTH = 1100;
  private static final int HEIGHT = 300;
  private static final int LEFT = 60;
  private static final int RIGHT = 60;
  private static final int TOP = 36;
  private static final int BOTTOM = 40;

  private Report() {}

  /** The side-by-side table. */
  public static String table(String traceName, Trace trace, SimulationSettings s, List<PolicySetup> setups,
      List<SimulationResult> results) {
    StringBuilder sb = new StringBuilder();
    long arrivals = results.isEmpty() ? 0 : results.get(0).arrivals();
    sb.append(String.format(Locale.ROOT,
        "%s: %ds, %,d requests (peak %.0f/s); replica: %d x %s service, %s cold start; SLO: p%s <= %s per second; seed %d%n",
        traceName, trace.seconds(), arrivals, trace.peak(), s.replicaConcurrency(), DurationText.format(s.serviceTime()),
        DurationText.format(s.coldStart()), Fmt.quantile(s.sloQuantile()), DurationText.format(s.latencyTarget()),
        s.seed()));
    sb.append(String.format(Locale.ROOT, "%-7s %-8s %15s %10s %9s %13s %9s %13s %9s %4s %14s%n",
        "policy", "interval", "SLO-violating s", "late", "dropped", "late+dropped", "p99", "replica-s",
        "mean repl", "max", "events (up/dn)"));
    for (int i = 0; i < results.size(); i++) {
      SimulationResult r = results.get(i);
      sb.append(String.format(Locale.ROOT, "%-7s %-8s %15d %10d %9d %12.2f%% %9s %13.0f %9.2f %4d %14s%n",
          r.policy(), DurationText.format(setups.get(i).interval()), r.sloViolatingSeconds(), r.late(), r.dropped(),
          r.arrivals() == 0 ? 0.0 : 100.0 * r.lateOrDropped() / r.arrivals(), Fmt.seconds(r.p99LatencySeconds()),
          r.replicaSeconds(), r.replicaSeconds() / trace.seconds(), r.maxReplicas(),
          r.scaleEvents() + " (" + r.scaleUps() + "/" + r.scaleDowns() + ")"));
    }
    return sb.toString();
  }

  /** The HTML page. */
  public static String html(String traceName, Trace trace, SimulationSettings s, List<PolicySetup> setups,
      List<SimulationResult> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Neutrino autoscaler simulation: ")
        .append(esc(traceName)).append("</title>\n<style>\n")
        .append("body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222}\n")
        .append("table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}\n")
        .append("th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}\n")
        .append("h2{font-size:1.05em;margin:22px 0 4px}.note{color:#555;font-size:.9em;max-width:1100px}\n")
        .append("svg{background:#fff;border:1px solid #ddd}\n</style></head><body>\n");
    sb.append("<h1>Autoscaler simulation: ").append(esc(traceName)).append("</h1>\n");
    sb.append("<p class=\"note\">").append(esc(String.format(Locale.ROOT,
        "%d s of trace, peak %.0f requests/s, %,d requests. Each replica serves %d requests at once in %s each "
            + "(%.0f requests/s) and is ready %s after it is asked for; its queue holds %d requests. A second "
            + "violates the SLO when more than %s of its requests are late (over %s) or dropped. Seed %d.",
        trace.seconds(), trace.peak(), results.isEmpty() ? 0 : results.get(0).arrivals(), s.replicaConcurrency(),
        DurationText.format(s.serviceTime()), s.replicaThroughput(), DurationText.format(s.coldStart()),
        s.queueLimitPerReplica(), Fmt.percent(1 - s.sloQuantile()), DurationText.format(s.latencyTarget()), s.seed())))
        .append("</p>\n");
    sb.append("<table><tr><th>policy</th><th>interval</th><th>SLO-violating seconds</th><th>late</th><th>dropped</th>")
        .append("<th>late or dropped</th><th>p99 latency</th><th>replica-seconds</th><th>mean replicas</th>")
        .append("<th>max replicas</th><th>scale events (up/down)</th></tr>\n");
    for (int i = 0; i < results.size(); i++) {
      SimulationResult r = results.get(i);
      sb.append(String.format(Locale.ROOT,
          "<tr><td><span style=\"color:%s\">&#9632;</span> %s</td><td>%s</td><td>%d</td><td>%d</td><td>%d</td>"
              + "<td>%.2f%%</td><td>%s</td><td>%.0f</td><td>%.2f</td><td>%d</td><td>%d (%d/%d)</td></tr>%n",
          COLOURS[i % COLOURS.length], esc(r.policy()), DurationText.format(setups.get(i).interval()),
          r.sloViolatingSeconds(), r.late(), r.dropped(),
          r.arrivals() == 0 ? 0.0 : 100.0 * r.lateOrDropped() / r.arrivals(), Fmt.seconds(r.p99LatencySeconds()),
          r.replicaSeconds(), r.replicaSeconds() / trace.seconds(), r.maxReplicas(), r.scaleEvents(), r.scaleUps(),
          r.scaleDowns()));
    }
    sb.append("</table>\n");
    sb.append("<h2>Demand (requests/s, grey, left axis) and replicas asked for (right axis)</h2>\n");
    sb.append(replicaChart(trace, results));
    sb.append("<h2>p99 latency of each second's requests (log scale; dashed: the target)</h2>\n");
    sb.append(latencyChart(trace, s, results));
    sb.append("<p class=\"note\">Replicas include those still starting (they cost, but do not serve, during the cold "
        + "start). Seconds whose requests were all dropped have no latency point.</p>\n");
    sb.append("</body></html>\n");
    return sb.toString();
  }

  private static String replicaChart(Trace trace, List<SimulationResult> results) {
    int n = trace.seconds();
    int step = Math.max(1, (int) Math.ceil(n / (double) (WIDTH - LEFT - RIGHT)));
    double maxRate = Math.max(1, trace.peak());
    int maxReplicas = 1;
    for (SimulationResult r : results) {
      maxReplicas = Math.max(maxReplicas, r.maxReplicas());
    }
    double rateTop = niceCeil(maxRate);
    int replicaTop = (int) niceCeil(maxReplicas);
    StringBuilder sb = svgOpen();
    axes(sb, n, rateTop, "req/s", replicaTop, "replicas");
    StringBuilder area = new StringBuilder();
    area.append(x(0, n)).append(',').append(y(0, rateTop)).append(' ');
    for (int i = 0; i < n; i += step) {
      double sum = 0;
      int c = 0;
      for (int j = i; j < Math.min(n, i + step); j++) {
        sum += trace.rate(j);
        c++;
      }
      area.append(fmt(x(i, n))).append(',').append(fmt(y(sum / c, rateTop))).append(' ');
    }
    area.append(fmt(x(n, n))).append(',').append(fmt(y(0, rateTop)));
    sb.append("<polygon points=\"").append(area).append("\" fill=\"#ddd\" stroke=\"#bbb\"/>\n");
    for (int k = 0; k < results.size(); k++) {
      int[] rep = results.get(k).replicas();
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < n; i += step) {
        int m = 0;
        for (int j = i; j < Math.min(n, i + step); j++) {
          m = Math.max(m, rep[j]);
        }
        line.append(fmt(x(i, n))).append(',').append(fmt(y(m, replicaTop))).append(' ');
      }
      sb.append("<polyline points=\"").append(line).append("\" fill=\"none\" stroke-width=\"1.6\" stroke=\"")
          .append(COLOURS[k % COLOURS.length]).append("\"/>\n");
    }
    legend(sb, results, true);
    return sb.append("</svg>\n").toString();
  }

  private static String latencyChart(Trace trace, SimulationSettings s, List<SimulationResult> results) {
    int n = trace.seconds();
    int step = Math.max(1, (int) Math.ceil(n / (double) (WIDTH - LEFT - RIGHT)));
    double lo = Math.max(0.001, s.serviceTime().toNanos() / 1e9 / 2);
    double hi = s.latencyTarget().toNanos() / 1e9 * 4;
    for (SimulationResult r : results) {
      for (double v : r.p99PerSecond()) {
        if (!Double.isNaN(v)) {
          hi = Math.max(hi, v);
        }
      }
    }
    double logLo = Math.log10(lo);
    double logHi = Math.log10(hi * 1.1);
    StringBuilder sb = svgOpen();
    int plotH = HEIGHT - TOP - BOTTOM;
    sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>%n",
        LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM));
    sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>%n",
        LEFT, TOP, LEFT, HEIGHT - BOTTOM));
    for (double decade = Math.pow(10, Math.floor(logLo)); decade <= hi * 1.1; decade *= 10) {
      for (double m : new double[] {1, 2, 5}) {
        double v = decade * m;
        if (v < lo || v > hi * 1.1) {
          continue;
        }
        double yy = TOP + plotH * (1 - (Math.log10(v) - logLo) / (logHi - logLo));
        sb.append(String.format(Locale.ROOT,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/><text x=\"%d\" y=\"%.1f\" "
                + "font-size=\"11\" text-anchor=\"end\">%s</text>%n",
            LEFT, yy, WIDTH - RIGHT, yy, LEFT - 6, yy + 4, Fmt.seconds(v)));
      }
    }
    timeTicks(sb, n);
    double targetY = TOP + plotH * (1 - (Math.log10(s.latencyTarget().toNanos() / 1e9) - logLo) / (logHi - logLo));
    sb.append(String.format(Locale.ROOT,
        "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#000\" stroke-dasharray=\"6,4\"/>"
            + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">target %s</text>%n",
        LEFT, targetY, WIDTH - RIGHT, targetY, WIDTH - RIGHT - 4, targetY - 4, DurationText.format(s.latencyTarget())));
    for (int k = 0; k < results.size(); k++) {
      double[] p = results.get(k).p99PerSecond();
      List<String> segments = new ArrayList<>();
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < n; i += step) {
        double m = Double.NaN;
        for (int j = i; j < Math.min(n, i + step); j++) {
          if (!Double.isNaN(p[j])) {
            m = Double.isNaN(m) ? p[j] : Math.max(m, p[j]);
          }
        }
        if (Double.isNaN(m)) {
          if (line.length() > 0) {
            segments.add(line.toString());
            line.setLength(0);
          }
          continue;
        }
        double yy = TOP + plotH * (1 - (Math.log10(Math.max(lo, m)) - logLo) / (logHi - logLo));
        line.append(fmt(x(i, n))).append(',').append(fmt(yy)).append(' ');
      }
      if (line.length() > 0) {
        segments.add(line.toString());
      }
      for (String seg : segments) {
        sb.append("<polyline points=\"").append(seg).append("\" fill=\"none\" stroke-width=\"1.3\" stroke-opacity=\"0.85\" stroke=\"")
            .append(COLOURS[k % COLOURS.length]).append("\"/>\n");
      }
    }
    legend(sb, results, false);
    return sb.append("</svg>\n").toString();
  }

  private static StringBuilder svgOpen() {
    return new StringBuilder(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            + "font-family=\"system-ui,Helvetica,Arial,sans-serif\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
  }

  private static void axes(StringBuilder sb, int n, double leftTop, String leftLabel, int rightTop, String rightLabel) {
    int plotH = HEIGHT - TOP - BOTTOM;
    sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>%n",
        LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM));
    for (int i = 0; i <= 4; i++) {
      double yy = TOP + plotH * (1 - i / 4.0);
      sb.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
              + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>"
              + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\">%s</text>%n",
          LEFT, yy, WIDTH - RIGHT, yy, LEFT - 6, yy + 4, Fmt.number(leftTop * i / 4), WIDTH - RIGHT + 6, yy + 4,
          Fmt.number(rightTop * i / 4.0)));
    }
    sb.append(String.format(Locale.ROOT,
        "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#666\">%s</text><text x=\"%d\" y=\"%d\" font-size=\"11\" "
            + "fill=\"#666\" text-anchor=\"end\">%s</text>%n",
        4, TOP - 6, leftLabel, WIDTH - 4, TOP - 6, rightLabel));
    timeTicks(sb, n);
  }

  private static void timeTicks(StringBuilder sb, int n) {
    int tick = n <= 600 ? 60 : n <= 3600 ? 300 : n <= 4 * 3600 ? 1800 : 3600;
    for (int t = 0; t <= n; t += tick) {
      double xx = x(t, n);
      sb.append(String.format(Locale.ROOT,
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\"/><text x=\"%.1f\" y=\"%d\" "
              + "font-size=\"11\" text-anchor=\"middle\">%s</text>%n",
          xx, HEIGHT - BOTTOM, xx, HEIGHT - BOTTOM + 5, xx, HEIGHT - BOTTOM + 18,
          t % 60 == 0 ? (t / 60) + "m" : t + "s"));
    }
    sb.append(String.format(Locale.ROOT,
        "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#666\" text-anchor=\"middle\">time</text>%n",
        (LEFT + WIDTH - RIGHT) / 2, HEIGHT - 6));
  }

  private static void legend(StringBuilder sb, List<SimulationResult> results, boolean withDemand) {
    int xx = LEFT + 60;
    int yy = 14;
    if (withDemand) {
      sb.append(String.format(Locale.ROOT,
          "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"#ddd\" stroke=\"#bbb\"/><text x=\"%d\" y=\"%d\" font-size=\"12\">demand</text>%n",
          xx, yy - 9, xx + 18, yy));
      xx += 80;
    }
    for (int k = 0; k < results.size(); k++) {
      sb.append(String.format(Locale.ROOT,
          "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>%n",
          xx, yy - 5, COLOURS[k % COLOURS.length], xx + 18, yy, esc(results.get(k).policy())));
      xx += 70;
    }
  }

  private static double x(double t, int n) {
    return LEFT + (WIDTH - LEFT - RIGHT) * t / n;
  }

  private static double y(double v, double top) {
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - v / top);
  }

  private static double niceCeil(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 4, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /** Number formats for the report. */
  static final class Fmt {
    private Fmt() {}

    static String seconds(double v) {
      if (Double.isNaN(v)) {
        return "-";
      }
      return v < 1 ? String.format(Locale.ROOT, "%.0fms", v * 1000) : String.format(Locale.ROOT, "%.1fs", v);
    }

    static String number(double v) {
      return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }

    static String percent(double v) {
      return String.format(Locale.ROOT, "%.3g%%", v * 100).replaceAll("\\.?0+%", "%");
    }

    static String quantile(double q) {
      String s = String.format(Locale.ROOT, "%.4f", q * 100).replaceAll("\\.?0+$", "");
      return s;
    }
  }
}
