package dev.neutrino.loadtest;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.loadtest.profile.CpuBudget;
import dev.neutrino.loadtest.profile.CpuProfiler;
import dev.neutrino.loadtest.profile.JitSettling;
import dev.neutrino.loadtest.profile.ProfileReport;
import dev.neutrino.loadtest.profile.StageTable;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.repo.examples.ExampleModels;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The scenarios of BENCHMARKS.md, each measuring the gateway beside the in-process limit and the
 * naive server in one run, under one generator.
 *
 * <p>Everything runs in this JVM, one after another: a gateway on free loopback ports over a fresh
 * copy of the example repository, then the naive server, then the limit. Each network target first
 * takes a discarded warm-up at its highest level (JIT, ONNX Runtime's first runs), then every level
 * takes its own warm-up before it is measured.
 */
final class Bench {
  static final Duration FIRST_WARMUP_EXTRA = Duration.ofSeconds(2);
  /** A warm-up round after the first, while the JIT compilers are still busy ({@link JitSettling}). */
  static final Duration JIT_ROUND = Duration.ofSeconds(1);
  /** The closed loop's clients while the request path is warmed ({@link #warmRequestPath}). */
  static final int REQUEST_PATH_CLIENTS = 16;
  /** Overload's warm-up of a server on every core before it is pinned: this many --warmup, at least the minimum. */
  static final int PINNED_WARMUP_FACTOR = 5;
  static final Duration MIN_PINNED_WARMUP = Duration.ofSeconds(5);
  /** Rounds of the gateway against the naive server measured in turn ({@link #paired}). */
  static final int PAIRED_ROUNDS = 2;
  /**
   * The profile's warm-up rounds after the first (which takes a level's warm-up plus
   * {@link #FIRST_WARMUP_EXTRA} per combination) take at least this long per combination.
   */
  static final Duration PROFILE_LATER_WARMUP = Duration.ofSeconds(1);
  /** Every scenario, in the order {@code --scenario all} runs them. */
  static final List<String> SCENARIOS = List.of("overhead", "throughput-mlp", "throughput-encoder", "overload",
      "http-floor", "hotswap", "coldstart", "profile");
  /** The example models whose cold start the coldstart scenario measures. */
  static final List<String> COLDSTART_MODELS =
      List.of("identity_fp32", "simple", "recommender_mlp", "text_encoder", "tiny_lm");
  /** The coldstart scenario's first windows after ready: this model, these clients, this many windows. */
  static final String AFTER_READY_MODEL = "text_encoder";
  static final int AFTER_READY_CLIENTS = 64;
  static final int AFTER_READY_WINDOWS = 3;
  /** Rounds of those windows, the gateway's request-path warm-up off then on in each. */
  static final int AFTER_READY_ROUNDS = 2;
  /** The gateway's {@code --request-path-warmup-secs} when those windows turn it on (the Helm chart's value). */
  static final int AFTER_READY_WARMUP_SECS = 60;
  /** The shapes of the coldstart scenario's first requests, by model; a model absent here is only loaded. */
  private static final Map<String, Map<String, long[]>> COLDSTART_SHAPES = Map.of(
      "identity_fp32", Map.of("INPUT0", new long[] {1, 16}),
      "simple", Map.of(),
      "recommender_mlp", Map.of(),
      "text_encoder", Map.of());

  /**
   * @param concurrency closed-loop levels of the throughput sweeps
   * @param limitDuration how long the limit runs each batch size
   * @param naiveWorkers the naive server's worker threads, or 0 to try a few and keep the best
   * @param gatewayFlags flags of {@code neutrino serve} for the gateway under test, over its defaults
   *     (its ports and repository are the bench's own)
   * @param gatewayJavaOptions JVM options of the gateway processes the bench starts (overload, coldstart);
   *     the gateways it runs in its own JVM have this JVM's
   */
  record Options(String scenario, Duration warmup, Duration duration, List<Integer> concurrency,
      Duration limitDuration, int naiveWorkers, int clientThreads, List<String> gatewayFlags,
      Duration targetLatency, List<String> gatewayJavaOptions) {
    Options {
      gatewayFlags = List.copyOf(gatewayFlags);
      gatewayJavaOptions = List.copyOf(gatewayJavaOptions);
    }

    Options withScenario(String name) {
      return new Options(name, warmup, duration, concurrency, limitDuration, naiveWorkers, clientThreads,
          gatewayFlags, targetLatency, gatewayJavaOptions);
    }
  }

  /**
   * The profile scenario's settings.
   *
   * @param concurrency the closed loop's clients while recording
   * @param period the sampling period
   * @param dir where to write collapsed stacks and flame graph pages, or null
   */
  record ProfileOptions(int concurrency, Duration period, Path dir) {
    static final ProfileOptions DEFAULTS = new ProfileOptions(CpuProfiler.DEFAULT_CONCURRENCY,
        CpuProfiler.DEFAULT_PERIOD, null);
  }

  /** A scenario that could not run (the gateway refused what it needs), and why. */
  static final class Unavailable extends Exception {
    Unavailable(String message) {
      super(message, null, false, false);
    }
  }

  /** Issue #15's throughput goal for recommender_mlp: this share of the in-process limit. */
  static final double GOAL_SHARE_OF_LIMIT = 0.5;
  private static final Pattern DYNAMIC_BATCHING = Pattern.compile("(?m)^dynamic_batching:[ \\t]*\\R");
  private static final Pattern EXISTING_TARGET = Pattern.compile("(?m)^[ \\t]+target_latency_microseconds:.*\\R");
  private static final Pattern MAX_BATCH_SIZE = Pattern.compile("(?m)^max_batch_size:[ \\t]*(\\d+)");

  private final Options options;
  private final PrintStream out;
  private final CpuMeter meter = new CpuMeter();
  /** Held so that the level set below stays in force (the logging framework keeps loggers weakly). */
  private final java.util.logging.Logger neutrinoLog = java.util.logging.Logger.getLogger("dev.neutrino");
  private final int cores = Runtime.getRuntime().availableProcessors();
  private Report report;
  private final ProfileOptions profileOptions;
  /** Per target, how its first warm-up left the JIT compilers ({@link #warm}); the report's {@code warmup_jit}. */
  private final Map<String, Object> jitWarmups = new LinkedHashMap<>();

  Bench(Options options, PrintStream out) {
    this(options, ProfileOptions.DEFAULTS, out);
  }

  Bench(Options options, ProfileOptions profileOptions, PrintStream out) {
    this.options = options;
    this.profileOptions = profileOptions;
    this.out = out;
  }

  Report run() throws Exception {
    // The gateway's start-up lines (a line per model loaded) would break up the tables.
    neutrinoLog.setLevel(java.util.logging.Level.WARNING);
    Path repository = Files.createTempDirectory("neutrino-bench-");
    try {
      ExampleModels.writeRepository(repository);
      return switch (options.scenario()) {
        case "overhead" -> overhead(repository);
        case "throughput-mlp" -> throughput(repository, "recommender_mlp");
        case "throughput-encoder" -> throughput(repository, "text_encoder");
        case "overload" -> overload(repository);
        case "http-floor" -> httpFloor(repository);
        case "hotswap" -> hotswap(repository);
        case "coldstart" -> coldstart(repository);
        case "profile" -> profile(repository);
        default -> throw new IllegalArgumentException("unknown scenario '" + options.scenario() + "': use one of "
            + String.join(", ", SCENARIOS));
      };
    } finally {
      deleteRecursively(repository);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Scenarios

  private Report overhead(Path repository) throws Exception {
    String model = "identity_fp32";
    Map<String, long[]> shapes = Map.of("INPUT0", new long[] {1, 16});
    start("overhead", model, "one client, sequential calls of a 1x16 FP32 tensor through identity_fp32");
    List<LoadSpec> levels = List.of(LoadSpec.closed(1, options.warmup(), options.duration()));
    TransportFloor.Answers answers;
    int eventLoops;
    try (RunningGateway gateway = startGateway(repository, List.of())) {
      note(gateway);
      warmEveryProtocol(gateway, model, shapes);
      sweep(Report.GATEWAY_HTTP_JSON, gateway.http(), Protocol.HTTP_JSON, model, shapes, levels);
      sweep(Report.GATEWAY_HTTP_BINARY, gateway.http(), Protocol.HTTP_BINARY, model, shapes, levels);
      grpcSweep(gateway, model, shapes, levels);
      answers = TransportFloor.capture(gateway.http(), gateway.grpc(), model, shapes);
      eventLoops = gateway.eventLoops();
    }
    try (TransportFloor floor = startFloor(answers, eventLoops)) {
      sweep(Report.BARE_HTTP_JSON, floor.http(), Protocol.HTTP_JSON, model, shapes, levels);
      bareSweeps(floor, model, shapes, levels);
    }
    try (TransportFloor handOff = TransportFloor.start(answers, eventLoops, true)) {
      report.setting("hand_off_floor", "the transport floor with one more thread: each answer is written after a "
          + "round trip from the event loop to a thread that parks while idle and back, as the gateway's answers "
          + "make one to a model instance's thread");
      out.println("transport floor with the hand-off listening http=" + handOff.http()
          + (handOff.grpc() == null ? "" : " grpc=" + handOff.grpc()));
      out.println();
      sweep(Report.HAND_OFF_HTTP_JSON, handOff.http(), Protocol.HTTP_JSON, model, shapes, levels);
      floorSweeps(handOff, Report::handOffOf, model, shapes, levels);
    }
    naiveSweep(repository, model, shapes, levels, cores);
    LimitResult limit = limit(repository, model, shapes, List.of(1), List.of(new InProcessLimit.Layout(1, cores)),
        options.duration());

    LatencySummary inProcess = limit.best.result().latency();
    Report.Run binary = best(Report.GATEWAY_HTTP_BINARY);
    report.ratio("overhead_p50_us", binary.result().latency().p50() - inProcess.p50());
    report.ratio("overhead_p99_us", binary.result().latency().p99() - inProcess.p99());
    for (String target : List.of(Report.GATEWAY_HTTP_JSON, Report.GATEWAY_HTTP_BINARY, Report.GATEWAY_GRPC)) {
      Report.Run run = best(target);
      String protocol = target.substring("gateway-".length()).replace('-', '_');
      report.ratio("overhead_p50_us_" + protocol, run == null ? null : run.result().latency().p50() - inProcess.p50());
      report.ratio("overhead_p99_us_" + protocol, run == null ? null : run.result().latency().p99() - inProcess.p99());
    }
    for (String target : List.of(Report.BARE_HTTP_JSON, Report.BARE_HTTP_BINARY, Report.BARE_GRPC)) {
      Report.Run floor = best(target);
      String protocol = target.substring("floor-".length()).replace('-', '_');
      Report.Run gateway = best("gateway-" + target.substring("floor-".length()));
      report.ratio("transport_floor_p50_us_" + protocol,
          floor == null ? null : floor.result().latency().p50() - inProcess.p50());
      report.ratio("transport_floor_p99_us_" + protocol,
          floor == null ? null : floor.result().latency().p99() - inProcess.p99());
      report.ratio("gateway_overhead_above_floor_us_" + protocol, floor == null || gateway == null ? null
          : gateway.result().latency().p50() - floor.result().latency().p50());
      Report.Run handOff = best(Report.handOffOf(target));
      report.ratio("hand_off_floor_p50_us_" + protocol,
          handOff == null ? null : handOff.result().latency().p50() - inProcess.p50());
      report.ratio("gateway_overhead_above_hand_off_floor_us_" + protocol, handOff == null || gateway == null ? null
          : gateway.result().latency().p50() - handOff.result().latency().p50());
    }
    report.ratio("in_process_p50_us", inProcess.p50());
    report.ratio("in_process_p99_us", inProcess.p99());
    headline(limit);
    report.note("overhead_* = gateway latency minus the in-process call's (same tensor, same machine, same run); "
        + "gateway_vs_limit and gateway_vs_naive compare throughput of one sequential client");
    report.note("transport_floor_* = the bare transport floor's latency minus the in-process call's: a Vert.x "
        + "server with the gateway's event loops and transport options replaying the gateway's own answer bytes "
        + "(no model, no batching, no decoding); gateway_overhead_above_floor_us_* = gateway p50 minus floor p50, "
        + "what the gateway's own code adds over the transport");
    return report;
  }

  private Report throughput(Path repository, String model) throws Exception {
    start("throughput-" + (model.equals("text_encoder") ? "encoder" : "mlp"), model,
        "closed-loop concurrency sweep " + options.concurrency());
    List<LoadSpec> levels = new ArrayList<>();
    for (int c : options.concurrency()) {
      levels.add(LoadSpec.closed(c, options.warmup(), options.duration()));
    }
    int maxBatch;
    Map<String, Object> paired;
    LimitResult limit;
    try (RunningGateway gateway = startGateway(repository, List.of())) {
      note(gateway);
      warmRequestPath(gateway);
      maxBatch = gateway.maxBatchSize(model);
      sweep(Report.GATEWAY_HTTP_BINARY, gateway.http(), Protocol.HTTP_BINARY, model, Map.of(), levels);
      grpcSweep(gateway, model, Map.of(), levels);
      try (NaiveServer naive = startNaive(repository, model, Map.of(), levels, 0)) {
        sweep(Report.NAIVE_HTTP, naiveEndpoint(naive), Protocol.HTTP_BINARY, model, Map.of(), levels);
        paired = paired(gateway.http(), naiveEndpoint(naive), model, levels);
      }
      limit = limit(repository, model, Map.of(), batchSizes(maxBatch), layouts(), options.limitDuration());
      LoadSpec top = levels.stream().max(Comparator.comparingInt(LoadSpec::concurrency)).orElseThrow();
      report.ratio("gateway_http_binary_vs_limit_paired", Report.round(pairedLimit(gateway.http(), repository, model,
          top, limit)));
      report.ratio("gateway_http_binary_vs_limit_paired_concurrency", top.concurrency());
    }
    headline(limit);
    Map<String, Object> byLevel = new LinkedHashMap<>();
    for (int c : options.concurrency()) {
      Report.Run g = at(Report.GATEWAY_HTTP_BINARY, c);
      Report.Run n = at(Report.NAIVE_HTTP, c);
      if (g != null && n != null && n.result().throughputRps() > 0) {
        byLevel.put(Integer.toString(c), Report.round(g.result().throughputRps() / n.result().throughputRps()));
      }
    }
    report.ratio("gateway_http_binary_vs_naive_by_concurrency", byLevel);
    report.ratio("gateway_http_binary_vs_naive_paired_by_concurrency", paired);
    report.note("gateway_http_binary_vs_naive_by_concurrency compares the two sweeps, run a minute or more apart; "
        + "gateway_http_binary_vs_naive_paired_by_concurrency measures both servers in turn at each level ("
        + PAIRED_ROUNDS + " rounds of gateway then naive, a level's warm-up and duration each), so that a change "
        + "in this machine's speed between the sweeps falls on both alike");
    return report;
  }

  /**
   * The gateway against the naive server over HTTP binary at each level, measured in turn: {@value
   * #PAIRED_ROUNDS} rounds of one window of the gateway, then one of the naive server. On a machine
   * whose speed drifts over minutes (a shared VM), the sweeps' ratio also measures that drift; here it
   * falls on both alike. Each server's throughput is its answers over its windows' time.
   *
   * @return the gateway's throughput over the naive server's, by concurrency
   */
  private Map<String, Object> paired(Endpoint gateway, Endpoint naive, String model, List<LoadSpec> levels)
      throws IOException {
    int connections = levels.stream().mapToInt(LoadSpec::concurrency).max().orElse(1);
    Map<String, Object> byLevel = new LinkedHashMap<>();
    out.println("gateway-http-binary against naive-http, in turn (" + PAIRED_ROUNDS + " rounds per level)");
    out.println(String.format("%8s %28s %28s %7s", "conc", "gateway rps by round", "naive rps by round", "ratio"));
    try (InferenceClient gatewayClient = InferenceClients.connect(gateway,
            settings(model, Protocol.HTTP_BINARY, Map.of(), connections), meter);
        InferenceClient naiveClient = InferenceClients.connect(naive,
            settings(model, Protocol.HTTP_BINARY, Map.of(), connections), meter)) {
      LoadGenerator gatewayLoad = new LoadGenerator(gatewayClient, meter);
      LoadGenerator naiveLoad = new LoadGenerator(naiveClient, meter);
      for (LoadSpec level : levels) {
        InTurn turns = inTurn(() -> gatewayLoad.run(level), () -> naiveLoad.run(level));
        byLevel.put(Integer.toString(level.concurrency()), Report.round(turns.ratio()));
        out.println(String.format("%8d %28s %28s %7s", level.concurrency(), turns.first(), turns.second(),
            HtmlReport.format(Report.round(turns.ratio()))));
        out.flush();
      }
    }
    out.println();
    return byLevel;
  }

  /**
   * Capacity (closed loop), then an open loop at twice that, for the gateway as shipped, the gateway
   * with a latency target on the model, and the naive server. Where the machine has two cores or more
   * and taskset is installed, each server is a child process pinned to the upper half of this
   * process's cores and this JVM (the generator) re-pins itself to the others for the time of the
   * scenario; otherwise everything shares the cores in this JVM, as the report notes.
   */
  private Report overload(Path repository) throws Exception {
    String model = "recommender_mlp";
    int probe = options.concurrency().stream().mapToInt(Integer::intValue).max().orElse(128);
    start("overload", model, "capacity: closed loop at concurrency " + probe + ", warmed up until its throughput "
        + "stops rising, then the median of " + CapacityProbe.DEFAULT_SAMPLES + " windows; the open-loop rate "
        + "sustained in bounds, searched from there; then open loop (Poisson) at twice the capacity");
    Map<String, Object> ratios = new LinkedHashMap<>();
    long targetMicros = options.targetLatency().toNanos() / 1_000;
    if (targetMicros > 0) {
      report.setting("latency_target_us", targetMicros);
    }
    int maxBatch = maxBatchSize(repository, model);
    Optional<Path> taskset = Cpus.taskset();
    long self = ProcessHandle.current().pid();
    List<Integer> allowed = taskset.isPresent() ? Cpus.allowed(taskset.get(), self) : List.of();
    if (taskset.isPresent() && allowed.size() >= 2) {
      int serverCount = allowed.size() / 2;
      List<Integer> serverCores = List.copyOf(allowed.subList(allowed.size() - serverCount, allowed.size()));
      List<Integer> generatorCores = List.copyOf(allowed.subList(0, allowed.size() - serverCount));
      // Each server warms up on every core, sized for its own, and is pinned to them for the measurement.
      List<Integer> warmUpCores = options.warmup().isZero() ? List.of() : allowed;
      String layout = "servers: child processes pinned with taskset -c " + Cpus.list(serverCores)
          + (warmUpCores.isEmpty() ? "" : " (each sized for them with -XX:ActiveProcessorCount="
              + serverCores.size() + ", warmed up on cores " + Cpus.list(warmUpCores) + " for "
              + Report.number(LoadtestCommand.seconds(pinnedWarmup())) + " s, then pinned with taskset -a -p)")
          + "; generator: this JVM re-pinned (taskset -a -p) to " + Cpus.list(generatorCores);
      report.setting("overload_layout", layout);
      report.note("overload: <server>_server_cores_busy = the server process's CPU time over the 2x open loop's wall "
          + "time; <server>_served_cpu_us = its cores over its capacity; <server>_refusal_cpu_us = the rest of that CPU "
          + "time per refused request; <server>_goodput_bound = (1 - 2r) / (1 - r), r = refusal / served: the goodput "
          + "at 2x capacity such costs allow on saturated cores, whatever decides what to refuse");
      report.note("overload: each server runs alone on its pinned core(s), the generator on the others, so that "
          + "the open loop can offer more than the server's capacity; the in-process limit runs afterwards on all "
          + "cores");
      out.println("overload layout: " + layout);
      Cpus.pin(taskset.get(), self, generatorCores);
      try {
        List<String> java = GatewayProcess.javaCommand(options.gatewayJavaOptions());
        settingGatewayCommand(java);
        report.setting("gateway_flags", options.gatewayFlags().isEmpty() ? "(defaults)"
            : String.join(" ", options.gatewayFlags()));
        try (GatewayProcess gateway = GatewayProcess.start(java, taskset, serverCores, warmUpCores, repository,
            options.gatewayFlags())) {
          out.println("gateway " + gateway.description() + ", http=" + gateway.http());
          out.println();
          String unsettled = warmUpThenPin(gateway, Report.GATEWAY_HTTP_BINARY, model, probe);
          overloadOf(Report.GATEWAY_HTTP_BINARY, gateway.http(), model, probe, ratios, "gateway", targetMicros,
              gateway.handle(), serverCount, unsettled);
        }
        if (targetMicros > 0) {
          setTargetLatency(repository, model, targetMicros);
          try (GatewayProcess gateway = GatewayProcess.start(java, taskset, serverCores, warmUpCores, repository,
              options.gatewayFlags())) {
            out.println("gateway with the latency target " + gateway.description() + ", http=" + gateway.http());
            out.println();
            String unsettled = warmUpThenPin(gateway, Report.GATEWAY_HTTP_BINARY_LATENCY_TARGET, model, probe);
            overloadOf(Report.GATEWAY_HTTP_BINARY_LATENCY_TARGET, gateway.http(), model, probe, ratios,
                "gateway_latency_target", targetMicros, gateway.handle(), serverCount, unsettled);
          }
        }
        int workers = options.naiveWorkers() > 0 ? options.naiveWorkers() : 2 * serverCount;
        try (GatewayProcess naive = GatewayProcess.startNaive(taskset, serverCores, warmUpCores,
            modelFile(repository, model), model, workers, 1)) {
          report.setting("naive_workers", workers + " x 1 thread");
          out.println("naive server " + naive.description() + ", http=" + naive.http());
          out.println();
          String unsettled = warmUpThenPin(naive, Report.NAIVE_HTTP, model, probe);
          overloadOf(Report.NAIVE_HTTP, naive.http(), model, probe, ratios, "naive", targetMicros, naive.handle(),
              serverCount, unsettled);
        }
      } finally {
        Cpus.pin(taskset.get(), self, allowed);
      }
    } else {
      String why = taskset.isEmpty() ? "taskset is not installed (util-linux)"
          : "this process may use " + allowed.size() + " core only";
      report.setting("overload_layout", "in this JVM, sharing the cores with the generator: " + why);
      report.note("overload ran in-process, the generator sharing the cores with the server (" + why + "): the "
          + "open loop may not be able to offer more than the server's capacity");
      out.println("note: overload runs in this JVM, generator and server sharing the cores: " + why);
      try (RunningGateway gateway = startGateway(repository, List.of())) {
        note(gateway);
        overloadOf(Report.GATEWAY_HTTP_BINARY, gateway.http(), model, probe, ratios, "gateway", targetMicros, null, 0,
            null);
      }
      if (targetMicros > 0) {
        setTargetLatency(repository, model, targetMicros);
        try (RunningGateway gateway = startGateway(repository, List.of())) {
          note(gateway);
          overloadOf(Report.GATEWAY_HTTP_BINARY_LATENCY_TARGET, gateway.http(), model, probe, ratios,
              "gateway_latency_target", targetMicros, null, 0, null);
        }
      }
      int workers = options.naiveWorkers() > 0 ? options.naiveWorkers() : 2 * cores;
      try (NaiveServer naive = NaiveServer.start(modelFile(repository, model), model, workers, 1)) {
        report.setting("naive_workers", workers + " x 1 thread");
        overloadOf(Report.NAIVE_HTTP, Endpoint.http("127.0.0.1", naive.port()), model, probe, ratios, "naive",
            targetMicros, null, 0, null);
      }
    }
    LimitResult limit = limit(repository, model, Map.of(), batchSizes(maxBatch), layouts(), options.limitDuration());
    ratios.forEach(report::ratio);
    double gatewayGoodput = (double) ratios.get("gateway_goodput_rps");
    double naiveGoodput = (double) ratios.get("naive_goodput_rps");
    report.ratio("gateway_vs_limit", Report.round(gatewayGoodput / limit.best.result().throughputRps()));
    report.ratio("gateway_vs_naive", naiveGoodput > 0 ? Report.round(gatewayGoodput / naiveGoodput) : null);
    report.ratio("limit_rps", Report.round(limit.best.result().throughputRps()));
    report.note("goodput = successful responses per second under twice the measured capacity, over the time "
        + "from the first send until the last answer (a server that queues the excess answers late, and its "
        + "goodput falls to what it can serve); gateway_vs_limit and gateway_vs_naive compare goodput; "
        + "gateway_latency_target_* = the same gateway with target_latency_microseconds set on the model; "
        + "*_p99_ok_vs_target = p99 of the admitted (successful) requests over the latency target; rejections "
        + "are 429, 503 and RESOURCE_EXHAUSTED answers; *_valid false = the generator, not the server, was "
        + "the limit (see the runs' invalid_reason), or the server's JIT compilers were still busy after its "
        + "warm-up (*_invalid_reason)");
    report.note("capacity probe: a closed loop at the top concurrency in windows of a third of --duration until "
        + "throughput stops rising: each of the last " + CapacityProbe.DEFAULT_SAMPLES + " windows at most "
        + Report.round(100 * CapacityProbe.RISE) + " % above the best window before it, after "
        + CapacityProbe.MIN_WARMUP_WINDOWS + " windows at least (at most " + CapacityProbe.WARMUP_LIMIT_FACTOR
        + "x --warmup; *_warmup_settled false: still rising then). Those last windows are the samples: "
        + "*_capacity_rps is their median, *_capacity_samples each one, *_capacity_spread = (max - min) / median; "
        + "*_warmup_seconds = the time before them. The median of closed-loop windows is the capacity because a "
        + "closed loop regulates itself and the median leaves one noisy window out; *_sustained_rps = the highest "
        + "open-loop (Poisson) rate, searched up and down from the capacity by " + Report.round(100 * CapacityProbe.STEP)
        + " % steps then bisected (at most " + CapacityProbe.DEFAULT_MAX_STEPS + " windows), whose goodput was at "
        + "least " + CapacityProbe.GOOD_SHARE + "x what was offered with the p99 of admitted requests within the "
        + "latency target: reported beside the capacity, since each of its verdicts rests on one window's p99");
    return report;
  }

  /**
   * How long a server started on every core warms up there before it is pinned to its own: long
   * enough for the JIT to compile most of the request path with a core to spare. On 2 vCPUs the probe
   * then settled after 7 s at 19.2k requests/s, where a gateway pinned from the start was still rising
   * after 12.5 s at 10.4k. The JIT goes on compiling for some seconds once pinned (the pinned load takes
   * other paths), which the capacity probe's own warm-up takes in.
   */
  private Duration pinnedWarmup() {
    Duration scaled = options.warmup().multipliedBy(PINNED_WARMUP_FACTOR);
    return scaled.compareTo(MIN_PINNED_WARMUP) < 0 ? MIN_PINNED_WARMUP : scaled;
  }

  /**
   * A closed loop at {@code concurrency} against {@code server} while it runs on its warm-up cores,
   * discarded, then more rounds until the server's JIT compilers are quiet, then the server pinned to
   * its own cores; nothing when it started pinned. A server pinned while its compilers still work
   * shares its one core with them: the gateway's model threads, below the compilers' priority
   * ({@code --compute-nice}), then served a tenth of its capacity for seconds.
   */
  private String warmUpThenPin(GatewayProcess server, String target, String model, int concurrency)
      throws IOException {
    if (!server.warmingUp()) {
      return null;
    }
    Warmed warm;
    try (InferenceClient client = InferenceClients.connect(server.http(), overloadSettings(model, concurrency),
        meter)) {
      warm = warmUntilJitQuiet(new LoadGenerator(client, meter), target, concurrency, pinnedWarmup(),
          " on its warm-up cores", target + " before pinning", () -> CpuProfiler.jitCpuNanos(server.handle().pid()));
      out.println("  " + Report.number(warm.first().throughputRps()) + " rps while warming up; now pinned");
    }
    server.pinToItsCores();
    return unsettled(warm.jit());
  }

  /**
   * Why a server's figures are not its own when its JIT compilers were still busy after the warm-up:
   * its capacity was measured while it was still getting faster (one run of bench all measured the
   * gateway at 7.7k requests/s, about half its capacity, while the compilers took 60 to 90 % of a core;
   * twice that rate then answered at 1.5 times the "capacity"). Null when they settled, or when their
   * CPU could not be read.
   */
  static String unsettled(JitSettling.Result jit) {
    List<Double> shares = jit.shares();
    if (shares.isEmpty() || jit.settled()) {
      return null;
    }
    return "the server's JIT compilers were still busy after its warm-up (" + Math.round(100 * shares.get(
        shares.size() - 1)) + " % of a core in its last round): its capacity was measured while it still got faster";
  }

  /** Overload's clients: HTTP binary, {@code connections} of them, a request failing after 10 s. */
  private ClientSettings overloadSettings(String model, int connections) {
    return settings(model, Protocol.HTTP_BINARY, Map.of(), connections).withTimeout(Duration.ofSeconds(10));
  }

  /** Sets {@code target_latency_microseconds} on {@code model}'s configuration in {@code repository}. */
  private void setTargetLatency(Path repository, String model, long micros) throws IOException {
    Path config = repository.resolve(model).resolve("config.yaml");
    Files.writeString(config, withTargetLatency(Files.readString(config), micros));
  }

  /** The model's {@code max_batch_size} as its configuration in {@code repository} declares it (0 when none). */
  static int maxBatchSize(Path repository, String model) throws IOException {
    Path config = repository.resolve(model).resolve("config.yaml");
    if (!Files.isRegularFile(config)) {
      return 0;
    }
    Matcher m = MAX_BATCH_SIZE.matcher(Files.readString(config));
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  /**
   * The gateway's transport floor: the same gateway answering recommender_mlp and the do-nothing
   * {@code recommender_floor} (same request and response sizes, same configuration), closed loop; then
   * the bare transport floor ({@link TransportFloor}) replaying recommender_mlp's answers at the same
   * levels; then, for the goal of issue #15, the in-process limit at the largest batch sizes; and wrk
   * against both floors when it is installed.
   */
  private Report httpFloor(Path repository) throws Exception {
    String model = "recommender_mlp";
    String floor = ExampleModels.FLOOR_MODEL;
    start("http-floor", floor, "the gateway's transport floor: one gateway answering " + floor + " (recommender_mlp's "
        + "request and response sizes, configuration and batching around a model that does nothing: one ReduceMax) "
        + "beside recommender_mlp itself, then the bare transport floor (no gateway: a Vert.x server replaying "
        + "recommender_mlp's answer bytes); closed-loop concurrency sweep " + options.concurrency());
    List<LoadSpec> levels = new ArrayList<>();
    for (int c : options.concurrency()) {
      levels.add(LoadSpec.closed(c, options.warmup(), options.duration()));
    }
    int top = options.concurrency().stream().mapToInt(Integer::intValue).max().orElse(1);
    Optional<Wrk> wrk = Wrk.find();
    Map<String, Object> wrkRps = new LinkedHashMap<>();
    TransportFloor.Answers answers;
    int eventLoops;
    int maxBatch;
    HttpPayloads.Body wrkBody = null;
    try (RunningGateway gateway = startGateway(repository, List.of())) {
      note(gateway);
      warmRequestPath(gateway);
      maxBatch = gateway.maxBatchSize(model);
      sweep(Report.FLOOR_HTTP_BINARY, gateway.http(), Protocol.HTTP_BINARY, floor, Map.of(), levels);
      if (gateway.grpc() != null) {
        sweep(Report.FLOOR_GRPC, gateway.grpc(), Protocol.GRPC, floor, Map.of(), levels);
      }
      sweep(Report.GATEWAY_HTTP_BINARY, gateway.http(), Protocol.HTTP_BINARY, model, Map.of(), levels);
      answers = TransportFloor.capture(gateway.http(), gateway.grpc(), model, Map.of());
      eventLoops = gateway.eventLoops();
      if (wrk.isPresent()) {
        wrkBody = TransportFloor.binaryRequest(gateway.http(), floor, Map.of());
        wrkRps.put(Report.FLOOR_HTTP_BINARY, wrk(wrk.get(), gateway.http(), floor, wrkBody, top));
      }
    }
    try (TransportFloor bare = startFloor(answers, eventLoops)) {
      bareSweeps(bare, model, Map.of(), levels);
      if (wrk.isPresent()) {
        wrkRps.put(Report.BARE_HTTP_BINARY, wrk(wrk.get(), bare.http(), model, wrkBody, top));
      }
    }
    LimitResult limit = limit(repository, model, Map.of(), topBatchSizes(maxBatch), layouts(), options.limitDuration());

    Map<String, Object> floorRps = new LinkedHashMap<>();
    Map<String, Object> vsFloor = new LinkedHashMap<>();
    Map<String, Object> bareRps = new LinkedHashMap<>();
    Map<String, Object> floorVsBare = new LinkedHashMap<>();
    for (int c : options.concurrency()) {
      Report.Run f = at(Report.FLOOR_HTTP_BINARY, c);
      Report.Run g = at(Report.GATEWAY_HTTP_BINARY, c);
      Report.Run b = at(Report.BARE_HTTP_BINARY, c);
      if (f != null) {
        floorRps.put(Integer.toString(c), Report.round(f.result().throughputRps()));
      }
      if (f != null && g != null && f.result().throughputRps() > 0) {
        vsFloor.put(Integer.toString(c), Report.round(g.result().throughputRps() / f.result().throughputRps()));
      }
      if (b != null) {
        bareRps.put(Integer.toString(c), Report.round(b.result().throughputRps()));
      }
      if (f != null && b != null && b.result().throughputRps() > 0) {
        floorVsBare.put(Integer.toString(c), Report.round(f.result().throughputRps() / b.result().throughputRps()));
      }
    }
    Report.Run bestFloor = best(Report.FLOOR_HTTP_BINARY);
    Report.Run bestGateway = best(Report.GATEWAY_HTTP_BINARY);
    Report.Run bestBare = best(Report.BARE_HTTP_BINARY);
    report.ratio("floor_rps", Report.round(bestFloor.result().throughputRps()));
    report.ratio("floor_concurrency", bestFloor.result().spec().concurrency());
    Report.Run lone = at(Report.FLOOR_HTTP_BINARY, 1);
    report.ratio("floor_p50_us_one_client", lone == null ? null : lone.result().latency().p50());
    report.ratio("floor_rps_by_concurrency", floorRps);
    report.ratio("gateway_vs_floor", Report.round(bestGateway.result().throughputRps()
        / Math.max(1e-9, bestFloor.result().throughputRps())));
    report.ratio("gateway_vs_floor_by_concurrency", vsFloor);
    Report.Run grpcFloor = best(Report.FLOOR_GRPC);
    report.ratio("floor_grpc_rps", grpcFloor == null ? null : Report.round(grpcFloor.result().throughputRps()));

    double bare = bestBare.result().throughputRps();
    report.ratio("bare_floor_rps", Report.round(bare));
    report.ratio("bare_floor_concurrency", bestBare.result().spec().concurrency());
    Report.Run bareLone = at(Report.BARE_HTTP_BINARY, 1);
    report.ratio("bare_floor_p50_us_one_client", bareLone == null ? null : bareLone.result().latency().p50());
    report.ratio("bare_floor_rps_by_concurrency", bareRps);
    Report.Run bareGrpc = best(Report.BARE_GRPC);
    report.ratio("bare_floor_grpc_rps", bareGrpc == null ? null : Report.round(bareGrpc.result().throughputRps()));
    report.ratio("floor_vs_bare", bare > 0 ? Report.round(bestFloor.result().throughputRps() / bare) : null);
    report.ratio("floor_vs_bare_by_concurrency", floorVsBare);
    report.ratio("gateway_vs_bare", bare > 0 ? Report.round(bestGateway.result().throughputRps() / bare) : null);
    report.ratio("gateway_rps", Report.round(bestGateway.result().throughputRps()));
    double limitRps = limit.best().result().throughputRps();
    double goal = GOAL_SHARE_OF_LIMIT * limitRps;
    report.ratio("limit_rps", Report.round(limitRps));
    report.ratio("goal_rps", Report.round(goal));
    report.ratio("goal_vs_bare_floor", bare > 0 ? Report.round(goal / bare) : null);
    double bound = transportAndComputeBound(bare, limitRps);
    report.ratio("transport_and_compute_bound_rps", bound > 0 ? Report.round(bound) : null);
    report.ratio("gateway_vs_transport_and_compute_bound",
        bound > 0 ? Report.round(bestGateway.result().throughputRps() / bound) : null);
    report.ratio("goal_vs_transport_and_compute_bound", bound > 0 ? Report.round(goal / bound) : null);
    if (wrk.isPresent()) {
      report.ratio("wrk_rps", wrkRps);
      report.note("wrk_rps = wrk (an independent generator, -c " + top + ", " + options.clientThreads() + " thread(s), "
          + Math.max(1, options.duration().toSeconds()) + " s) posting the same HTTP binary body to the gateway's "
          + "do-nothing model and to the bare floor");
    } else {
      report.ratio("wrk_rps", null);
      report.note("wrk is not on the PATH (Debian package wrk): the independent generator's figures were skipped");
    }
    report.note("gateway_vs_floor = recommender_mlp's requests/s over the floor's, same gateway, protocol and level: "
        + "what the model's compute costs on top of the gateway's own path; 1.0 would mean the model is free");
    report.note("bare_floor_* = the bare transport floor (a Vert.x server with the gateway's event loops and transport "
        + "options replaying recommender_mlp's answer bytes: no model, no decoding): what any Vert.x server reaches "
        + "on this machine under this generator; floor_vs_bare = the gateway's do-nothing model over it; goal_rps = "
        + GOAL_SHARE_OF_LIMIT + "x the in-process limit (issue #15's goal for recommender_mlp) and goal_vs_bare_floor "
        + "= that goal over the bare floor's best: above 1, the goal is beyond what the transport alone reaches here");
    report.note("transport_and_compute_bound_rps = 1 / (1 / bare_floor_rps + 1 / limit_rps): the requests/s of a "
        + "server that cost nothing but the bare transport and the in-process compute, both measured with every core "
        + "busy, so their costs per request add; gateway_vs_transport_and_compute_bound = how much of it the gateway "
        + "reached, and goal_vs_transport_and_compute_bound above 1 = the goal is beyond it here");
    return report;
  }

  /**
   * The requests/s of a server that spent on each request only what the bare transport and the model's
   * compute cost: both rates measured with every core busy, so a request takes 1/bare + 1/limit of the
   * machine. 0 when either is unknown.
   */
  static double transportAndComputeBound(double bareRps, double limitRps) {
    return bareRps > 0 && limitRps > 0 ? 1 / (1 / bareRps + 1 / limitRps) : 0;
  }

  /** Runs wrk against {@code model}'s inference path at {@code http}; the requests/s, or why it failed. */
  private Object wrk(Wrk wrk, Endpoint http, String model, HttpPayloads.Body body, int connections) {
    String url = TransportFloor.modelUrl(http, model) + "/infer";
    out.println("wrk -c " + connections + " for " + Math.max(1, options.duration().toSeconds()) + " s: POST " + url);
    out.flush();
    try {
      Wrk.Result result = wrk.run(url, body.bytes(), List.of(
          new String[] {"Content-Type", "application/octet-stream"},
          new String[] {HttpInferenceClient.HEADER_LENGTH, Integer.toString(body.headerLength())}),
          connections, options.clientThreads(), options.duration());
      out.println("  " + Report.number(result.requestsPerSecond()) + " req/s, " + result.errors() + " errors");
      out.println();
      return result.errors() == 0 ? Report.round(result.requestsPerSecond())
          : Report.round(result.requestsPerSecond()) + " (" + result.errors() + " errors)";
    } catch (IOException e) {
      out.println("  wrk failed: " + e.getMessage());
      out.println();
      return "failed: " + e.getMessage();
    }
  }

  private static final String NO_GRPC = Report.GATEWAY_GRPC + " skipped: the gateway serves no gRPC port";

  /**
   * CPU per request by stage for each protocol on identity_fp32 and recommender_mlp: closed-loop load
   * on one gateway while JFR samples every thread of this JVM (see {@link CpuProfiler}), then the same
   * load on each model's bare transport floor, so that each figure is also read above the floor.
   */
  private Report profile(Path repository) throws Exception {
    Map<String, Map<String, long[]>> models = new LinkedHashMap<>();
    models.put("identity_fp32", Map.of("INPUT0", new long[] {1, 16}));
    models.put("recommender_mlp", Map.of());
    int concurrency = profileOptions.concurrency();
    CpuProfiler.Settings settings = new CpuProfiler.Settings(concurrency, options.warmup().plus(FIRST_WARMUP_EXTRA),
        options.duration(), 0, profileOptions.period());
    start("profile", String.join(", ", models.keySet()), "CPU per request by stage: closed loop at concurrency "
        + concurrency + " per protocol and model while JFR samples every thread every "
        + profileOptions.period().toMillis() + " ms");
    report.setting("profile_concurrency", concurrency);
    report.setting("profile_period_ms", profileOptions.period().toMillis());
    CpuProfiler profiler = new CpuProfiler(StageTable.standard());
    List<CpuBudget> budgets = new ArrayList<>();
    List<CpuBudget> floorBudgets = new ArrayList<>();
    List<InferenceClient> clients = new ArrayList<>();
    List<TransportFloor> floors = new ArrayList<>();
    try (RunningGateway gateway = startGateway(repository, List.of())) {
      note(gateway);
      List<CpuProfiler.Target> targets = new ArrayList<>();
      try {
        // Each model's transport floor, under the same load: what reading a request and writing its answer
        // costs any server on this transport, so that each column says what the gateway spent above it. Each
        // floor combination comes right after the gateway's same one, so that the two are recorded seconds
        // apart and a shared VM's drifting speed moves both alike.
        for (Map.Entry<String, Map<String, long[]>> model : models.entrySet()) {
          TransportFloor floor = TransportFloor.start(
              TransportFloor.capture(gateway.http(), gateway.grpc(), model.getKey(), model.getValue()),
              gateway.eventLoops());
          floors.add(floor);
          for (Protocol protocol : Protocol.values()) {
            Endpoint endpoint = endpoint(protocol, gateway.http(), gateway.grpc());
            if (endpoint == null) {
              if (!report.notes().contains(NO_GRPC)) {
                report.note(NO_GRPC);
              }
              continue;
            }
            targets.add(profileTarget(endpoint, model.getKey(), protocol, model.getValue(), CpuBudget.Server.GATEWAY,
                concurrency, clients));
            Endpoint floorEndpoint = endpoint(protocol, floor.http(), floor.grpc());
            if (floorEndpoint != null) {
              targets.add(profileTarget(floorEndpoint, model.getKey(), protocol, model.getValue(),
                  CpuBudget.Server.FLOOR, concurrency, clients));
            }
          }
        }
        report.setting("profile_transport_floor", "bare Vert.x servers in this JVM, " + gateway.eventLoops()
            + " event loop(s) as the gateway, replaying each model's answers; each combination recorded right after "
            + "the gateway's, each server idle while the other is recorded");
        // Every combination is warmed before any is recorded: the first recording would otherwise pay for
        // the JIT compiling the paths the later ones share, and the columns would not compare.
        Duration later = options.warmup().compareTo(PROFILE_LATER_WARMUP) > 0 ? options.warmup() : PROFILE_LATER_WARMUP;
        JitSettling.Result warmup = profiler.warmUp(targets, meter, settings, later,
            (round, target) -> {
          out.println("warming up " + target.key() + " (round " + round + ", "
              + Report.number(LoadtestCommand.seconds(round == 1 ? settings.warmup() : later)) + " s)...");
          out.flush();
        });
        report.setting("profile_warmup_rounds", warmup.shares().size());
        report.setting("profile_warmup_jit_share_by_round", warmup.shares().stream().map(Report::round).toList());
        report.setting("profile_warmup_settled", warmup.settled());
        for (CpuProfiler.Target target : targets) {
          out.println("recording " + target.key() + " for "
              + Report.number(LoadtestCommand.seconds(settings.duration())) + " s...");
          out.flush();
          CpuBudget budget = profiler.record(target, meter, settings);
          boolean floor = target.server() == CpuBudget.Server.FLOOR;
          (floor ? floorBudgets : budgets).add(budget);
          report.add(new Report.Run((floor ? "floor-" : "gateway-") + target.protocol(), budget.load(), null,
              target.model()));
        }
      } finally {
        clients.forEach(InferenceClient::close);
        for (TransportFloor floor : floors) {
          floor.close();
        }
      }
    }
    out.println();
    out.print(CpuBudget.table(budgets, floorBudgets));
    out.println();
    if (!floorBudgets.isEmpty()) {
      out.print(CpuBudget.table(floorBudgets, List.of()));
      out.println();
    }
    report.ratio("profile", ProfileReport.json(budgets, floorBudgets));
    report.ratio("profile_transport_floor", ProfileReport.json(floorBudgets, List.of()));
    report.section(new Report.Section("CPU per request by stage", ProfileReport.section(budgets, floorBudgets)));
    if (profileOptions.dir() != null) {
      List<CpuBudget> all = new ArrayList<>(budgets);
      all.addAll(floorBudgets);
      List<Path> files = ProfileReport.writeFiles(all, profileOptions.dir());
      out.println("wrote " + files.size() + " files (collapsed stacks, flame graphs) to " + profileOptions.dir());
    }
    report.note("profile: every combination is warmed, round after round, before any is recorded, until the JIT "
        + "compilers use under " + Report.round(100 * CpuProfiler.JIT_SETTLED_SHARE) + " % of a round's wall time (at most "
        + CpuProfiler.MAX_WARMUP_ROUNDS + " rounds; profile_warmup_* says how it went), so that the jit row stays near "
        + "0 and the columns compare");
    report.note("profile: cpu_us_per_request = each gateway thread's measured CPU time over the window, split by "
        + "that thread's JFR samples into stages (the innermost frame a stage rule names decides), divided by the "
        + "requests answered; unsampled = process CPU beyond its Java threads (GC, JIT, the recorder, native "
        + "threads); the generator's threads (and any stack through the generator) are left out");
    report.note("profile: kernel_cpu_us_per_request = of the total, the CPU time the kernel spent for the server's Java "
        + "threads (each thread's CPU time less its user-mode time, as the kernel accounts them): system calls, with "
        + "the loopback delivery and the thread wake-ups done inside them; transport_floor_kernel_cpu_us_per_request "
        + "is the floor's");
    report.note("profile: transport_floor_cpu_us_per_request = the same closed loop on the bare transport floor "
        + "(profile_transport_floor has its stages), recorded right after the gateway's with the gateway idle; "
        + "above_floor_cpu_us_per_request = the gateway's total minus it: the gateway's own work per request");
    return report;
  }

  /** The endpoint of a server's {@code http} and {@code grpc} ones that serves {@code protocol}; null for none. */
  private static Endpoint endpoint(Protocol protocol, Endpoint http, Endpoint grpc) {
    return protocol == Protocol.GRPC ? grpc : http;
  }

  /** Connects a client of {@code protocol} to {@code endpoint} for the profile, and names the target. */
  private CpuProfiler.Target profileTarget(Endpoint endpoint, String model, Protocol protocol, Map<String, long[]> shapes,
      CpuBudget.Server server, int concurrency, List<InferenceClient> clients) throws IOException {
    InferenceClient client = InferenceClients.connect(endpoint, settings(model, protocol, shapes, concurrency), meter);
    clients.add(client);
    return new CpuProfiler.Target(model, protocol.flagName(), server, client);
  }

  /**
   * A model configuration (the YAML form) with {@code target_latency_microseconds} set in its
   * {@code dynamic_batching} section.
   *
   * @throws IllegalArgumentException if the configuration has no {@code dynamic_batching} section
   */
  static String withTargetLatency(String yaml, long micros) {
    String without = EXISTING_TARGET.matcher(yaml).replaceAll("");
    Matcher section = DYNAMIC_BATCHING.matcher(without);
    if (!section.find()) {
      throw new IllegalArgumentException("the model's configuration has no dynamic_batching section");
    }
    return without.substring(0, section.end()) + "  target_latency_microseconds: " + micros + "\n"
        + without.substring(section.end());
  }

  /** The capacity probe's closed-loop windows (and open-loop steps, if it takes any), each printed as it ends. */
  private CapacityProbe.Result probeCapacity(Endpoint endpoint, ClientSettings settings, int concurrency,
      CapacityProbe.Settings probeSettings) throws IOException {
    try (GeneratorWindows windows = windows(endpoint, settings, concurrency, probeSettings.highestRateFactor())) {
      return new CapacityProbe(probeSettings, System::nanoTime).run(windows);
    }
  }

  /**
   * The probe's windows on {@code endpoint}, each printed as it ends; the open-loop client holds
   * connections for {@code highestRateFactor} times the first open window's rate.
   */
  private GeneratorWindows windows(Endpoint endpoint, ClientSettings settings, int concurrency,
      double highestRateFactor) throws IOException {
    return new GeneratorWindows(endpoint, settings, meter, concurrency, highestRateFactor, (label, r) -> {
      out.println("  " + label + ": " + r.spec().level() + ", " + Report.number(r.throughputRps()) + " rps, p99 "
          + r.latency().p99() + " us" + (r.errorCount() > 0 ? ", errors " + r.errors() : "")
          + (r.valid() ? "" : ", INVALID: " + r.invalidReason()));
      out.flush();
    });
  }

  /** The probe's closed-loop samples as report runs, "sample 1" onwards. */
  private static List<Report.Run> sampleRuns(String target, CapacityProbe.Result probed) {
    List<Report.Run> runs = new ArrayList<>();
    for (int i = 0; i < probed.samples().size(); i++) {
      runs.add(new Report.Run(target, probed.samples().get(i), null, "sample " + (i + 1)));
    }
    return runs;
  }

  /** How the probe's capacity was found, for the printed report. */
  private static String capacitySummary(CapacityProbe.Result probed) {
    return "the median of the last " + probed.samples().size() + " closed-loop windows: "
        + Report.number(probed.capacityRps()) + " rps, spread " + Report.round(probed.spread()) + "; warm-up "
        + Report.number(probed.warmupSeconds()) + " s" + (probed.warmupSettled() ? "" : " (still rising at the limit)");
  }

  /** Overload offers this many times the measured capacity. */
  static final double OVERLOAD_RATE_FACTOR = 2;

  /**
   * @param unsettled why the server's figures are not valid before anything is measured (its JIT compilers
   *     still busy after the warm-up); null when nothing is known against them
   */
  private void overloadOf(String target, Endpoint endpoint, String model, int probe, Map<String, Object> ratios,
      String prefix, long targetMicros, ProcessHandle server, int serverCores, String unsettled) throws IOException {
    ClientSettings settings = overloadSettings(model, probe);
    CapacityProbe.Settings probeSettings = CapacityProbe.Settings.of(options.warmup(), options.duration(),
        targetMicros);
    out.println(target + " (" + model + "): capacity probe at concurrency " + probe
        + (options.warmup().isZero() ? " (no warm-up: --warmup 0)" : ", until throughput stops rising"));
    out.flush();
    CapacityProbe.Result probed;
    LevelResult overload;
    long serverCpuNanos; // over the 2x window; negative when it cannot be read
    long wallNanos;
    // HTTP/1.1 carries one request per connection at a time: with few connections the excess would wait
    // in the generator's pool and the server would never see the overload. The search's open-loop client
    // holds connections for the requests of GeneratorWindows.OPEN_WINDOW at twice its first rate (the
    // capacity), which puts the whole excess of 2x in front of the server; the 2x window runs on it, so
    // that it measures the server under overload, not the server taking thousands of new connections at
    // once (which, on one core, pauses it for tens of milliseconds while its collector copies their state).
    try (GeneratorWindows windows = windows(endpoint, settings, probe,
        Math.max(probeSettings.highestRateFactor(), OVERLOAD_RATE_FACTOR))) {
      probed = new CapacityProbe(probeSettings, System::nanoTime).run(windows);
      long cpuBefore = cpuNanos(server);
      long wallBefore = System.nanoTime();
      overload = windows.open("2x capacity", Math.max(1, OVERLOAD_RATE_FACTOR * probed.capacityRps()),
          options.warmup(), options.duration(), Duration.ofSeconds(15));
      wallNanos = System.nanoTime() - wallBefore;
      long cpuAfter = cpuNanos(server);
      serverCpuNanos = cpuBefore >= 0 && cpuAfter >= cpuBefore ? cpuAfter - cpuBefore : -1;
      report.setting("overload_connections_" + prefix, windows.openConnections());
    }
    double capacityRps = probed.capacityRps();
    List<Report.Run> samples = sampleRuns(target, probed);
    List<Report.Run> open = new ArrayList<>();
    for (int i = 0; i < probed.steps().size(); i++) {
      open.add(new Report.Run(target, probed.steps().get(i).result(), null, "step " + (i + 1)));
    }
    Report.Run openRun = new Report.Run(target, overload, null, "2x capacity");
    open.add(openRun);
    samples.forEach(report::add);
    open.forEach(report::add);
    out.println(target + " (" + model + "): capacity = " + capacitySummary(probed));
    TablePrinter closed = new TablePrinter(false, false, true);
    out.println(closed.header());
    samples.forEach(r -> out.println(closed.row(r)));
    out.println(target + " (" + model + "): open loop, the search for the rate sustained in bounds, then twice the "
        + "capacity");
    TablePrinter openTable = new TablePrinter(true, false, true);
    out.println(openTable.header());
    open.forEach(r -> out.println(openTable.row(r)));
    out.println();
    long rejected = overload.refused();
    ratios.put(prefix + "_capacity_rps", Report.round(capacityRps));
    ratios.put(prefix + "_capacity_samples", probed.samplesRps().stream().map(Report::round).toList());
    ratios.put(prefix + "_capacity_spread", Report.round(probed.spread()));
    ratios.put(prefix + "_capacity_method", "closed-loop median of the last " + probed.samples().size() + " x "
        + Report.number(LoadtestCommand.seconds(probeSettings.window())) + " s windows at concurrency " + probe
        + (probed.warmupRps().isEmpty() ? "" : probed.warmupSettled() ? ", once throughput stopped rising"
            : ", throughput still rising at the limit"));
    ratios.put(prefix + "_warmup_seconds", Report.round(probed.warmupSeconds()));
    ratios.put(prefix + "_warmup_settled", probed.warmupSettled());
    ratios.put(prefix + "_warmup_rps", probed.warmupRps().stream().map(Report::round).toList());
    ratios.put(prefix + "_sustained_rps", probed.sustainedRps().isPresent()
        ? Report.round(probed.sustainedRps().getAsDouble()) : null);
    ratios.put(prefix + "_sustained_vs_capacity", probed.sustainedRps().isPresent() && capacityRps > 0
        ? Report.round(probed.sustainedRps().getAsDouble() / capacityRps) : null);
    List<Map<String, Object>> steps = new ArrayList<>();
    for (CapacityProbe.Step step : probed.steps()) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("offered_rps", Report.round(step.result().offeredRps()));
      s.put("goodput_rps", Report.round(step.result().throughputRps()));
      s.put("p99_ok_us", step.result().latency().p99());
      s.put("good", step.good());
      steps.add(s);
    }
    ratios.put(prefix + "_sustained_steps", steps);
    ratios.put(prefix + "_offered_rps", Report.round(overload.offeredRps()));
    ratios.put(prefix + "_goodput_rps", Report.round(overload.throughputRps()));
    ratios.put(prefix + "_goodput_vs_capacity", capacityRps > 0
        ? Report.round(overload.throughputRps() / capacityRps) : null);
    ratios.put(prefix + "_p99_ok_us", overload.latency().p99());
    ratios.put(prefix + "_rejected_share", overload.requests() > 0
        ? Report.round((double) rejected / overload.requests()) : null);
    ratios.put(prefix + "_rejection_p50_us", rejected > 0 ? overload.errorLatency().p50() : null);
    ratios.put(prefix + "_rejection_p99_us", rejected > 0 ? overload.errorLatency().p99() : null);
    ratios.put(prefix + "_other_errors", overload.errorCount() - rejected);
    ratios.put(prefix + "_p99_ok_vs_target", targetMicros > 0 && overload.ok() > 0
        ? Report.round(overload.latency().p99() / (double) targetMicros) : null);
    ratios.put(prefix + "_warmup_backlog", overload.warmupBacklog());
    RefusalBudget budget = serverCpuNanos >= 0 && capacityRps > 0 && serverCores > 0
        ? RefusalBudget.of(serverCpuNanos, wallNanos, serverCores, capacityRps, overload.throughputRps(),
            overload.durationSeconds() > 0 ? rejected / overload.durationSeconds() : 0)
        : null;
    ratios.put(prefix + "_server_cores_busy", budget == null ? null : Report.round(budget.busyCores()));
    ratios.put(prefix + "_served_cpu_us", budget == null ? null : Report.round(budget.servedCpuUs()));
    ratios.put(prefix + "_refusal_cpu_us", budget == null ? null : Report.roundOrNull(budget.refusalCpuUs()));
    ratios.put(prefix + "_goodput_bound", budget == null ? null : Report.roundOrNull(budget.goodputBound()));
    if (budget != null && !Double.isNaN(budget.refusalCpuUs())) {
      out.println(target + ": the server's cores " + Report.number(100 * budget.busyCores() / serverCores)
          + " % busy at 2x; a request served at capacity took " + Report.number(budget.servedCpuUs())
          + " us of them, a refusal " + Report.number(budget.refusalCpuUs()) + " us: goodput at most "
          + HtmlReport.format(Report.round(budget.goodputBound())) + " of capacity at these costs");
      out.println();
    }
    ratios.put(prefix + "_valid", probed.valid() && overload.valid() && unsettled == null);
    if (unsettled != null) {
      ratios.put(prefix + "_invalid_reason", unsettled);
    } else if (!probed.valid() || !overload.valid()) {
      ratios.put(prefix + "_invalid_reason", !overload.valid() ? overload.invalidReason() : probed.invalidReason());
    }
  }

  /** A server process's CPU time so far, or -1 when it is not a child process or the system does not say. */
  private static long cpuNanos(ProcessHandle server) {
    return server == null ? -1 : server.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
  }

  /**
   * Each example model's cold start on a gateway in explicit mode: the repository API's load (session
   * creation of every instance, then warm-up, as the repository logs them) and the first answer after
   * it; first without the optimized-graph cache, then with an empty cache (the load fills it), then
   * once more from the filled cache. Each model is unloaded after its first answer.
   */
  private Report coldstart(Path repository) throws Exception {
    start("coldstart", "examples", "load (instances created, warm-up) and first answer through the repository API, "
        + "without the optimized-graph cache, filling it, and from it");
    Path cache = Files.createTempDirectory("neutrino-coldstart-cache-");
    java.util.logging.Logger loaderLog = java.util.logging.Logger.getLogger("dev.neutrino.repo.ModelLoader");
    java.util.concurrent.ConcurrentLinkedQueue<Object[]> phases = new java.util.concurrent.ConcurrentLinkedQueue<>();
    java.util.logging.Handler capture = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord record) {
        if (record.getParameters() != null && record.getParameters().length >= 5) {
          phases.add(record.getParameters());
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    loaderLog.setLevel(java.util.logging.Level.INFO);
    loaderLog.setUseParentHandlers(false);
    loaderLog.addHandler(capture);
    Map<String, List<String>> rows = new LinkedHashMap<>();
    COLDSTART_MODELS.forEach(m -> rows.put(m, new ArrayList<>(List.of(m))));
    try {
      try (RunningGateway gateway = startGateway(repository,
          List.of("--model-control-mode", "explicit", "--model-cache-dir", ""))) {
        note(gateway);
        for (String model : COLDSTART_MODELS) {
          rows.get(model).addAll(coldStart(gateway, model, phases));
        }
      }
      try (RunningGateway gateway = startGateway(repository,
          List.of("--model-control-mode", "explicit", "--model-cache-dir", cache.toString()))) {
        for (String model : COLDSTART_MODELS) {
          rows.get(model).addAll(coldStart(gateway, model, phases));
          rows.get(model).addAll(coldStart(gateway, model, phases));
        }
      }
    } finally {
      loaderLog.removeHandler(capture);
      loaderLog.setUseParentHandlers(true);
      deleteRecursively(cache);
    }
    List<String> header = new ArrayList<>(List.of("model"));
    for (String pass : List.of("no cache", "filling", "cached")) {
      header.addAll(List.of(pass + ": load ms", "warm-up ms", "1st answer ms", "total ms"));
    }
    out.printf("%-16s", header.get(0));
    header.subList(1, header.size()).forEach(h -> out.printf(" %14s", h));
    out.println();
    for (List<String> row : rows.values()) {
      out.printf("%-16s", row.get(0));
      row.subList(1, row.size()).forEach(v -> out.printf(" %14s", v));
      out.println();
      report.setting("coldstart_" + row.get(0), String.join(" ", row.subList(1, row.size())));
    }
    report.note("coldstart columns per pass: instances created (ms), warm-up (ms), first answer after the load "
        + "(ms), load request to first answer (ms)");
    out.println();
    afterReady(repository);
    return report;
  }

  /**
   * The first windows a fresh gateway serves once it reports ready, with its request-path warm-up
   * ({@code --request-path-warmup-secs}) off and on, in turn: each gateway a child process (a new
   * JVM, on every core), {@link #AFTER_READY_MODEL} under {@link #AFTER_READY_CLIENTS} clients over HTTP
   * binary from the moment {@code /v2/health/ready} answers 200, for {@link #AFTER_READY_WINDOWS}
   * windows of {@code --duration} each, with no warm-up. With {@code --warmup 0} (the tests' tiny
   * runs) one round, and the warm-up limited to a second.
   */
  private void afterReady(Path repository) throws Exception {
    boolean tiny = options.warmup().isZero();
    int rounds = tiny ? 1 : AFTER_READY_ROUNDS;
    int warmupSecs = tiny ? 1 : AFTER_READY_WARMUP_SECS;
    String model = AFTER_READY_MODEL;
    double window = LoadtestCommand.seconds(options.duration());
    out.println("first windows after ready (" + model + ", " + AFTER_READY_CLIENTS + " clients, HTTP binary, "
        + AFTER_READY_WINDOWS + " windows of " + Report.number(window) + " s, no warm-up; each gateway a new JVM)");
    out.printf("%-26s %14s", "request-path warm-up", "ready after s");
    for (int w = 1; w <= AFTER_READY_WINDOWS; w++) {
      out.printf(" %16s", "window " + w + " req/s");
    }
    out.printf(" %14s%n", "p50 ms, 1st");
    List<String> java = GatewayProcess.javaCommand(options.gatewayJavaOptions());
    settingGatewayCommand(java);
    double[] firstWindow = new double[2];
    for (int round = 1; round <= rounds; round++) {
      for (int on = 0; on <= 1; on++) {
        int secs = on == 1 ? warmupSecs : 0;
        List<String> flags = new ArrayList<>(options.gatewayFlags());
        flags.addAll(List.of("--request-path-warmup-secs", Integer.toString(secs)));
        long started = System.nanoTime();
        List<LevelResult> windows = new ArrayList<>();
        double readyAfter;
        try (GatewayProcess gateway = GatewayProcess.start(java, Optional.empty(), List.of(), repository, flags)) {
          readyAfter = (System.nanoTime() - started) / 1e9;
          try (InferenceClient client = InferenceClients.connect(gateway.http(),
              settings(model, Protocol.HTTP_BINARY, Map.of(), AFTER_READY_CLIENTS), meter)) {
            LoadGenerator generator = new LoadGenerator(client, meter);
            for (int w = 0; w < AFTER_READY_WINDOWS; w++) {
              windows.add(generator.run(LoadSpec.closed(AFTER_READY_CLIENTS, Duration.ZERO, options.duration())));
            }
          }
        }
        String label = secs == 0 ? "off" : secs + " s";
        out.printf("%-26s %14s", label + ", round " + round, Report.number(readyAfter));
        List<String> rates = new ArrayList<>();
        for (LevelResult result : windows) {
          out.printf(" %16s", Report.number(result.throughputRps()));
          rates.add(Report.number(result.throughputRps()));
        }
        double p50 = windows.get(0).latency().p50() / 1000.0;
        out.printf(" %14s%n", Report.number(p50));
        firstWindow[on] += windows.get(0).throughputRps() / rounds;
        report.setting("after_ready_" + (secs == 0 ? "off" : "on") + "_round" + round,
            "ready after " + Report.number(readyAfter) + " s; req/s by window " + String.join(" ", rates)
                + "; p50 of the first " + Report.number(p50) + " ms");
      }
    }
    report.setting("after_ready_warmup_secs", warmupSecs);
    report.ratio("after_ready_first_window_warmup_vs_off",
        firstWindow[0] > 0 ? Report.round(firstWindow[1] / firstWindow[0]) : null);
    report.note("coldstart after ready: a new gateway process per row, with --request-path-warmup-secs 0 (off) "
        + "or the seconds shown, off and on in turn; ready after = from the process's start until "
        + "/v2/health/ready answered 200; then closed-loop windows with no warm-up; "
        + "after_ready_first_window_warmup_vs_off = the first window's requests/s with the warm-up over without it");
    out.println();
  }

  /** One cold start of {@code model}: load through the repository API, one request, unload. */
  private List<String> coldStart(RunningGateway gateway, String model,
      java.util.concurrent.ConcurrentLinkedQueue<Object[]> phases) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String base = "http://127.0.0.1:" + gateway.gateway.httpPort() + "/v2/repository/models/" + model;
    phases.clear();
    long started = System.nanoTime();
    HttpResponse<String> load = post(http, base + "/load");
    long loaded = System.nanoTime();
    if (load.statusCode() != 200) {
      throw new Unavailable("coldstart cannot run: loading " + model + " answered " + load.statusCode() + " "
          + load.body() + ". Nothing was measured.");
    }
    Object[] logged = phases.peek();
    String load0 = logged == null ? "-" : String.valueOf(logged[3]);
    String warm0 = logged == null ? "-" : String.valueOf(logged[4]);
    if (!COLDSTART_SHAPES.containsKey(model)) {
      // A generative model's first answer needs its key/value cache inputs: its load alone is measured.
      post(http, base + "/unload");
      return List.of(load0, warm0, "-", Long.toString((loaded - started) / 1_000_000));
    }
    String[] answer = new String[1];
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    long firstSent;
    try (InferenceClient client = InferenceClients.connect(gateway.http(),
        settings(model, Protocol.HTTP_BINARY, COLDSTART_SHAPES.get(model), 1), meter)) {
      firstSent = System.nanoTime();
      client.infer(0, error -> {
        answer[0] = error;
        done.countDown();
      });
      if (!done.await(2, TimeUnit.MINUTES)) {
        throw new Unavailable("coldstart: " + model + " did not answer its first request in 2 minutes");
      }
    }
    long answered = System.nanoTime();
    if (answer[0] != null) {
      throw new Unavailable("coldstart: " + model + "'s first request failed: " + answer[0]);
    }
    post(http, base + "/unload");
    return List.of(load0, warm0,
        Long.toString((answered - firstSent) / 1_000_000), Long.toString((loaded - started + answered - firstSent) / 1_000_000));
  }

  private Report hotswap(Path repository) throws Exception {
    String model = "recommender_mlp";
    start("hotswap", model, "open loop at half capacity while version 2 is loaded and swapped in");
    // Loading through the repository API needs Triton's explicit model control mode.
    try (RunningGateway gateway = startGateway(repository, List.of("--model-control-mode", "explicit"))) {
      note(gateway);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      String base = "http://127.0.0.1:" + gateway.gateway.httpPort();
      HttpResponse<String> first = post(http, base + "/v2/repository/models/" + model + "/load");
      if (first.statusCode() != 200) {
        throw new Unavailable("hotswap cannot run: loading " + model + " through the repository API answered "
            + first.statusCode() + " " + first.body() + ". Nothing was measured.");
      }
      Path versionTwo = repository.resolve(model).resolve("2");
      Files.createDirectories(versionTwo);
      Files.copy(modelFile(repository, model), versionTwo.resolve("model.onnx"));

      ClientSettings settings = settings(model, Protocol.HTTP_BINARY, Map.of(), 64);
      // Capacity as the overload scenario measures it (closed-loop windows until throughput stops
      // rising, their median), without its open-loop search: one window right after start-up would
      // catch the JIT half-way and put the swap under a load unlike the one it is meant to see.
      CapacityProbe.Result probed = probeCapacity(gateway.http(), settings, 64,
          CapacityProbe.Settings.of(options.warmup(), options.duration(), 0).closedOnly());
      try (InferenceClient client = InferenceClients.connect(gateway.http(), settings, meter)) {
        LoadGenerator generator = new LoadGenerator(client, meter);
        double rate = Math.max(1, probed.capacityRps() / 2);
        Duration phase = options.duration().compareTo(Duration.ofSeconds(3)) < 0 ? Duration.ofSeconds(3)
            : options.duration();
        LoadGenerator.Phases phases = new LoadGenerator.Phases(3);
        long[] swapNanos = {0};
        String[] swapAnswer = {"not attempted"};
        Thread swapper = new Thread(() -> {
          try {
            Thread.sleep(options.warmup().plus(phase).toMillis());
            long t0 = System.nanoTime();
            phases.advance();
            HttpResponse<String> load = post(http, base + "/v2/repository/models/" + model + "/load");
            swapNanos[0] = System.nanoTime() - t0;
            swapAnswer[0] = load.statusCode() + (load.statusCode() == 200 ? "" : " " + load.body());
            phases.advance();
          } catch (IOException e) {
            swapAnswer[0] = "failed: " + e.getMessage();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }, "neutrino-bench-swap");
        swapper.start();
        List<LevelResult> results = generator.run(LoadSpec.open(rate, LoadSpec.Distribution.POISSON,
            options.warmup(), phase.multipliedBy(3)), phases);
        swapper.join(TimeUnit.MINUTES.toMillis(2));
        String[] names = {"before", "during", "after"};
        List<Report.Run> runs = new ArrayList<>(sampleRuns(Report.GATEWAY_HTTP_BINARY, probed));
        int swapRuns = runs.size();
        for (int i = 0; i < results.size(); i++) {
          runs.add(new Report.Run(Report.GATEWAY_HTTP_BINARY, results.get(i), null, names[i]));
        }
        runs.forEach(report::add);
        print(Report.GATEWAY_HTTP_BINARY + " (" + model + "): capacity at concurrency 64 = " + capacitySummary(probed),
            runs.subList(0, swapRuns));
        print(Report.GATEWAY_HTTP_BINARY + " (" + model + "): half of it while version 2 is swapped in",
            runs.subList(swapRuns, runs.size()));
        long errors = results.stream().mapToLong(LevelResult::errorCount).sum();
        report.ratio("hotswap_errors", errors);
        report.ratio("hotswap_load_answer", swapAnswer[0]);
        report.ratio("hotswap_load_seconds", Report.round(swapNanos[0] / 1e9));
        for (int i = 0; i < results.size(); i++) {
          report.ratio("p99_us_" + names[i], results.get(i).latency().p99());
        }
        report.ratio("rate_rps", Report.round(rate));
        report.ratio("hotswap_capacity_rps", Report.round(probed.capacityRps()));
        report.ratio("hotswap_capacity_spread", Report.round(probed.spread()));
        report.ratio("hotswap_warmup_settled", probed.warmupSettled());
        report.note("hotswap: the during phase runs from the load request to its answer; errors must be 0");
      }
    }
    return report;
  }

  private static HttpResponse<String> post(HttpClient http, String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString("{}"))
        .header("Content-Type", "application/json").timeout(Duration.ofMinutes(2)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  // ---------------------------------------------------------------------------------------------
  // Targets

  private void sweep(String target, Endpoint endpoint, Protocol protocol, String model, Map<String, long[]> shapes,
      List<LoadSpec> levels) throws IOException {
    int connections = levels.stream().mapToInt(LoadSpec::concurrency).max().orElse(1);
    try (InferenceClient client = InferenceClients.connect(endpoint, settings(model, protocol, shapes, connections),
        meter)) {
      runLevels(target, model, client, levels);
    }
  }

  /**
   * One client on each protocol in turn, before any of them is measured, so that every protocol's path
   * is compiled in the gateway and in the generator. The generator's gRPC client runs on Vert.x's HTTP
   * client, which nothing else in the overhead scenario uses since HTTP/1.1 load has a client of its
   * own: after its own warm-up alone (3 s at one client) the gateway's gRPC p50 measured 168 us, and
   * 103 us after 10 s, with the gateway the same.
   */
  private void warmEveryProtocol(RunningGateway gateway, String model, Map<String, long[]> shapes)
      throws IOException {
    if (options.warmup().isZero()) {
      return; // --warmup 0: no warm-up at all (the tests' tiny runs)
    }
    Duration each = options.warmup().plus(FIRST_WARMUP_EXTRA);
    out.println("warming up every protocol at concurrency 1 for " + Report.number(LoadtestCommand.seconds(each))
        + " s each...");
    out.flush();
    for (Protocol protocol : Protocol.values()) {
      Endpoint endpoint = endpoint(protocol, gateway.http(), gateway.grpc());
      if (endpoint == null) {
        continue; // no gRPC port
      }
      try (InferenceClient client = InferenceClients.connect(endpoint, settings(model, protocol, shapes, 1), meter)) {
        new LoadGenerator(client, meter).run(LoadSpec.closed(1, Duration.ZERO, each));
      }
    }
  }

  /**
   * Warms the gateway's request path before a scenario measures a model on it: identity_fp32 (1x16),
   * which the gateway serves tens of thousands of times a second, over each protocol in turn under a
   * closed loop of {@link #REQUEST_PATH_CLIENTS} clients, in rounds until the JIT compilers are quiet
   * ({@link JitSettling}). A heavy model is served about a thousand times a second, so its own warm-up
   * brings the code every request shares (the codecs, the batcher, the futures) to the compilers'
   * thresholds only over tens of seconds, and meanwhile a compiler thread takes a third to a half of a
   * core from the model. On 2 vCPUs, text_encoder answered 590 requests/s over the 20 s after a cold
   * start and 827 after 16 s of this warm-up. Skipped with {@code --warmup 0}.
   */
  private void warmRequestPath(RunningGateway gateway) throws IOException {
    if (options.warmup().isZero()) {
      return;
    }
    String model = "identity_fp32";
    Map<String, long[]> shapes = Map.of("INPUT0", new long[] {1, 16});
    List<InferenceClient> clients = new ArrayList<>();
    try {
      for (Protocol protocol : Protocol.values()) {
        Endpoint endpoint = endpoint(protocol, gateway.http(), gateway.grpc());
        if (endpoint != null) {
          clients.add(InferenceClients.connect(endpoint, settings(model, protocol, shapes, REQUEST_PATH_CLIENTS),
              meter));
        }
      }
      Duration first = options.warmup().plus(FIRST_WARMUP_EXTRA);
      out.println("warming up the gateway's request path: " + model + " over every protocol at concurrency "
          + REQUEST_PATH_CLIENTS + ", " + Report.number(LoadtestCommand.seconds(first)) + " s each, then rounds of "
          + JIT_ROUND.toSeconds() + " s each until the JIT compilers are quiet...");
      out.flush();
      JitSettling.Result jit = JitSettling.warm(round -> eachClient(clients, round == 1 ? first : JIT_ROUND),
          CpuProfiler::jitCpuNanos, System::nanoTime, JitSettling.MAX_EXTRA_ROUNDS,
          JitSettling.WhenUnreadable.WARM_UP_ONLY);
      reportJit("request path", jit);
    } finally {
      clients.forEach(InferenceClient::close);
    }
  }

  private void eachClient(List<InferenceClient> clients, Duration length) {
    for (InferenceClient client : clients) {
      new LoadGenerator(client, meter).run(LoadSpec.closed(REQUEST_PATH_CLIENTS, Duration.ZERO, length));
    }
  }

  /** Prints how a warm-up left the JIT compilers, and keeps it in the report's {@code warmup_jit} setting. */
  private void reportJit(String target, JitSettling.Result jit) {
    if (jit.shares().isEmpty()) {
      return; // the compilers' CPU cannot be read here
    }
    List<Long> percents = jit.shares().stream().map(share -> Math.round(100 * share)).toList();
    out.println("  JIT compilers, % of a core by round: " + percents + (jit.settled() ? ", settled"
        : ", not settled after " + jit.extraRounds() + " more rounds of " + JIT_ROUND.toSeconds() + " s"));
    out.flush();
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("share_by_round", jit.shares().stream().map(Report::round).toList());
    entry.put("settled", jit.settled());
    jitWarmups.put(target, entry);
    report.setting("warmup_jit", jitWarmups);
  }

  private void runLevels(String target, String model, InferenceClient client, List<LoadSpec> levels) {
    LoadGenerator generator = new LoadGenerator(client, meter);
    int top = levels.stream().mapToInt(LoadSpec::concurrency).max().orElse(1);
    warm(generator, target, top);
    out.println(target + " (" + model + ", closed loop)");
    TablePrinter printer = new TablePrinter(false, false, false);
    out.println(printer.header());
    for (LoadSpec level : levels) {
      Report.Run run = new Report.Run(target, generator.run(level));
      report.add(run);
      out.println(printer.row(run));
      out.flush();
    }
    out.println();
  }

  /**
   * A target's first warm-up, discarded: {@link #FIRST_WARMUP_EXTRA} longer than a level's, so that the
   * JIT has compiled the request path (a sequential client sends too few requests in one second), then
   * rounds of {@link #JIT_ROUND} while the JIT compilers are still busy ({@link JitSettling}). The report's
   * {@code warmup_jit} setting says, per target, the compilers' share of each round and whether they
   * settled.
   */
  private void warm(LoadGenerator generator, String target, int concurrency) {
    if (options.warmup().isZero()) {
      return; // --warmup 0: no warm-up at all (the tests' tiny runs)
    }
    warmUntilJitQuiet(generator, target, concurrency, options.warmup().plus(FIRST_WARMUP_EXTRA), "", target,
        CpuProfiler::jitCpuNanos);
  }

  /**
   * A closed loop at {@code concurrency} for {@code first}, then rounds of {@link #JIT_ROUND} while the
   * JIT compilers whose CPU {@code jitNanos} reads are still busy ({@link JitSettling}); reported under
   * {@code jitLabel}.
   *
   * @return the first round's result, and how the compilers' rounds went
   */
  private Warmed warmUntilJitQuiet(LoadGenerator generator, String target, int concurrency, Duration first,
      String where, String jitLabel, LongSupplier jitNanos) {
    LevelResult[] warm = new LevelResult[1];
    JitSettling.Result jit = JitSettling.warm(round -> {
      if (round == 1) {
        warm[0] = warmFor(generator, target, concurrency, first, where);
      } else {
        generator.run(LoadSpec.closed(concurrency, Duration.ZERO, JIT_ROUND));
      }
    }, jitNanos, System::nanoTime, JitSettling.MAX_EXTRA_ROUNDS, JitSettling.WhenUnreadable.WARM_UP_ONLY);
    reportJit(jitLabel, jit);
    return new Warmed(warm[0], jit);
  }

  /** A warm-up's first round, and the JIT compilers' share of a core by round. */
  private record Warmed(LevelResult first, JitSettling.Result jit) {
  }

  /** A closed loop at {@code concurrency} for {@code warmup}, discarded; {@code where} ends its line. */
  private LevelResult warmFor(LoadGenerator generator, String target, int concurrency, Duration warmup, String where) {
    out.println("warming up " + target + " at concurrency " + concurrency + " for "
        + Report.number(LoadtestCommand.seconds(warmup)) + " s" + where + "...");
    out.flush();
    return generator.run(LoadSpec.closed(concurrency, Duration.ZERO, warmup));
  }

  /**
   * Starts the bare transport floor replaying {@code answers} on {@code eventLoops} event loops (the
   * gateway's count), and says so in the report.
   */
  private TransportFloor startFloor(TransportFloor.Answers answers, int eventLoops) throws Exception {
    TransportFloor floor = TransportFloor.start(answers, eventLoops);
    report.setting("transport_floor", "bare Vert.x servers in this JVM, " + eventLoops + " event loop(s) as the "
        + "gateway, replaying " + answers.model() + "'s answers: HTTP JSON " + answers.json().body().length
        + " B, HTTP binary " + answers.binary().body().length + " B"
        + (answers.hasGrpc() ? ", gRPC " + answers.grpcInfer().length + " B" : ""));
    out.println("transport floor (" + answers.model() + "'s answers replayed) listening http=" + floor.http()
        + (floor.grpc() == null ? "" : " grpc=" + floor.grpc()));
    out.println();
    return floor;
  }

  /** The bare floor over HTTP binary, then over gRPC when it serves gRPC. */
  private void bareSweeps(TransportFloor floor, String model, Map<String, long[]> shapes, List<LoadSpec> levels)
      throws IOException {
    floorSweeps(floor, UnaryOperator.identity(), model, shapes, levels);
  }

  /**
   * A floor over HTTP binary, then over gRPC when it serves gRPC, each recorded under {@code target} of
   * the bare floor's target ({@link Report#BARE_HTTP_BINARY}, {@link Report#BARE_GRPC}).
   */
  private void floorSweeps(TransportFloor floor, UnaryOperator<String> target, String model,
      Map<String, long[]> shapes, List<LoadSpec> levels) throws IOException {
    sweep(target.apply(Report.BARE_HTTP_BINARY), floor.http(), Protocol.HTTP_BINARY, model, shapes, levels);
    if (floor.grpc() != null) {
      sweep(target.apply(Report.BARE_GRPC), floor.grpc(), Protocol.GRPC, model, shapes, levels);
    }
  }

  private void grpcSweep(RunningGateway gateway, String model, Map<String, long[]> shapes, List<LoadSpec> levels)
      throws IOException {
    if (gateway.grpc() == null) {
      String why = "the gateway serves no gRPC port";
      out.println(Report.GATEWAY_GRPC + ": skipped; " + why);
      out.println();
      report.note(Report.GATEWAY_GRPC + " skipped: " + why);
      return;
    }
    sweep(Report.GATEWAY_GRPC, gateway.grpc(), Protocol.GRPC, model, shapes, levels);
  }

  /** The naive server over HTTP binary, started by {@link #startNaive}. */
  private void naiveSweep(Path repository, String model, Map<String, long[]> shapes, List<LoadSpec> levels,
      int workers) throws Exception {
    try (NaiveServer naive = startNaive(repository, model, shapes, levels, workers)) {
      sweep(Report.NAIVE_HTTP, naiveEndpoint(naive), Protocol.HTTP_BINARY, model, shapes, levels);
    }
  }

  /**
   * Starts the naive server for a sweep of {@code levels}, and says its layout in the report.
   *
   * @param workers its worker threads; 0 tries a few layouts at the highest level first and keeps
   *     the one with the most throughput
   */
  private NaiveServer startNaive(Path repository, String model, Map<String, long[]> shapes, List<LoadSpec> levels,
      int workers) throws Exception {
    int top = levels.stream().mapToInt(LoadSpec::concurrency).max().orElse(1);
    int[] layout = {workers > 0 ? workers : options.naiveWorkers(), 1};
    if (layout[0] <= 0) {
      layout = calibrateNaive(repository, model, shapes, Math.min(top, 32));
    }
    report.setting("naive_server", layout[0] + " worker threads, " + layout[1] + " ONNX Runtime thread(s) per run");
    return NaiveServer.start(modelFile(repository, model), model, layout[0], layout[1]);
  }

  private static Endpoint naiveEndpoint(NaiveServer naive) {
    return Endpoint.http("127.0.0.1", naive.port());
  }

  /** Tries worker and intra-op thread counts a competent user would try; returns the best {workers, threads}. */
  private int[] calibrateNaive(Path repository, String model, Map<String, long[]> shapes, int concurrency)
      throws Exception {
    List<int[]> candidates = new ArrayList<>();
    candidates.add(new int[] {cores, 1});
    candidates.add(new int[] {2 * cores, 1});
    candidates.add(new int[] {4 * cores, 1});
    if (cores > 1) {
      candidates.add(new int[] {cores, cores});
    }
    out.println("naive server: trying worker layouts at concurrency " + concurrency + "...");
    int[] best = candidates.get(0);
    double bestRps = -1;
    Map<String, Object> tried = new LinkedHashMap<>();
    Duration probe = Duration.ofMillis(Math.max(Math.min(1000, options.duration().toMillis()),
        options.limitDuration().toMillis()));
    for (int[] candidate : candidates) {
      try (NaiveServer naive = NaiveServer.start(modelFile(repository, model), model, candidate[0], candidate[1]);
          InferenceClient client = InferenceClients.connect(Endpoint.http("127.0.0.1", naive.port()),
              settings(model, Protocol.HTTP_BINARY, shapes, concurrency), meter)) {
        // The first layout also warms the JIT up for the naive path, so that it is not measured cold.
        Duration warmup = candidate == candidates.get(0) && !options.warmup().isZero()
            ? options.warmup().plus(FIRST_WARMUP_EXTRA) : options.warmup();
        LevelResult r = new LoadGenerator(client, meter).run(LoadSpec.closed(concurrency, warmup, probe));
        String label = candidate[0] + " workers x " + candidate[1] + " thread(s)";
        tried.put(label, Report.round(r.throughputRps()));
        out.println("  " + label + ": " + Report.number(r.throughputRps()) + " rps, p99 " + r.latency().p99() + " us");
        if (r.throughputRps() > bestRps) {
          bestRps = r.throughputRps();
          best = candidate;
        }
      }
    }
    report.setting("naive_calibration_rps", tried);
    return best;
  }

  /** The limit's best run and where it came from. */
  private record LimitResult(Report.Run best, InProcessLimit.Layout layout, List<TensorData> row) {}

  /**
   * The gateway at level {@code top} over HTTP binary against the in-process limit's best layout and
   * batch size, measured in turn: {@value #PAIRED_ROUNDS} rounds of one window of the gateway (the
   * level's warm-up and duration), then one of the limit (as long, after a warm-up of at most 0.5 s).
   *
   * @return the gateway's requests/s over the limit's rows/s, each over its windows' time
   */
  private double pairedLimit(Endpoint gateway, Path repository, String model, LoadSpec top, LimitResult limit)
      throws Exception {
    int batch = limit.best().batchSize() == null ? 1 : limit.best().batchSize();
    Duration warmup = Duration.ofMillis(Math.min(500, options.warmup().toMillis()));
    out.println("gateway-http-binary at concurrency " + top.concurrency() + " against " + Report.IN_PROCESS + " ("
        + limit.layout() + ", batch " + batch + "), in turn (" + PAIRED_ROUNDS + " rounds)");
    InTurn turns;
    try (InferenceClient client = InferenceClients.connect(gateway,
            settings(model, Protocol.HTTP_BINARY, Map.of(), top.concurrency()), meter);
        InProcessLimit inProcess = InProcessLimit.load(OnnxRuntimeBackend.create(), modelFile(repository, model),
            limit.layout())) {
      LoadGenerator load = new LoadGenerator(client, meter);
      turns = inTurn(() -> load.run(top), () -> inProcess.measure(limit.row(), batch, warmup, top.duration()));
    }
    out.println("  gateway " + turns.first() + " req/s, limit " + turns.second() + " rows/s: "
        + HtmlReport.format(Report.round(turns.ratio())));
    out.println();
    return turns.ratio();
  }

  /**
   * Two targets measured in turn ({@link #paired}, {@link #pairedLimit}).
   *
   * @param ratio the first's answers per second over the second's, each over its windows' time
   * @param first the first's throughput in each round, as printed
   * @param second the second's
   */
  private record InTurn(double ratio, String first, String second) {}

  /** {@value #PAIRED_ROUNDS} rounds of one window of {@code first}, then one of {@code second}. */
  private static InTurn inTurn(Supplier<LevelResult> first, Supplier<LevelResult> second) {
    List<Supplier<LevelResult>> targets = List.of(first, second);
    double[] done = new double[2];
    double[] seconds = new double[2];
    List<StringBuilder> rounds = List.of(new StringBuilder(), new StringBuilder());
    for (int round = 0; round < PAIRED_ROUNDS; round++) {
      for (int i = 0; i < 2; i++) {
        LevelResult r = targets.get(i).get();
        done[i] += r.ok();
        seconds[i] += r.durationSeconds();
        rounds.get(i).append(round == 0 ? "" : " / ").append(Report.number(r.throughputRps()));
      }
    }
    double ratio = seconds[0] > 0 && seconds[1] > 0 && done[1] > 0 ? (done[0] / seconds[0]) / (done[1] / seconds[1])
        : 0;
    return new InTurn(ratio, rounds.get(0).toString(), rounds.get(1).toString());
  }

  /**
   * Measures the limit on each layout and batch size, adds the best layout's runs to the report and
   * prints every layout.
   */
  private LimitResult limit(Path repository, String model, Map<String, long[]> shapes, List<Integer> batches,
      List<InProcessLimit.Layout> layouts, Duration duration) throws Exception {
    Backend backend = OnnxRuntimeBackend.create();
    List<TensorData> row = null;
    Report.Run best = null;
    InProcessLimit.Layout bestLayout = null;
    List<Report.Run> bestRuns = null;
    Map<String, Object> byLayout = new LinkedHashMap<>();
    for (InProcessLimit.Layout layout : layouts) {
      try (InProcessLimit limit = InProcessLimit.load(backend, modelFile(repository, model), layout)) {
        if (row == null) {
          row = rowOf(backend, repository, model, shapes);
          report.setting("execution_provider", limit.device());
        }
        List<Integer> sizes = limit.batchable() ? batches : List.of(1);
        Duration warmup = Duration.ofMillis(Math.min(500, options.warmup().toMillis()));
        out.println(Report.IN_PROCESS + " (" + model + ", " + layout + ", back-to-back batches)");
        TablePrinter printer = new TablePrinter(false, true, false);
        out.println(printer.header());
        List<Report.Run> runs = new ArrayList<>();
        if (!warmup.isZero()) {
          limit.measure(row, sizes.get(sizes.size() - 1), Duration.ZERO, warmup); // first runs, discarded
        }
        for (int batch : sizes) {
          Report.Run run = new Report.Run(Report.IN_PROCESS, limit.measure(row, batch, warmup, duration), batch, null);
          runs.add(run);
          out.println(printer.row(run));
          out.flush();
        }
        out.println();
        Report.Run layoutBest = runs.stream().max(Comparator.comparingDouble(r -> r.result().throughputRps()))
            .orElseThrow();
        byLayout.put(layout.toString(), Report.round(layoutBest.result().throughputRps()));
        if (best == null || layoutBest.result().throughputRps() > best.result().throughputRps()) {
          best = layoutBest;
          bestLayout = layout;
          bestRuns = runs;
        }
      }
    }
    bestRuns.forEach(report::add);
    report.setting("limit_layout", bestLayout.toString());
    if (layouts.size() > 1) {
      report.setting("limit_rows_per_s_by_layout", byLayout);
    }
    return new LimitResult(best, bestLayout, row);
  }

  private List<TensorData> rowOf(Backend backend, Path repository, String model, Map<String, long[]> shapes)
      throws Exception {
    try (LoadedModel loaded = backend.load(modelFile(repository, model), dev.neutrino.runtime.LoadOptions.cpu(1))) {
      ModelMetadata metadata = new ModelMetadata(model, List.of("1"), backend.platform(), loaded.inputs(),
          loaded.outputs());
      return InputData.prepare(metadata, new InputData.Random(1), shapes, 1).get(0);
    }
  }

  /** Records the headline ratios every scenario has: gateway against limit and against naive, by throughput. */
  private void headline(LimitResult limit) {
    Report.Run gateway = null;
    for (String target : List.of(Report.GATEWAY_HTTP_JSON, Report.GATEWAY_HTTP_BINARY, Report.GATEWAY_GRPC)) {
      Report.Run r = best(target);
      if (r != null && (gateway == null || r.result().throughputRps() > gateway.result().throughputRps())) {
        gateway = r;
      }
    }
    Report.Run naive = best(Report.NAIVE_HTTP);
    double g = gateway.result().throughputRps();
    double l = limit.best().result().throughputRps();
    double n = naive == null ? 0 : naive.result().throughputRps();
    report.ratio("gateway_vs_limit", l > 0 ? Report.round(g / l) : null);
    report.ratio("gateway_vs_naive", n > 0 ? Report.round(g / n) : null);
    report.ratio("gateway_target", gateway.target());
    report.ratio("gateway_rps", Report.round(g));
    report.ratio("gateway_concurrency", gateway.result().spec().concurrency());
    report.ratio("gateway_p99_us", gateway.result().latency().p99());
    report.ratio("limit_rps", Report.round(l));
    report.ratio("limit_batch_size", limit.best().batchSize());
    report.ratio("limit_layout", limit.layout().toString());
    report.ratio("naive_rps", Report.round(n));
    report.ratio("naive_concurrency", naive == null ? null : naive.result().spec().concurrency());
    report.ratio("naive_p99_us", naive == null ? null : naive.result().latency().p99());
  }

  private Report.Run best(String target) {
    return report.runsOf(target).stream().max(Comparator.comparingDouble(r -> r.result().throughputRps()))
        .orElse(null);
  }

  private Report.Run at(String target, int concurrency) {
    return report.runsOf(target).stream()
        .filter(r -> r.result().spec().mode() == LoadSpec.Mode.CLOSED && r.result().spec().concurrency() == concurrency)
        .findFirst().orElse(null);
  }

  // ---------------------------------------------------------------------------------------------
  // Set-up

  private void start(String scenario, String model, String what) {
    Map<String, Object> machine = MachineInfo.collect("cpu");
    report = new Report("neutrino bench " + scenario + ": " + model, scenario, model, machine);
    report.setting("warmup_s", LoadtestCommand.seconds(options.warmup()));
    report.setting("duration_s", LoadtestCommand.seconds(options.duration()));
    report.setting("limit_duration_s", LoadtestCommand.seconds(options.limitDuration()));
    report.setting("client_event_loops", options.clientThreads());
    report.setting("protocol_naive", Protocol.HTTP_BINARY.flagName());
    report.note(what);
    report.note("the load generator, the gateway, the naive server and the in-process limit run in one JVM on the "
        + "same " + cores + " cores, one target at a time: the generator takes CPU from the server it measures "
        + "(its share is the gen cpu column); compare targets within this run, not with another machine");
    report.note("in-process rows: requests and throughput count rows (one row = one gateway request); latency "
        + "is per call of batch_size rows; srv batch = batch size, compute us = mean call");
    out.println("== neutrino bench " + scenario + " (" + model + ") ==");
    out.println("machine: " + MachineInfo.describe(machine));
    out.println("note: generator and servers share these " + cores + " cores and this JVM; figures compare "
        + "within this run");
    out.println();
  }

  /**
   * Starts the gateway under test: the defaults of {@code neutrino serve}, the bench's free ports and
   * repository, then {@code extra} and the user's {@code --gateway-flags}.
   *
   * @throws IllegalArgumentException when the gateway does not know a flag
   */
  private RunningGateway startGateway(Path repository, List<String> extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("--http-port", "0", "--grpc-port", "0", "--metrics-port", "0",
        "--model-repository", repository.toString()));
    args.addAll(extra);
    args.addAll(options.gatewayFlags());
    GatewayConfig config;
    try {
      config = GatewayConfig.fromArgs(args.toArray(String[]::new));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the gateway's configuration: " + e.getMessage(), e);
    }
    report.setting("gateway_flags", options.gatewayFlags().isEmpty() ? "(defaults)"
        : String.join(" ", options.gatewayFlags()));
    return RunningGateway.start(config);
  }

  /** The report's {@code gateway_command}: how the bench runs a gateway of its own, JVM options included. */
  private void settingGatewayCommand(List<String> java) {
    report.setting("gateway_command", String.join(" ", java.subList(1, java.size())).replaceAll(
        "-cp \\S+", "-cp (this JVM's class path)"));
  }

  private void note(RunningGateway gateway) {
    out.println("gateway listening http=" + gateway.http() + (gateway.grpc() == null ? "" : " grpc=" + gateway.grpc()));
    out.println();
  }

  private ClientSettings settings(String model, Protocol protocol, Map<String, long[]> shapes, int connections) {
    return new ClientSettings(model, "", protocol, new InputData.Random(1), shapes, 1, Math.max(1, connections),
        ClientSettings.Http.HTTP1, ClientSettings.DEFAULT_TIMEOUT, options.clientThreads());
  }

  private void print(String title, List<Report.Run> runs) {
    out.println(title);
    out.print(TablePrinter.forRuns(runs).table(runs));
    out.println();
  }

  /** The two largest of {@link #batchSizes}: where the limit's throughput peaks. */
  private static List<Integer> topBatchSizes(int maxBatch) {
    List<Integer> all = batchSizes(maxBatch);
    return all.subList(Math.max(0, all.size() - 2), all.size());
  }

  private static List<Integer> batchSizes(int maxBatch) {
    List<Integer> sizes = new ArrayList<>();
    for (int b = 1; b < maxBatch; b *= 2) {
      sizes.add(b);
    }
    sizes.add(Math.max(1, maxBatch));
    return sizes;
  }

  private List<InProcessLimit.Layout> layouts() {
    return cores > 1
        ? List.of(new InProcessLimit.Layout(1, cores), new InProcessLimit.Layout(cores, 1))
        : List.of(new InProcessLimit.Layout(1, 1));
  }

  static Path modelFile(Path repository, String model) {
    return repository.resolve(model).resolve("1").resolve("model.onnx");
  }

  private static void deleteRecursively(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // A temporary folder: what remains is removed with the system's temporary files.
        }
      });
    } catch (IOException e) {
      // As above.
    }
  }

  /** A gateway started in this JVM on free loopback ports, stopped on close. */
  private static final class RunningGateway implements AutoCloseable {
    final Gateway gateway;
    private final int eventLoops;

    private RunningGateway(Gateway gateway, int eventLoops) {
      this.gateway = gateway;
      this.eventLoops = eventLoops;
    }

    static RunningGateway start(GatewayConfig config) throws Exception {
      Gateway gateway = Gateway.create(config);
      try {
        gateway.start().toCompletionStage().toCompletableFuture().get(3, TimeUnit.MINUTES);
      } catch (Exception e) {
        gateway.stop();
        throw e;
      }
      return new RunningGateway(gateway,
          config.eventLoops() > 0 ? config.eventLoops() : Runtime.getRuntime().availableProcessors());
    }

    /** The gateway's event loops, as it counts them ({@code --event-loops}, else one per core). */
    int eventLoops() {
      return eventLoops;
    }

    Endpoint http() {
      return Endpoint.http("127.0.0.1", gateway.httpPort());
    }

    /** The gRPC endpoint, or null when this gateway serves none. */
    Endpoint grpc() {
      int port = gateway.grpcPort();
      return port > 0 ? Endpoint.grpc("127.0.0.1", port) : null;
    }

    int maxBatchSize(String model) {
      ModelVersion version = gateway.repository().find(model, null);
      return version.config().maxBatchSize();
    }

    @Override
    public void close() throws java.util.concurrent.ExecutionException, java.util.concurrent.TimeoutException {
      try {
        gateway.stop().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
