package dev.neutrino.loadtest;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code neutrino loadtest}: load on any Open Inference Protocol server, one level or a sweep, a
 * table row per level, optionally a JSON report and an HTML page. The fields are its flags, as
 * picocli fills them: null where a flag was not given and its default depends on others.
 */
@Command(name = "neutrino loadtest", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    sortOptions = false, usageHelpWidth = 110,
    description = {"Load on an Open Inference Protocol server (Neutrino, Triton, KServe...) and its latency and "
        + "throughput per level. Closed loop with --concurrency, open loop with --rate."},
    footer = {"", "Latency in open loop counts from each request's scheduled send time, so a stalled server shows "
        + "in the percentiles. 'srv batch', 'queue us' and 'compute us' come from the server's statistics "
        + "(GET /v2/models/{m}/stats) where it has them, else n/a. 'gen cpu' is the generator's own CPU use, in "
        + "cores: near a whole core, the generator is the limit."})
final class LoadtestCommand {
  @Option(names = "--url", paramLabel = "<url>", defaultValue = "http://127.0.0.1:8000",
      description = "http://host:port[/prefix] or grpc://host:port (default ${DEFAULT-VALUE})")
  String url;

  @Option(names = "--model", paramLabel = "<name>", description = "the model to call (required)")
  String model;

  @Option(names = "--model-version", paramLabel = "<version>", defaultValue = "",
      description = "a version (default: the server's choice)")
  String modelVersion;

  @Option(names = "--protocol", paramLabel = "<protocol>",
      description = "http-json | http-binary | grpc (default: http-binary, grpc for grpc:// URLs)")
  String protocol;

  @Option(names = "--concurrency", paramLabel = "<levels>",
      description = "closed loop: clients, one level (8), a list (1,4,16,64) or a range (8:64:8) (default 1)")
  String concurrency;

  @Option(names = "--rate", paramLabel = "<levels>",
      description = "open loop: requests/s, one level, a list or a range (100:2000:100)")
  String rate;

  @Option(names = "--distribution", paramLabel = "<arrivals>", defaultValue = "poisson",
      description = "open-loop arrivals: constant | poisson (default ${DEFAULT-VALUE})")
  String distribution;

  @Option(names = "--duration", paramLabel = "<time>", defaultValue = "10s", converter = Flags.DurationValue.class,
      description = "measured time per level (default ${DEFAULT-VALUE})")
  Duration duration;

  @Option(names = "--warmup", paramLabel = "<time>", defaultValue = "2s", converter = Flags.DurationValue.class,
      description = "load before each level, discarded (default ${DEFAULT-VALUE})")
  Duration warmup;

  @Option(names = "--requests", paramLabel = "<n>", defaultValue = "0",
      description = "stop a level after N measured requests (the duration still bounds it)")
  int requests;

  @Option(names = "--input-data", paramLabel = "<source>", defaultValue = "random",
      description = "random | zero | FILE (perf_analyzer's JSON format: content/shape, b64, several entries, "
          + "validation_data) (default ${DEFAULT-VALUE})")
  String inputData;

  @Option(names = "--shape", paramLabel = "<name:dims>",
      description = "full shape of an input with variable dimensions, e.g. INPUT0:1,16 (repeatable)")
  List<String> shapes = new ArrayList<>();

  @Option(names = "--batch-size", paramLabel = "<n>", defaultValue = "1",
      description = "rows per request for inputs with a variable first dimension (default ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--connections", paramLabel = "<n>",
      description = "HTTP/1.1 connections (default: the highest concurrency, or 64 in open loop); HTTP/2 and gRPC "
          + "use one connection per client thread")
  Integer connections;

  @Option(names = "--http2", description = "HTTP/2 over clear text instead of HTTP/1.1 keep-alive")
  boolean http2;

  @Option(names = "--http-client", paramLabel = "<client>",
      description = "HTTP/1.1 through netty (the generator's own client) | vertx (Vert.x's client, as before it) "
          + "(default netty; --http2 is vertx)")
  String httpClient;

  @Option(names = "--timeout", paramLabel = "<time>", converter = Flags.DurationValue.class,
      description = "a request unanswered this long fails as 'timeout' (default 30s)")
  Duration timeout;

  @Option(names = "--client-threads", paramLabel = "<n>", defaultValue = "" + ClientSettings.DEFAULT_EVENT_LOOPS,
      description = "the generator's event-loop threads (default ${DEFAULT-VALUE})")
  int clientThreads;

  @Option(names = "--seed", paramLabel = "<n>", defaultValue = "1",
      description = "seed of random data and Poisson arrivals (default ${DEFAULT-VALUE})")
  int seed;

  @Option(names = "--json", paramLabel = "<file>", description = "write the runs as JSON (fields of BENCHMARKS.md)")
  Path json;

  @Option(names = "--html", paramLabel = "<file>",
      description = "write a self-contained page with latency-versus-throughput charts")
  Path html;

  /** @return the process exit status: 0 done, 1 failed, 2 a bad command line */
  static int run(String[] args, PrintStream out, PrintStream err) {
    LoadtestCommand flags = new LoadtestCommand();
    CommandLine commandLine = Main.commandLine(flags);
    Plan plan;
    try {
      CommandLine.ParseResult parsed = commandLine.parseArgs(args);
      if (Main.printedHelp(commandLine, parsed, out)) {
        return 0;
      }
      plan = flags.plan();
    } catch (CommandLine.ParameterException | IllegalArgumentException e) {
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
      if (plan.settings.protocol() != Protocol.GRPC) {
        report.setting("http_client", plan.settings.http().clientName());
      }
      report.setting("warmup_s", seconds(plan.levels.get(0).warmup()));
      report.setting("duration_s", seconds(plan.levels.get(0).duration()));
      report.setting("connections", plan.settings.connections());
      report.setting("client_event_loops", plan.settings.eventLoops());
      String target = plan.settings.protocol().flagName();
      out.println("neutrino loadtest: model " + plan.settings.model() + " at " + plan.endpoint + " over "
          + target + (plan.settings.protocol() == Protocol.GRPC ? "" : " (" + (plan.settings.http2() ? "HTTP/2" : "HTTP/1.1")
              + ", " + plan.settings.http().clientName() + " client)") + ", " + plan.levels.size() + " level(s), warm-up "
          + seconds(plan.levels.get(0).warmup()) + " s, " + seconds(plan.levels.get(0).duration()) + " s each");
      out.println("generator: " + MachineInfo.describe(machine));
      if (plan.levels.get(0).mode() == LoadSpec.Mode.OPEN && !plan.levels.get(0).warmup().isZero()) {
        out.println("warm-up: a closed loop on all " + plan.settings.connections() + " connections for "
            + seconds(plan.levels.get(0).warmup()) + " s precedes the first level (opens them, compiles both sides)");
      }
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

  private Plan plan() {
    Endpoint endpoint = Endpoint.parse(url);
    if (model == null) {
      throw new IllegalArgumentException("give the model to call: --model NAME");
    }
    Protocol protocol = Protocol.parse(this.protocol != null ? this.protocol
        : endpoint.isGrpc() ? "grpc" : "http-binary");
    if (concurrency != null && rate != null) {
      throw new IllegalArgumentException("give either --concurrency (closed loop) or --rate (open loop), not both");
    }
    List<LoadSpec> levels = new ArrayList<>();
    int maxConcurrency = 0;
    if (rate != null) {
      LoadSpec.Distribution arrivals = LoadSpec.Distribution.parse(distribution);
      for (double r : Flags.sweep("rate", rate)) {
        levels.add(LoadSpec.open(r, arrivals, warmup, duration).withMaxRequests(requests).withSeed(seed));
      }
    } else {
      for (double c : Flags.sweep("concurrency", concurrency != null ? concurrency : "1")) {
        if (c != Math.rint(c)) {
          throw new IllegalArgumentException("--concurrency needs whole numbers, got " + c);
        }
        maxConcurrency = Math.max(maxConcurrency, (int) c);
        levels.add(LoadSpec.closed((int) c, warmup, duration).withMaxRequests(requests));
      }
    }
    Map<String, long[]> inputShapes = new LinkedHashMap<>();
    for (String s : shapes) {
      Map.Entry<String, long[]> e = Flags.shape(s);
      inputShapes.put(e.getKey(), e.getValue());
    }
    int lanes = connections != null ? connections : maxConcurrency > 0 ? maxConcurrency : 64;
    ClientSettings.Http http;
    if (httpClient == null || httpClient.equals("netty")) {
      if (http2 && httpClient != null) {
        throw new IllegalArgumentException("--http-client netty speaks HTTP/1.1 only: leave it out with --http2");
      }
      http = http2 ? ClientSettings.Http.HTTP2 : ClientSettings.Http.HTTP1;
    } else if (httpClient.equals("vertx")) {
      http = http2 ? ClientSettings.Http.HTTP2 : ClientSettings.Http.HTTP1_VERTX;
    } else {
      throw new IllegalArgumentException("unknown --http-client '" + httpClient + "': use netty or vertx");
    }
    ClientSettings settings = new ClientSettings(model, modelVersion, protocol,
        InputData.Source.parse(inputData, seed), inputShapes, batchSize, lanes, http,
        timeout != null ? timeout : ClientSettings.DEFAULT_TIMEOUT, clientThreads);
    return new Plan(endpoint, settings, levels, json, html);
  }

  static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }
}
