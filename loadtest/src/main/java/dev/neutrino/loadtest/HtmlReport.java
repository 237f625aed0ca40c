package dev.neutrino.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A report as one self-contained page: no scripts, no fonts, no external resources. A latency-versus-
 * throughput chart per target drawn as inline SVG (p50 and p99 against achieved throughput, one point
 * per level), an overview of every target's p99, the headline ratios and the table of figures. The
 * page is well-formed XHTML, so that it parses as XML as well as HTML.
 */
final class HtmlReport {
  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
      "#17becf", "#7f7f7f"};
  private static final int WIDTH = 560;
  private static final int HEIGHT = 330;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 20;
  private static final int BOTTOM = 48;

  private HtmlReport() {}

  static void write(Report report, Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, render(report), StandardCharsets.UTF_8);
  }

  static String render(Report report) {
    StringBuilder h = new StringBuilder(32 * 1024);
    head(h, report.title());
    h.append("<h1>").append(esc(report.title())).append("</h1>\n");
    h.append("<p class=\"meta\">").append(esc(MachineInfo.describe(report.machine()))).append("</p>\n");
    body(h, report, "h2");
    h.append("</body>\n</html>\n");
    return h.toString();
  }

  static void writeAll(String title, Map<String, Object> machine, List<HeadlineRow> headline, List<Report> reports,
      Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, renderAll(title, machine, headline, reports), StandardCharsets.UTF_8);
  }

  /** One row of the headline table of a whole run: a figure, its value, its goal, and where it comes from. */
  record HeadlineRow(String figure, String value, String goal, String source) {}

  /**
   * Every scenario of one run on one page: the machine, the headline table, then each scenario's
   * section (settings, notes, ratios, charts, runs, and any {@link Report.Section} it carries, such as
   * the profile's flame graphs).
   */
  static String renderAll(String title, Map<String, Object> machine, List<HeadlineRow> headline,
      List<Report> reports) {
    StringBuilder h = new StringBuilder(128 * 1024);
    head(h, title);
    h.append("<h1>").append(esc(title)).append("</h1>\n");
    h.append("<h2>Machine</h2>\n<table class=\"machine\">\n");
    for (Map.Entry<String, Object> m : machine.entrySet()) {
      h.append("<tr><th class=\"l\">").append(esc(m.getKey())).append("</th><td class=\"l\">")
          .append(esc(format(m.getValue()))).append("</td></tr>\n");
    }
    h.append("</table>\n");
    h.append("<h2>Headline</h2>\n<table class=\"headline\">\n<tr><th class=\"l\">figure</th><th>value</th>"
        + "<th class=\"l\">goal</th><th class=\"l\">from</th></tr>\n");
    for (HeadlineRow row : headline) {
      h.append("<tr><td class=\"l\">").append(esc(row.figure())).append("</td><td>").append(esc(row.value()))
          .append("</td><td class=\"l\">").append(esc(row.goal())).append("</td><td class=\"l\">")
          .append(esc(row.source())).append("</td></tr>\n");
    }
    h.append("</table>\n<ul class=\"toc\">\n");
    for (Report report : reports) {
      h.append("<li><a href=\"#").append(esc(anchor(report))).append("\">").append(esc(report.title()))
          .append("</a></li>\n");
    }
    h.append("</ul>\n");
    for (Report report : reports) {
      h.append("<section id=\"").append(esc(anchor(report))).append("\">\n<h2>").append(esc(report.title()))
          .append("</h2>\n");
      body(h, report, "h3");
      h.append("</section>\n");
    }
    h.append("</body>\n</html>\n");
    return h.toString();
  }

  private static String anchor(Report report) {
    return "scenario-" + (report.scenario() == null ? "loadtest" : report.scenario());
  }

  private static void head(StringBuilder h, String title) {
    h.append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n")
        .append("<meta charset=\"utf-8\"/>\n<title>").append(esc(title)).append("</title>\n")
        .append("<style>\n")
        .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;max-width:1240px}\n")
        .append("h1{font-size:20px}h2{font-size:16px;margin-top:28px}h3{font-size:14px;margin-top:20px}\n")
        .append("table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}\n")
        .append("th{background:#f3f3f3}td.l,th.l{text-align:left}td{white-space:nowrap}tr.invalid td{background:#fde8e8}\n")
        .append(".charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-size:12px;color:#555;max-width:560px}\n")
        .append("svg text{font-family:system-ui,sans-serif;font-size:11px;fill:#333}\n")
        .append(".meta{font-size:13px;color:#444}.notes li{font-size:13px}\n")
        .append("</style>\n</head>\n<body>\n");
  }

  /** One report's settings, notes, ratios, charts, runs and extra sections, under headings of {@code level}. */
  private static void body(StringBuilder h, Report report, String level) {
    if (!report.settings().isEmpty()) {
      h.append("<").append(level).append(">Settings</").append(level).append(">\n<table class=\"settings\">\n");
      for (Map.Entry<String, Object> setting : report.settings().entrySet()) {
        h.append("<tr><th class=\"l\">").append(esc(setting.getKey())).append("</th><td class=\"l\">")
            .append(esc(format(setting.getValue()))).append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    if (!report.notes().isEmpty()) {
      h.append("<ul class=\"notes\">\n");
      report.notes().forEach(n -> h.append("<li>").append(esc(n)).append("</li>\n"));
      h.append("</ul>\n");
    }
    if (!report.ratios().isEmpty()) {
      h.append("<").append(level).append(">Headline</").append(level).append(">\n<table class=\"ratios\">\n");
      for (Map.Entry<String, Object> r : report.ratios().entrySet()) {
        h.append("<tr><th class=\"l\">").append(esc(r.getKey())).append("</th><td>")
            .append(esc(format(r.getValue()))).append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    List<String> targets = report.targets();
    // Network targets share their axes so that their charts compare at a glance; the limit, in rows
    // per second of whole batches, has its own.
    Axes shared = Axes.of(report.runs().stream().filter(r -> !r.target().equals(Report.IN_PROCESS)).toList());
    h.append("<").append(level).append(">Latency versus throughput</").append(level).append(">\n<div class=\"charts\">\n");
    for (int i = 0; i < targets.size(); i++) {
      String target = targets.get(i);
      List<Report.Run> runs = report.runsOf(target);
      h.append("<figure>\n");
      chart(h, target, runs, COLORS[i % COLORS.length], target.equals(Report.IN_PROCESS) ? Axes.of(runs) : shared);
      h.append("<figcaption>").append(esc(caption(target, runs))).append("</figcaption>\n</figure>\n");
    }
    List<String> network = targets.stream().filter(t -> !t.equals(Report.IN_PROCESS)).toList();
    if (network.size() > 1) {
      h.append("<figure>\n");
      overview(h, report, network);
      h.append("<figcaption>").append(esc("Every network target's p99 against its throughput"
          + limitNote(report) + ".")).append("</figcaption>\n</figure>\n");
    }
    h.append("</div>\n");
    h.append("<").append(level).append(">All runs</").append(level).append(">\n<table class=\"runs\">\n<tr>");
    for (String col : new String[] {"target", "mode", "level", "batch", "phase", "duration s", "requests", "ok",
        "errors", "throughput rps", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us", "srv batch", "queue us",
        "compute us", "gen cpu", "valid"}) {
      h.append("<th").append(col.equals("target") || col.equals("errors") ? " class=\"l\"" : "").append('>')
          .append(esc(col)).append("</th>");
    }
    h.append("</tr>\n");
    for (Report.Run run : report.runs()) {
      LevelResult r = run.result();
      LoadSpec spec = r.spec();
      ServerStats s = r.server();
      h.append(r.valid() ? "<tr>" : "<tr class=\"invalid\">").append("<td class=\"l\">").append(esc(run.target()))
          .append("</td>");
      cell(h, spec.mode().label());
      cell(h, spec.mode() == LoadSpec.Mode.CLOSED ? "c=" + spec.concurrency() : Report.number(spec.rate()) + "/s");
      cell(h, run.batchSize() == null ? "" : run.batchSize().toString());
      cell(h, run.phase() == null ? "" : run.phase());
      cell(h, String.format(Locale.ROOT, "%.2f", r.durationSeconds()));
      cell(h, Long.toString(r.requests()));
      cell(h, Long.toString(r.ok()));
      h.append("<td class=\"l\">").append(esc(Report.errors(r))).append("</td>");
      cell(h, Report.number(r.throughputRps()));
      cell(h, Long.toString(r.latency().p50()));
      cell(h, Long.toString(r.latency().p90()));
      cell(h, Long.toString(r.latency().p99()));
      cell(h, Long.toString(r.latency().p999()));
      cell(h, Long.toString(r.latency().max()));
      cell(h, Report.orNa(s.avgBatchSize()));
      cell(h, Report.orNa(s.queueUsAvg()));
      cell(h, Report.orNa(s.computeUsAvg()));
      cell(h, String.format(Locale.ROOT, "%.2f", r.generatorCpuCores()));
      h.append("<td class=\"l\">").append(esc(r.valid() ? "yes" : "no: " + r.invalidReason())).append("</td>");
      h.append("</tr>\n");
    }
    h.append("</table>\n");
    for (Report.Section section : report.sections()) {
      h.append("<").append(level).append(">").append(esc(section.title())).append("</").append(level).append(">\n")
          .append(section.xhtml()).append('\n');
    }
  }

  private static String caption(String target, List<Report.Run> runs) {
    boolean inProcess = runs.stream().anyMatch(r -> r.batchSize() != null);
    if (inProcess) {
      return target + ": rows per second against the latency of one call, one point per batch size.";
    }
    boolean open = runs.get(0).result().spec().mode() == LoadSpec.Mode.OPEN;
    return target + ": " + (open ? "open loop, one point per rate" : "closed loop, one point per concurrency")
        + "; solid p50, dashed p99.";
  }

  private static void cell(StringBuilder h, String text) {
    h.append("<td>").append(esc(text)).append("</td>");
  }

  // ---------------------------------------------------------------------------------------------
  // Charts

  /** The plotting area and scales of one chart. */
  private record Axes(double xMax, double yMinLog, double yMaxLog) {
    double x(double value) {
      return LEFT + (WIDTH - LEFT - RIGHT) * (xMax <= 0 ? 0 : value / xMax);
    }

    double y(double micros) {
      double v = Math.log10(Math.max(1, micros));
      return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (v - yMinLog) / (yMaxLog - yMinLog));
    }

    static Axes of(List<Report.Run> runs) {
      double xMax = 0;
      double yMin = Double.MAX_VALUE;
      double yMax = 1;
      for (Report.Run run : runs) {
        LevelResult r = run.result();
        xMax = Math.max(xMax, r.throughputRps());
        yMin = Math.min(yMin, Math.max(1, r.latency().p50()));
        yMax = Math.max(yMax, Math.max(1, r.latency().p99()));
      }
      if (yMin == Double.MAX_VALUE) {
        yMin = 1;
      }
      double lo = Math.floor(Math.log10(yMin));
      double hi = Math.ceil(Math.log10(yMax));
      if (hi <= lo) {
        hi = lo + 1;
      }
      return new Axes(niceCeiling(xMax * 1.05), lo, hi);
    }
  }

  private static void chart(StringBuilder h, String target, List<Report.Run> runs, String color, Axes axes) {
    openSvg(h, "chart", target);
    frame(h, axes, runs.stream().anyMatch(r -> r.batchSize() != null) ? "rows/s" : "requests/s");
    polyline(h, axes, runs, true, color, false);
    polyline(h, axes, runs, false, color, true);
    for (Report.Run run : runs) {
      LevelResult r = run.result();
      double x = axes.x(r.throughputRps());
      double y50 = axes.y(r.latency().p50());
      double y99 = axes.y(r.latency().p99());
      h.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x, y50, color));
      h.append(String.format(Locale.ROOT,
          "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"white\" stroke=\"%s\"/>", x, y99, color));
      h.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\">%s</text>\n", x + 4, y50 + 12,
          esc(levelLabel(run))));
    }
    h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", LEFT + 8, TOP + 12,
        esc(target)));
    legend(h, List.of("p50", "p99"), List.of(color, color), List.of(false, true));
    h.append("</svg>\n");
  }

  private static String limitNote(Report report) {
    return report.runsOf(Report.IN_PROCESS).stream()
        .mapToDouble(r -> r.result().throughputRps()).max()
        .stream().mapToObj(l -> "; the in-process limit reaches " + Report.number(l) + " rows/s")
        .findFirst().orElse("");
  }

  private static void overview(StringBuilder h, Report report, List<String> targets) {
    Axes axes = Axes.of(report.runs().stream().filter(r -> targets.contains(r.target())).toList());
    openSvg(h, "overview", "all");
    frame(h, axes, "throughput/s");
    List<String> colors = new ArrayList<>();
    List<Boolean> dashed = new ArrayList<>();
    List<String> all = report.targets();
    for (int i = 0; i < targets.size(); i++) {
      String color = COLORS[all.indexOf(targets.get(i)) % COLORS.length];
      polyline(h, axes, report.runsOf(targets.get(i)), false, color, false);
      for (Report.Run run : report.runsOf(targets.get(i))) {
        h.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>",
            axes.x(run.result().throughputRps()), axes.y(run.result().latency().p99()), color));
      }
      colors.add(color);
      dashed.add(false);
    }
    h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">p99 by target</text>\n",
        LEFT + 8, TOP + 12));
    legend(h, targets, colors, dashed);
    h.append("</svg>\n");
  }

  private static void openSvg(StringBuilder h, String cssClass, String target) {
    h.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"%s\" data-target=\"%s\" width=\"%d\" height=\"%d\" "
            + "viewBox=\"0 0 %d %d\" role=\"img\">\n", cssClass, esc(target), WIDTH, HEIGHT, WIDTH, HEIGHT));
    h.append(String.format(Locale.ROOT, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n",
        WIDTH, HEIGHT));
  }

  private static void frame(StringBuilder h, Axes axes, String xLabel) {
    int plotBottom = HEIGHT - BOTTOM;
    // Horizontal grid: 1, 2, 5 x 10^k on the log scale.
    for (int e = (int) axes.yMinLog; e <= (int) axes.yMaxLog; e++) {
      for (int m : new int[] {1, 2, 5}) {
        double v = m * Math.pow(10, e);
        if (Math.log10(v) < axes.yMinLog - 1e-9 || Math.log10(v) > axes.yMaxLog + 1e-9) {
          continue;
        }
        double y = axes.y(v);
        h.append(String.format(Locale.ROOT,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>", LEFT, y, WIDTH - RIGHT, y,
            m == 1 ? "#ccc" : "#eee"));
        h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", LEFT - 6,
            y + 4, esc(micros(v))));
      }
    }
    // Vertical grid: five steps of throughput.
    double step = axes.xMax / 5;
    for (int i = 0; i <= 5; i++) {
      double v = step * i;
      double x = axes.x(v);
      h.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>", x,
          TOP, x, plotBottom));
      h.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x,
          plotBottom + 14, esc(Report.number(v))));
    }
    h.append(String.format(Locale.ROOT,
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n", LEFT, TOP,
        WIDTH - LEFT - RIGHT, plotBottom - TOP));
    h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
        (LEFT + WIDTH - RIGHT) / 2, HEIGHT - 10, esc(xLabel)));
    h.append(String.format(Locale.ROOT,
        "<text x=\"14\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">latency (log scale)</text>\n",
        (TOP + plotBottom) / 2, (TOP + plotBottom) / 2));
  }

  private static void polyline(StringBuilder h, Axes axes, List<Report.Run> runs, boolean p50, String color,
      boolean dashed) {
    StringBuilder points = new StringBuilder();
    for (Report.Run run : runs) {
      LevelResult r = run.result();
      points.append(String.format(Locale.ROOT, "%.1f,%.1f ", axes.x(r.throughputRps()),
          axes.y(p50 ? r.latency().p50() : r.latency().p99())));
    }
    h.append(String.format(Locale.ROOT,
        "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s/>\n", points.toString().trim(),
        color, dashed ? " stroke-dasharray=\"5,3\"" : ""));
  }

  private static void legend(StringBuilder h, List<String> labels, List<String> colors, List<Boolean> dashed) {
    int x = WIDTH - RIGHT - 150;
    int y = TOP + 10;
    for (int i = 0; i < labels.size(); i++) {
      int yy = y + i * 14;
      h.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>", x, yy, x + 18, yy,
          colors.get(i), dashed.get(i) ? " stroke-dasharray=\"5,3\"" : ""));
      h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>\n", x + 24, yy + 4, esc(labels.get(i))));
    }
  }

  private static String levelLabel(Report.Run run) {
    if (run.batchSize() != null) {
      return "b=" + run.batchSize();
    }
    if (run.phase() != null) {
      return run.phase();
    }
    LoadSpec spec = run.result().spec();
    return spec.mode() == LoadSpec.Mode.CLOSED ? "c=" + spec.concurrency() : Report.number(spec.rate()) + "/s";
  }

  private static String micros(double v) {
    if (v >= 1_000_000) {
      return Report.number(v / 1_000_000) + " s";
    }
    if (v >= 1000) {
      return Report.number(v / 1000) + " ms";
    }
    return Report.number(v) + " us";
  }

  /** The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k) at or above {@code v}; at least 1. */
  static double niceCeiling(double v) {
    if (v <= 1) {
      return 1;
    }
    double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
      if (m * magnitude >= v) {
        return m * magnitude;
      }
    }
    return 10 * magnitude;
  }

  static String format(Object value) {
    if (value instanceof Map<?, ?> map) {
      List<String> parts = new ArrayList<>();
      map.forEach((k, v) -> parts.add(k + ": " + format(v)));
      return String.join("; ", parts);
    }
    if (value instanceof List<?> list) {
      List<String> parts = new ArrayList<>();
      list.forEach(v -> parts.add(format(v)));
      return "[" + String.join(", ", parts) + "]";
    }
    if (value instanceof Double d) {
      return Math.abs(d) < 10 ? String.format(Locale.ROOT, "%.3f", d) : Report.number(d);
    }
    return String.valueOf(value);
  }

  static String esc(String text) {
    StringBuilder s = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> s.append("&lt;");
        case '>' -> s.append("&gt;");
        case '&' -> s.append("&amp;");
        case '"' -> s.append("&quot;");
        case '\'' -> s.append("&#39;");
        default -> {
          if (c < 0x20 && c != '\n' && c != '\t') {
            s.append(' ');
          } else {
            s.append(c);
          }
        }
      }
    }
    return s.toString();
  }
}
