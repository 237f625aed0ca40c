package dev.neutrino.loadtest;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code neutrino loadtest}: load on any Open Inference Protocol server, one level or a sweep, a
 * table row per level, optionally a JSON report and an HTML page.
 */
final class LoadtestCommand {
  static final String USAGE = """
      usage: neutrino loadtest --model NAME [flags]

      Load on an Open Inference Protocol server (Neutrino, Triton, KServe...) and its latency and
      throughput per level. Closed loop with --concurrency, open loop with --rate.

        --url URL              http://host:port[/prefix] or grpc://host:port (default http://127.0.0.1:8000)
        --model NAME           the model to call (required)
        --model-version V      a version (default: the server's choice)
        --protocol P           http-json | http-binary | grpc (default: http-binary, grpc for grpc:// URLs)
        --concurrency LEVELS   closed loop: clients, one level (8), a list (1,4,16,64) or a range (8:64:8)
        --rate LEVELS          open loop: requests/s, one level, a list or a range (100:2000:100)
        --distribution D       open-loop arrivals: constant | poisson (default poisson)
        --duration T           measured time per level (default 10s)
        --warmup T             load before each level, discarded (default 2s)
        --requests N           stop a level after N measured requests (the duration still bounds it)
        --input-data SRC       random | zero | FILE (perf_analyzer's JSON format) (default random)
        --shape NAME:DIMS      full shape of an input with variable dimensions, e.g. INPUT0:1,16 (repeatable)
        --batch-size N         rows per request for inputs with a variable first dimension (default 1)
        --connections N        HTTP/1.1 connections (default: the highest concurrency, or 64 in open loop);
                               HTTP/2 and gRPC use one connection per client thread
        --http2                HTTP/2 over clear text instead of HTTP/1.1 keep-alive
        --timeout T            a request unanswered this long fails as 'timeout' (default 30s)
        --client-threads N     the generator's event-loop threads (default 1)
        --seed N               seed of random data and Poisson arrivals (default 1)
        --json FILE            write the runs as JSON (fields of BENCHMARKS.md)
        --html FILE            write a self-contained page with latency-versus-throughput charts

      Latency in open loop counts from each request's scheduled send time, so a stalled server shows in
      the percentiles. 'srv batch', 'queue us' and 'compute us' come from the server's statistics
      (GET /v2/models/{m}/stats) where it has them, else n/a. 'gen cpu' is the generator's own CPU use,
      in cores: near a whole core, the generator is the limit.
      """;

  private static final Set<String> VALUED = Set.of("url", "model", "model-version", "protocol", "concurrency",
      "rate", "distribution", "duration", "warmup", "requests", "input-data", "shape", "batch-size", "connections",
      "timeout", "client-threads", "seed", "json", "html");
  private static final Set<String> SWITCHES = Set.of("http2", "help");

  private LoadtestCommand() {}

  /** @return the process exit status */
  static int run(String[] args, PrintStream out, PrintStream err) {
    Flags flags;
    Plan plan;
    try {
      flags = Flags.parse(args, VALUED, SWITCHES);
      if (flags.on("help")) {
        out.print(USAGE);
        return 0;
      }
      plan = plan(flags);
    } catch (IllegalArgumentException e) {
      err.println("neutrino loadtest: " + e.getMessage());
      err.println("(./neutrino loadtest --help lists the flags)");
      return 2;
    }
    CpuMeter meter = new CpuMeter();
    try (InferenceClient client = InferenceClients.connect(plan.endpoint, plan.settings, meter)) {
      Map<String, Object> machine = MachineInfo.collect(null);
      Report report = new Report("neutrino loadtest: " + plan.settings.model() + " at " + plan.endpoint,
          null, plan.settings.model(), machine);
      report.setting("url", plan.endpoint.toString());
      report.setting("protocol", plan.settings.protocol().flagName());
      report.setting("http2", plan.settings.http2());
      report.setting("warmup_s", seconds(plan.levels.get(0).warmup()));
      report.setting("duration_s", seconds(plan.levels.get(0).duration()));
      report.setting("connections", plan.settings.connections());
      report.setting("client_event_loops", plan.settings.eventLoops());
      String target = plan.settings.protocol().flagName();
      out.println("neutrino loadtest: model " + plan.settings.model() + " at " + plan.endpoint + " over "
          + target + (plan.settings.http2() ? " (HTTP/2)" : "") + ", " + plan.levels.size() + " level(s), warm-up "
          + seconds(plan.levels.get(0).warmup()) + " s, " + seconds(plan.levels.get(0).duration()) + " s each");
      out.println("generator: " + MachineInfo.describe(machine));
      LoadGenerator generator = new LoadGenerator(client, meter);
      List<Report.Run> runs = new ArrayList<>();
      TablePrinter printer = new TablePrinter(plan.levels.get(0).mode() == LoadSpec.Mode.OPEN, false, false);
      out.println(printer.header());
      for (LoadSpec level : plan.levels) {
        Report.Run run = new Report.Run(target, generator.run(level));
        runs.add(run);
        report.add(run);
        out.println(printer.row(run));
        out.flush();
      }
      if (plan.json != null) {
        report.writeJson(plan.json);
        out.println("wrote " + plan.json);
      }
      if (plan.html != null) {
        HtmlReport.write(report, plan.html);
        out.println("wrote " + plan.html);
      }
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      err.println("neutrino loadtest: " + e.getMessage());
      return 1;
    }
  }

  private record Plan(Endpoint endpoint, ClientSettings settings, List<LoadSpec> levels, Path json, Path html) {}

  private static Plan plan(Flags flags) {
    Endpoint endpoint = Endpoint.parse(flags.get("url", "http://127.0.0.1:8000"));
    String model = flags.get("model", null);
    if (model == null) {
      throw new IllegalArgumentException("give the model to call: --model NAME");
    }
    Protocol protocol = Protocol.parse(flags.get("protocol", endpoint.isGrpc() ? "grpc" : "http-binary"));
    if (flags.has("concurrency") && flags.has("rate")) {
      throw new IllegalArgumentException("give either --concurrency (closed loop) or --rate (open loop), not both");
    }
    Duration warmup = flags.duration("warmup", Duration.ofSeconds(2));
    Duration duration = flags.duration("duration", Duration.ofSeconds(10));
    long requests = flags.integer("requests", 0);
    long seed = flags.integer("seed", 1);
    List<LoadSpec> levels = new ArrayList<>();
    int maxConcurrency = 0;
    if (flags.has("rate")) {
      LoadSpec.Distribution distribution = LoadSpec.Distribution.parse(flags.get("distribution", "poisson"));
      for (double rate : Flags.sweep("rate", flags.get("rate", null))) {
        levels.add(LoadSpec.open(rate, distribution, warmup, duration).withMaxRequests(requests).withSeed(seed));
      }
    } else {
      for (double c : Flags.sweep("concurrency", flags.get("concurrency", "1"))) {
        if (c != Math.rint(c)) {
          throw new IllegalArgumentException("--concurrency needs whole numbers, got " + c);
        }
        maxConcurrency = Math.max(maxConcurrency, (int) c);
        levels.add(LoadSpec.closed((int) c, warmup, duration).withMaxRequests(requests));
      }
    }
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (String s : flags.all("shape")) {
      Map.Entry<String, long[]> e = Flags.shape(s);
      shapes.put(e.getKey(), e.getValue());
    }
    int connections = flags.integer("connections", maxConcurrency > 0 ? maxConcurrency : 64);
    ClientSettings settings = new ClientSettings(model, flags.get("model-version", ""), protocol,
        InputData.Source.parse(flags.get("input-data", "random"), seed), shapes, flags.integer("batch-size", 1),
        connections, flags.on("http2"), flags.duration("timeout", ClientSettings.DEFAULT_TIMEOUT),
        flags.integer("client-threads", ClientSettings.DEFAULT_EVENT_LOOPS));
    Path json = flags.has("json") ? Path.of(flags.get("json", null)) : null;
    Path html = flags.has("html") ? Path.of(flags.get("html", null)) : null;
    return new Plan(endpoint, settings, levels, json, html);
  }

  static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }
}
