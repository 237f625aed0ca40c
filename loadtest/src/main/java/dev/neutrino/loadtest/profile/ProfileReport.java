package dev.neutrino.loadtest.profile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What the profile scenario publishes from its budgets: JSON, files for other tools, and a section of a page. */
public final class ProfileReport {
  private ProfileReport() {}

  /**
   * {@code cpu_us_per_request} and its context by {@code model/protocol}; where {@code floors} holds the
   * transport floor of the same model and protocol, also {@code transport_floor_cpu_us_per_request}
   * (its total), {@code transport_floor_kernel_cpu_us_per_request} (the kernel's part of it) and
   * {@code above_floor_cpu_us_per_request}.
   */
  public static Map<String, Object> json(List<CpuBudget> budgets, List<CpuBudget> floors) {
    Map<String, Object> json = new LinkedHashMap<>();
    for (CpuBudget b : budgets) {
      Map<String, Object> entry = b.toJson();
      if (b.floorIn(floors) != null) {
        entry.put("transport_floor_cpu_us_per_request", CpuBudget.round(CpuBudget.floorTotal(b, floors)));
        entry.put("transport_floor_kernel_cpu_us_per_request",
            CpuBudget.round(b.floorIn(floors).kernelUsPerRequest()));
        entry.put("above_floor_cpu_us_per_request", CpuBudget.round(CpuBudget.aboveFloor(b, floors)));
      }
      json.put(b.key(), entry);
    }
    return json;
  }

  /**
   * Writes, per budget, {@code MODEL.PROTOCOL.collapsed} (collapsed stacks, the stage as their first
   * frame) and {@code MODEL.PROTOCOL.html} (its flame graph, zoomable) into {@code dir}; a transport
   * floor's names start with {@code floor.}.
   *
   * @return the files written
   */
  public static List<Path> writeFiles(List<CpuBudget> budgets, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Path> written = new ArrayList<>();
    for (CpuBudget b : budgets) {
      String base = (b.server() == CpuBudget.Server.FLOOR ? "floor." : "") + b.model() + "." + b.protocol();
      Path collapsed = dir.resolve(base + ".collapsed");
      Files.writeString(collapsed, FlameGraph.collapsedText(b.attribution().collapsed()), StandardCharsets.UTF_8);
      written.add(collapsed);
      Path page = dir.resolve(base + ".html");
      Files.writeString(page, flameGraph(b).page("neutrino profile: " + b.model() + " over " + b.protocol()
          + (b.server() == CpuBudget.Server.FLOOR ? ", transport floor" : "")),
          StandardCharsets.UTF_8);
      written.add(page);
    }
    return written;
  }

  static FlameGraph flameGraph(CpuBudget budget) {
    return FlameGraph.of(budget.model() + " over " + budget.protocol() + ", " + budget.server().label() + " threads",
        budget.attribution().collapsed());
  }

  /**
   * A section of an XHTML page, without script or heading: the table of CPU per request by stage (with
   * each column's transport floor from {@code floors} and what the gateway spent above it), the floors'
   * own table, then a flame graph per gateway budget. The page should carry {@link FlameGraph#STYLE}.
   */
  public static String section(List<CpuBudget> budgets, List<CpuBudget> floors) {
    StringBuilder h = new StringBuilder(256 * 1024);
    h.append("<p class=\"meta\">Microseconds of the gateway's CPU per answered request, from JFR stack samples under "
        + "closed-loop load, each thread's measured CPU time split by its own samples. unsampled = threads the "
        + "recorder cannot see (GC, JIT, native threads); the generator's threads are left out. floor total = "
        + "the same load on the bare transport floor (a Vert.x server replaying the gateway's answers, nothing "
        + "decoded); above floor = what the gateway's own work cost. " + CpuBudget.KERNEL_ROW + " = the part "
        + "of the total the kernel spent for the server's threads: system calls, with the loopback delivery and "
        + "the thread wake-ups done inside them.</p>\n");
    table(h, budgets, floors);
    if (!floors.isEmpty()) {
      h.append("<p class=\"meta\">The transport floor's own CPU per request, by stage.</p>\n");
      table(h, floors, List.of());
    }
    h.append("<style>\n").append(FlameGraph.STYLE).append("</style>\n");
    for (CpuBudget b : budgets) {
      h.append("<h4>").append(FlameGraph.escape(b.model() + " over " + b.protocol())).append("</h4>\n");
      h.append(flameGraph(b).svg());
    }
    return h.toString();
  }

  private static void table(StringBuilder h, List<CpuBudget> budgets, List<CpuBudget> floors) {
    h.append("<table class=\"profile\">\n<tr><th class=\"l\">stage</th>");
    budgets.forEach(b -> h.append("<th>").append(FlameGraph.escape(b.model())).append("<br/>")
        .append(FlameGraph.escape(b.protocol())).append("</th>"));
    h.append("</tr>\n");
    for (Stage stage : CpuBudget.shownStages()) {
      row(h, stage.label(), budgets, b -> b.usPerRequest(stage));
    }
    row(h, "total", budgets, CpuBudget::totalUsPerRequest);
    row(h, CpuBudget.KERNEL_ROW, budgets, CpuBudget::kernelUsPerRequest);
    if (budgets.stream().anyMatch(b -> b.floorIn(floors) != null)) {
      row(h, "floor total", budgets, b -> CpuBudget.floorTotal(b, floors));
      row(h, "above floor", budgets, b -> CpuBudget.aboveFloor(b, floors));
    }
    row(h, "wall p50 us", budgets, b -> b.latency().p50());
    row(h, "requests/s", budgets, b -> b.seconds() > 0 ? b.requests() / b.seconds() : 0);
    row(h, budgets.isEmpty() ? "cores" : budgets.get(0).server().label() + " cores", budgets,
        CpuBudget::gatewayCores);
    h.append("</table>\n");
  }

  private static void row(StringBuilder h, String label, List<CpuBudget> budgets,
      java.util.function.ToDoubleFunction<CpuBudget> value) {
    h.append("<tr><th class=\"l\">").append(FlameGraph.escape(label)).append("</th>");
    for (CpuBudget b : budgets) {
      double v = value.applyAsDouble(b);
      h.append("<td>").append(Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v)).append("</td>");
    }
    h.append("</tr>\n");
  }
}
