package dev.neutrino.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench --scenario all}: every scenario of {@link Bench#SCENARIOS} once, in order, then one
 * JSON document and one page: the machine, the headline table of the figures issue #15 tracks (each
 * with its goal and the scenario it comes from), and each scenario's own section. A scenario that
 * cannot run is reported and the others still run.
 */
final class BenchAll {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Bench.Options options;
  private final Bench.ProfileOptions profileOptions;
  private final PrintStream out;
  private final List<Report> reports = new ArrayList<>();
  private final Map<String, String> unavailable = new LinkedHashMap<>();
  private Map<String, Object> machine;

  BenchAll(Bench.Options options, PrintStream out) {
    this(options, Bench.ProfileOptions.DEFAULTS, out);
  }

  BenchAll(Bench.Options options, Bench.ProfileOptions profileOptions, PrintStream out) {
    this.options = options;
    this.profileOptions = profileOptions;
    this.out = out;
  }

  /** Runs every scenario; a scenario that fails with an error stops the run (it is a defect to look at). */
  void run() throws Exception {
    machine = new LinkedHashMap<>(MachineInfo.collect("cpu"));
    for (String scenario : Bench.SCENARIOS) {
      try {
        reports.add(new Bench(options.withScenario(scenario), profileOptions, out).run());
      } catch (Bench.Unavailable e) {
        unavailable.put(scenario, e.getMessage());
        out.println("neutrino bench: " + scenario + " skipped: " + e.getMessage());
        out.println();
      }
    }
    machine.put("load_average_1m_at_end", MachineInfo.loadAverage());
    reports.stream().map(r -> r.machine().get("execution_provider")).filter(p -> p != null).findFirst()
        .ifPresent(p -> machine.put("execution_provider", p));
    reports.forEach(r -> {
      Object ep = r.settings().get("execution_provider");
      if (ep != null) {
        machine.put("execution_provider", ep);
      }
    });
  }

  List<Report> reports() {
    return List.copyOf(reports);
  }

  Map<String, String> unavailable() {
    return Map.copyOf(unavailable);
  }

  static final String BOUND_ROW = "recommender_mlp's best possible here: the bare transport and the in-process "
      + "compute sharing the cores, nothing else (1 / (1 / bare floor + 1 / limit))";

  /** The headline rows: the figures of issue #15's table, from the scenarios that ran. */
  List<HtmlReport.HeadlineRow> headline() {
    List<HtmlReport.HeadlineRow> rows = new ArrayList<>();
    Report overhead = find("overhead");
    if (overhead != null) {
      for (String protocol : List.of("http_json", "http_binary", "grpc")) {
        rows.add(new HtmlReport.HeadlineRow("overhead p50 / p99 over in-process, " + protocol.replace('_', ' ')
            + " (identity 1x16, one client)",
            value(overhead, "overhead_p50_us_" + protocol) + " / " + value(overhead, "overhead_p99_us_" + protocol)
                + " us",
            "p50 <= " + Report.number(overheadGoalUs(protocol)) + " us; p99 <= 3x p50", "overhead"));
      }
      for (String protocol : List.of("http_json", "http_binary", "grpc")) {
        Double overheadUs = number(overhead.ratios().get("overhead_p50_us_" + protocol));
        Double above = number(overhead.ratios().get("gateway_overhead_above_floor_us_" + protocol));
        String share = overheadUs == null || above == null || overheadUs <= 0 ? ""
            : " (" + HtmlReport.format(Report.round(100 * above / overheadUs)) + " % of the overhead)";
        rows.add(new HtmlReport.HeadlineRow("overhead p50, " + protocol.replace('_', ' ')
            + ": gateway / bare transport floor / gateway above the floor",
            value(overhead, "overhead_p50_us_" + protocol) + " / " + value(overhead, "transport_floor_p50_us_" + protocol)
                + " / " + value(overhead, "gateway_overhead_above_floor_us_" + protocol) + " us" + share,
            "the floor is what any Vert.x server pays here", "overhead"));
      }
      for (String protocol : List.of("http_json", "http_binary", "grpc")) {
        Double handOff = number(overhead.ratios().get("hand_off_floor_p50_us_" + protocol));
        double goal = overheadGoalUs(protocol);
        String against = handOff == null ? "" : handOff > goal
            ? "; the goal of " + Report.number(goal) + " us is " + Report.number(handOff - goal) + " us below this floor"
            : "; the goal of " + Report.number(goal) + " us leaves the gateway " + Report.number(goal - handOff)
                + " us above it";
        rows.add(new HtmlReport.HeadlineRow(handOffRow(protocol),
            value(overhead, "hand_off_floor_p50_us_" + protocol) + " / "
                + value(overhead, "gateway_overhead_above_hand_off_floor_us_" + protocol) + " us" + against,
            "the floor of a server that never runs a model on its event loop", "overhead"));
      }
      rows.add(new HtmlReport.HeadlineRow("in-process call p50 / p99", value(overhead, "in_process_p50_us") + " / "
          + value(overhead, "in_process_p99_us") + " us", "", "overhead"));
    }
    throughputRows(rows, find("throughput-mlp"), "recommender_mlp", ">= 0.5", ">= 1.0 at every level, >= 5 at 64");
    throughputRows(rows, find("throughput-encoder"), "text_encoder", ">= 0.9", ">= 1.0 at every level");
    Report overload = find("overload");
    if (overload != null) {
      for (String prefix : List.of("gateway", "gateway_latency_target", "naive")) {
        if (!overload.ratios().containsKey(prefix + "_goodput_vs_capacity")) {
          continue;
        }
        String who = prefix.replace('_', ' ');
        rows.add(new HtmlReport.HeadlineRow("overload, " + who + ": goodput / capacity at 2x capacity",
            value(overload, prefix + "_goodput_vs_capacity") + " (" + value(overload, prefix + "_goodput_rps") + " of "
                + value(overload, prefix + "_capacity_rps") + " req/s, capacity spread "
                + value(overload, prefix + "_capacity_spread") + ")" + validity(overload, prefix),
            ">= 0.95", "overload"));
        rows.add(new HtmlReport.HeadlineRow("overload, " + who + ": capacity (spread over its windows; warm-up; "
            + "open-loop rate sustained in bounds)",
            value(overload, prefix + "_capacity_rps") + " req/s, spread " + value(overload, prefix + "_capacity_spread")
                + " over " + value(overload, prefix + "_capacity_samples") + "; warm-up "
                + value(overload, prefix + "_warmup_seconds") + " s"
                + (Boolean.FALSE.equals(overload.ratios().get(prefix + "_warmup_settled")) ? " (still rising)" : "")
                + (overload.ratios().get(prefix + "_sustained_rps") == null ? "; no open-loop rate sustained"
                    : "; sustained " + value(overload, prefix + "_sustained_rps") + " req/s"),
            "", "overload"));
        if (overload.ratios().get(prefix + "_refusal_cpu_us") != null) {
          rows.add(new HtmlReport.HeadlineRow("overload, " + who + ": what refusing costs (us of the server's cores "
              + "per refusal / per request served; the goodput at 2x those costs allow)",
              value(overload, prefix + "_refusal_cpu_us") + " / " + value(overload, prefix + "_served_cpu_us")
                  + " us, at most " + value(overload, prefix + "_goodput_bound") + " (cores "
                  + value(overload, prefix + "_server_cores_busy") + " busy)",
              "0.95 needs a refusal under 5 % of a served request", "overload"));
        }
        rows.add(new HtmlReport.HeadlineRow("overload, " + who + ": p99 of admitted requests",
            value(overload, prefix + "_p99_ok_us") + " us = " + value(overload, prefix + "_p99_ok_vs_target")
                + "x the target of " + overload.settings().get("latency_target_us") + " us",
            "<= 1x the target", "overload"));
        rows.add(new HtmlReport.HeadlineRow("overload, " + who + ": refusals (share, p50 / p99)",
            value(overload, prefix + "_rejected_share") + ", " + value(overload, prefix + "_rejection_p50_us") + " / "
                + value(overload, prefix + "_rejection_p99_us") + " us",
            "p99 <= 1000 us", "overload"));
      }
    }
    Report floor = find("http-floor");
    if (floor != null) {
      rows.add(new HtmlReport.HeadlineRow("http floor (do-nothing model, HTTP binary): best req/s, one-client p50",
          value(floor, "floor_rps") + " req/s at c=" + value(floor, "floor_concurrency") + ", "
              + value(floor, "floor_p50_us_one_client") + " us", "", "http-floor"));
      rows.add(new HtmlReport.HeadlineRow("recommender_mlp against the floor, by concurrency",
          value(floor, "gateway_vs_floor_by_concurrency"), "close to 1: the model's compute is what costs", "http-floor"));
      rows.add(new HtmlReport.HeadlineRow("HTTP binary, best req/s: bare transport / gateway do-nothing model / "
          + "recommender_mlp", value(floor, "bare_floor_rps") + " (c=" + value(floor, "bare_floor_concurrency") + ") / "
              + value(floor, "floor_rps") + " / " + value(floor, "gateway_rps") + " req/s; gRPC bare "
              + value(floor, "bare_floor_grpc_rps") + ", gateway do-nothing " + value(floor, "floor_grpc_rps"), "",
          "http-floor"));
      Report mlp = find("throughput-mlp");
      Double limit = mlp != null && number(mlp.ratios().get("limit_rps")) != null ? number(mlp.ratios().get("limit_rps"))
          : number(floor.ratios().get("limit_rps"));
      Double bare = number(floor.ratios().get("bare_floor_rps"));
      String goal = limit == null || bare == null || bare <= 0 ? "n/a"
          : Report.number(Bench.GOAL_SHARE_OF_LIMIT * limit) + " req/s (" + Bench.GOAL_SHARE_OF_LIMIT + "x the limit of "
              + Report.number(limit) + " rows/s) = " + HtmlReport.format(Report.round(Bench.GOAL_SHARE_OF_LIMIT * limit
              / bare)) + "x the bare transport's best";
      rows.add(new HtmlReport.HeadlineRow("recommender_mlp's req/s goal against the bare transport floor", goal,
          "<= 1, or the transport alone cannot carry the goal here", mlp != null ? "throughput-mlp, http-floor"
              : "http-floor"));
      rows.add(boundRow(floor, mlp));
      Object wrk = floor.ratios().get("wrk_rps");
      rows.add(new HtmlReport.HeadlineRow("wrk (independent generator), HTTP binary: bare transport / gateway "
          + "do-nothing model", wrk instanceof Map<?, ?> byTarget
              ? HtmlReport.format(byTarget.get(Report.BARE_HTTP_BINARY)) + " / "
                  + HtmlReport.format(byTarget.get(Report.FLOOR_HTTP_BINARY)) + " req/s"
              : "not run: wrk is not on the PATH", "", "http-floor"));
    }
    cpuRows(rows, find("profile"));
    Report hotswap = find("hotswap");
    if (hotswap != null) {
      rows.add(new HtmlReport.HeadlineRow("hot swap under half capacity: errors, p99 before / during / after",
          value(hotswap, "hotswap_errors") + ", " + value(hotswap, "p99_us_before") + " / "
              + value(hotswap, "p99_us_during") + " / " + value(hotswap, "p99_us_after") + " us", "0 errors",
          "hotswap"));
    }
    long invalid = reports.stream().flatMap(r -> r.runs().stream()).filter(r -> !r.result().valid()).count();
    rows.add(new HtmlReport.HeadlineRow("levels where the generator saturated (invalid)", Long.toString(invalid),
        "0", "all"));
    unavailable.forEach((scenario, why) -> rows.add(new HtmlReport.HeadlineRow(scenario, "not run: " + why, "",
        scenario)));
    return rows;
  }

  /** Issue #15's goal for the overhead p50 over {@code protocol} (http_json, http_binary, grpc), in microseconds. */
  private static double overheadGoalUs(String protocol) {
    return protocol.equals("grpc") ? 60 : 50;
  }

  /** The headline row of the transport floor with the model's hand-off, over {@code protocol}. */
  static String handOffRow(String protocol) {
    return "overhead p50, " + protocol.replace('_', ' ') + ": transport floor with the hand-off to a model thread and "
        + "back / gateway above it";
  }

  /**
   * recommender_mlp's best possible requests/s here, the bare transport's and the in-process compute's
   * costs added, against both of its goals: half the limit, five times the naive server at 64 clients.
   */
  private HtmlReport.HeadlineRow boundRow(Report floor, Report mlp) {
    Double bound = number(floor.ratios().get("transport_and_compute_bound_rps"));
    Double limit = number(floor.ratios().get("limit_rps"));
    if (bound == null || limit == null || limit <= 0) {
      return new HtmlReport.HeadlineRow(BOUND_ROW, "n/a", "", "http-floor");
    }
    StringBuilder value = new StringBuilder(Report.number(bound) + " req/s = "
        + HtmlReport.format(Report.round(bound / limit)) + "x the limit");
    Report.Run naive = mlp == null ? null : mlp.runsOf(Report.NAIVE_HTTP).stream()
        .filter(r -> r.result().spec().mode() == LoadSpec.Mode.CLOSED && r.result().spec().concurrency() == 64)
        .findFirst().orElse(null);
    if (naive != null && naive.result().throughputRps() > 0) {
      value.append(", ").append(HtmlReport.format(Report.round(bound / naive.result().throughputRps())))
          .append("x the naive server's ").append(Report.number(naive.result().throughputRps()))
          .append(" req/s at 64 clients");
    }
    value.append("; the gateway reached ").append(value(floor, "gateway_vs_transport_and_compute_bound")).append(" of it");
    return new HtmlReport.HeadlineRow(BOUND_ROW, value.toString(),
        ">= 0.5x the limit and >= 5x the naive server, or those goals are out of reach here",
        mlp != null ? "throughput-mlp, http-floor" : "http-floor");
  }

  /**
   * The profile's CPU per request for identity_fp32 over each protocol, with its transport floor, what
   * the gateway spent above it, and the kernel's part of the gateway's and the floor's. The goal is the
   * issue's: half of what the first profile measured (54 / 52 / 39 us over HTTP JSON / HTTP binary /
   * gRPC).
   */
  private static void cpuRows(List<HtmlReport.HeadlineRow> rows, Report profile) {
    if (profile == null || !(profile.ratios().get("profile") instanceof Map<?, ?> budgets)) {
      return;
    }
    Map<String, String> goals = Map.of("http-json", "<= 27 us", "http-binary", "<= 26 us", "grpc", "<= 19.5 us");
    for (String protocol : List.of("http-json", "http-binary", "grpc")) {
      if (!(budgets.get("identity_fp32/" + protocol) instanceof Map<?, ?> budget)
          || !(budget.get("cpu_us_per_request") instanceof Map<?, ?> stages)) {
        continue;
      }
      rows.add(new HtmlReport.HeadlineRow("CPU per request, identity 1x16, " + protocol.replace('-', ' ')
          + ": gateway / bare transport floor / gateway above the floor (profile, closed loop)",
          HtmlReport.format(stages.get("total")) + " / " + HtmlReport.format(budget.get("transport_floor_cpu_us_per_request"))
              + " / " + HtmlReport.format(budget.get("above_floor_cpu_us_per_request")) + " us at "
              + HtmlReport.format(budget.get("throughput_rps")) + " req/s; in the kernel "
              + HtmlReport.format(budget.get("kernel_cpu_us_per_request")) + " / "
              + HtmlReport.format(budget.get("transport_floor_kernel_cpu_us_per_request")) + " us",
          goals.get(protocol) + " (half the first profile's)", "profile"));
    }
  }

  private void throughputRows(List<HtmlReport.HeadlineRow> rows, Report report, String model, String limitGoal,
      String naiveGoal) {
    if (report == null) {
      return;
    }
    int top = options.concurrency().contains(64) ? 64
        : options.concurrency().stream().mapToInt(Integer::intValue).max().orElse(1);
    Double limit = number(report.ratios().get("limit_rps"));
    Report.Run at = report.runsOf(Report.GATEWAY_HTTP_BINARY).stream()
        .filter(r -> r.result().spec().mode() == LoadSpec.Mode.CLOSED && r.result().spec().concurrency() == top)
        .findFirst().orElse(null);
    String vsLimit = at == null || limit == null || limit <= 0 ? "n/a"
        : HtmlReport.format(Report.round(at.result().throughputRps() / limit)) + " (" + Report.number(
            at.result().throughputRps()) + " req/s of " + Report.number(limit) + " rows/s)";
    rows.add(new HtmlReport.HeadlineRow(model + ", HTTP binary, " + top + " clients, against the in-process limit",
        vsLimit, limitGoal, report.scenario()));
    rows.add(new HtmlReport.HeadlineRow(model + ", HTTP binary, " + top + " clients, against the in-process limit, "
        + "measured in turn", value(report, "gateway_http_binary_vs_limit_paired"), limitGoal, report.scenario()));
    rows.add(new HtmlReport.HeadlineRow(model + " against the naive server, by concurrency",
        value(report, "gateway_http_binary_vs_naive_by_concurrency"), naiveGoal, report.scenario()));
    rows.add(new HtmlReport.HeadlineRow(model + " against the naive server, by concurrency, measured in turn",
        value(report, "gateway_http_binary_vs_naive_paired_by_concurrency"), naiveGoal, report.scenario()));
    Report floor = find("http-floor");
    if (model.equals("recommender_mlp") && floor != null && at != null) {
      Report.Run floorAt = floor.runsOf(Report.FLOOR_HTTP_BINARY).stream()
          .filter(r -> r.result().spec().concurrency() == top).findFirst().orElse(null);
      if (floorAt != null && floorAt.result().throughputRps() > 0) {
        rows.add(new HtmlReport.HeadlineRow(model + ", HTTP binary, " + top + " clients, against the http floor",
            HtmlReport.format(Report.round(at.result().throughputRps() / floorAt.result().throughputRps())) + " ("
                + Report.number(floorAt.result().throughputRps()) + " req/s floor)", "", "throughput-mlp, http-floor"));
      }
    }
  }

  private Report find(String scenario) {
    return reports.stream().filter(r -> scenario.equals(r.scenario())).findFirst().orElse(null);
  }

  private static String value(Report report, String ratio) {
    Object v = report.ratios().get(ratio);
    return v == null ? "n/a" : HtmlReport.format(v);
  }

  private static String validity(Report report, String prefix) {
    Object valid = report.ratios().get(prefix + "_valid");
    return Boolean.FALSE.equals(valid) ? " INVALID: " + report.ratios().get(prefix + "_invalid_reason") : "";
  }

  private static Double number(Object v) {
    return v instanceof Number n ? n.doubleValue() : null;
  }

  /** The whole run as JSON: the machine, the headline, every scenario's report (BENCHMARKS.md's fields). */
  Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("scenario", "all");
    json.put("machine", machine);
    Map<String, Object> headline = new LinkedHashMap<>();
    for (HtmlReport.HeadlineRow row : headline()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("value", row.value());
      entry.put("goal", row.goal());
      entry.put("scenario", row.source());
      headline.put(row.figure(), entry);
    }
    json.put("headline", headline);
    Map<String, Object> ratios = new LinkedHashMap<>();
    reports.forEach(r -> ratios.put(r.scenario(), r.ratios()));
    json.put("ratios", ratios);
    json.put("unavailable", unavailable);
    List<Object> scenarios = new ArrayList<>();
    reports.forEach(r -> scenarios.add(r.toJson()));
    json.put("scenarios", scenarios);
    return json;
  }

  void writeJson(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.write(file, JSON.writeValueAsBytes(toJson()));
  }

  void writeHtml(Path file) throws IOException {
    HtmlReport.writeAll("neutrino bench: every scenario", machine, headline(), reports, file);
  }
}
