package dev.neutrino.loadtest;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code neutrino bench --scenario NAME}: the side-by-side scenarios of BENCHMARKS.md. */
final class BenchCommand {
  static final String USAGE = """
      usage: neutrino bench --scenario NAME [flags]

      Measures the gateway beside the in-process limit (ONNX Runtime on the same model at its best batch
      size) and the naive server (the JDK's HTTP server, one ONNX Runtime call per request), in one run,
      under one generator, on this machine. Starts its own gateway on free ports with the example models.

      scenarios:
        overhead             identity_fp32, one client: p50/p99 of HTTP JSON, HTTP binary, gRPC, naive and
                             in-process calls; overhead = gateway minus in-process
        throughput-mlp       recommender_mlp, closed-loop concurrency sweep: requests/s, p50/p99 per level
        throughput-encoder   text_encoder, the same for a compute-heavy model
        overload             recommender_mlp, open loop at twice the measured capacity: goodput, p99 of
                             successes, share and latency of rejections
        hotswap              recommender_mlp, open loop at half capacity while a new version is swapped in

      flags:
        --scenario NAME       required
        --duration T          measured time per level (default 3s)
        --warmup T            warm-up before each level (default 1s); each target first warms up for T+2s
                              at its top level
        --concurrency LIST    levels of the throughput sweeps (default 1,2,4,8,16,32,64,128)
        --limit-duration T    time per batch size of the in-process limit (default 1.5s)
        --naive-workers N     the naive server's worker threads (default: try a few, keep the best)
        --client-threads N    the generator's event-loop threads (default 1)
        --target-latency T    overload: also run the gateway with this target_latency_microseconds on the
                              model, so that it refuses at the door what it cannot serve in time
                              (default 50ms; 0 skips that run)
        --gateway-flags "F"   flags of ./neutrino serve for the gateway under test, e.g. "--cpu-threads 1"
        --json FILE           the report as JSON (fields of BENCHMARKS.md, with the headline ratios)
        --html FILE           a self-contained page with a latency-versus-throughput chart per target
      """;

  private static final Set<String> VALUED = Set.of("scenario", "duration", "warmup", "concurrency",
      "limit-duration", "naive-workers", "client-threads", "gateway-flags", "target-latency", "json", "html");

  private BenchCommand() {}

  /** @return the process exit status: 0 done, 1 failed, 2 bad flags, 3 the scenario could not run */
  static int run(String[] args, PrintStream out, PrintStream err) {
    Bench.Options options;
    Path json;
    Path html;
    try {
      Flags flags = Flags.parse(args, VALUED, Set.of("help"));
      if (flags.on("help")) {
        out.print(USAGE);
        return 0;
      }
      String scenario = flags.get("scenario", null);
      if (scenario == null || !Bench.SCENARIOS.contains(scenario)) {
        throw new IllegalArgumentException(scenario == null ? "give a scenario: --scenario NAME"
            : "unknown scenario '" + scenario + "'; scenarios: " + String.join(", ", Bench.SCENARIOS));
      }
      List<Integer> levels = new ArrayList<>();
      for (double c : Flags.sweep("concurrency", flags.get("concurrency", "1,2,4,8,16,32,64,128"))) {
        if (c != Math.rint(c)) {
          throw new IllegalArgumentException("--concurrency needs whole numbers, got " + c);
        }
        levels.add((int) c);
      }
      Duration duration = flags.duration("duration", Duration.ofSeconds(3));
      if (duration.isZero()) {
        throw new IllegalArgumentException("--duration must be above 0");
      }
      options = new Bench.Options(scenario, flags.duration("warmup", Duration.ofSeconds(1)), duration, levels,
          flags.duration("limit-duration", Duration.ofMillis(1500)), flags.integer("naive-workers", 0),
          Math.max(1, flags.integer("client-threads", ClientSettings.DEFAULT_EVENT_LOOPS)),
          java.util.Arrays.stream(flags.get("gateway-flags", "").trim().split("\\s+"))
              .filter(f -> !f.isEmpty()).toList(),
          flags.duration("target-latency", Duration.ofMillis(50)));
      json = flags.has("json") ? Path.of(flags.get("json", null)) : null;
      html = flags.has("html") ? Path.of(flags.get("html", null)) : null;
    } catch (IllegalArgumentException e) {
      err.println("neutrino bench: " + e.getMessage());
      err.println("(./neutrino bench --help lists the scenarios and flags)");
      return 2;
    }
    try {
      Report report = new Bench(options, out).run();
      report.setting("load_average_1m_at_end", MachineInfo.loadAverage());
      out.println("headline:");
      report.ratios().forEach((k, v) -> out.println("  " + k + " = " + v));
      if (json != null) {
        report.writeJson(json);
        out.println("wrote " + json);
      }
      if (html != null) {
        HtmlReport.write(report, html);
        out.println("wrote " + html);
      }
      return 0;
    } catch (Bench.Unavailable e) {
      err.println("neutrino bench: " + e.getMessage());
      return 3;
    } catch (Exception e) {
      err.println("neutrino bench: " + options.scenario() + " failed: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }
}
