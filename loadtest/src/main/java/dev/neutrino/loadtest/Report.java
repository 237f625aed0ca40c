package dev.neutrino.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The figures of one {@code loadtest} or {@code bench} invocation: the machine, every run (one
 * target at one level), and the headline ratios. Writes itself as JSON with the field names of
 * BENCHMARKS.md.
 */
final class Report {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Targets, in the order reports list them. */
  static final String GATEWAY_HTTP_JSON = "gateway-http-json";
  static final String GATEWAY_HTTP_BINARY = "gateway-http-binary";
  static final String GATEWAY_GRPC = "gateway-grpc";
  /** The gateway over HTTP binary with a latency target set on the model (the overload scenario). */
  static final String GATEWAY_HTTP_BINARY_LATENCY_TARGET = "gateway-http-binary-latency-target";
  /** The gateway answering the do-nothing model of the http-floor scenario. */
  static final String FLOOR_HTTP_BINARY = "gateway-http-binary-floor";
  static final String FLOOR_GRPC = "gateway-grpc-floor";
  /** The bare transport floor ({@link TransportFloor}): a gateway's answers replayed, no gateway behind them. */
  static final String BARE_HTTP_JSON = "floor-http-json";
  static final String BARE_HTTP_BINARY = "floor-http-binary";
  static final String BARE_GRPC = "floor-grpc";
  /** The transport floor whose answers make the gateway's round trip to another thread ({@link TransportFloor}). */
  static final String HAND_OFF_HTTP_JSON = handOffOf(BARE_HTTP_JSON);
  static final String HAND_OFF_HTTP_BINARY = handOffOf(BARE_HTTP_BINARY);
  static final String HAND_OFF_GRPC = handOffOf(BARE_GRPC);
  static final String NAIVE_HTTP = "naive-http";
  static final String IN_PROCESS = "in-process";

  /**
   * One target at one level.
   *
   * @param target which server and protocol ({@code gateway-http-binary}, {@code naive-http}, ...)
   * @param batchSize rows per call, for the in-process limit; null for network targets
   * @param phase the part of a phased run ({@code before}, {@code during}, {@code after}); null otherwise
   */
  record Run(String target, LevelResult result, Integer batchSize, String phase) {
    Run {
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(result, "result");
    }

    Run(String target, LevelResult result) {
      this(target, result, null, null);
    }
  }

  /**
   * A part of the page a scenario adds after its runs, such as the profile's per-stage table and flame
   * graphs: well-formed XHTML without scripts or external resources (it is inserted as it is).
   */
  record Section(String title, String xhtml) {
    Section {
      Objects.requireNonNull(title, "title");
      Objects.requireNonNull(xhtml, "xhtml");
    }
  }

  private final String title;
  private final String scenario;
  private final String model;
  private final Map<String, Object> machine;
  private final Map<String, Object> settings = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private final List<Run> runs = new ArrayList<>();
  private final Map<String, Object> ratios = new LinkedHashMap<>();
  private final List<Section> sections = new ArrayList<>();

  /**
   * @param scenario the bench scenario, or null for a plain loadtest
   */
  Report(String title, String scenario, String model, Map<String, Object> machine) {
    this.title = title;
    this.scenario = scenario;
    this.model = model;
    this.machine = new LinkedHashMap<>(machine);
  }

  String title() {
    return title;
  }

  String scenario() {
    return scenario;
  }

  String model() {
    return model;
  }

  Map<String, Object> machine() {
    return Collections.unmodifiableMap(machine);
  }

  void setting(String key, Object value) {
    settings.put(key, value);
  }

  Map<String, Object> settings() {
    return Collections.unmodifiableMap(settings);
  }

  void note(String note) {
    notes.add(note);
  }

  List<String> notes() {
    return Collections.unmodifiableList(notes);
  }

  void add(Run run) {
    runs.add(run);
  }

  List<Run> runs() {
    return Collections.unmodifiableList(runs);
  }

  void ratio(String key, Object value) {
    ratios.put(key, value);
  }

  Map<String, Object> ratios() {
    return Collections.unmodifiableMap(ratios);
  }

  /** Adds a part to this report's page, after its runs. */
  void section(Section section) {
    sections.add(Objects.requireNonNull(section, "section"));
  }

  List<Section> sections() {
    return Collections.unmodifiableList(sections);
  }

  /** Targets present, in order of first appearance. */
  List<String> targets() {
    Set<String> targets = new LinkedHashSet<>();
    runs.forEach(r -> targets.add(r.target()));
    return List.copyOf(targets);
  }

  List<Run> runsOf(String target) {
    return runs.stream().filter(r -> r.target().equals(target)).toList();
  }

  // ---------------------------------------------------------------------------------------------
  // JSON

  Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    if (scenario != null) {
      json.put("scenario", scenario);
    }
    json.put("model", model);
    json.put("machine", machine);
    json.put("settings", settings);
    json.put("notes", notes);
    List<Object> list = new ArrayList<>();
    runs.forEach(r -> list.add(runJson(r)));
    json.put("runs", list);
    json.put("ratios", ratios);
    return json;
  }

  static Map<String, Object> runJson(Run run) {
    LevelResult r = run.result();
    LoadSpec spec = r.spec();
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("target", run.target());
    json.put("mode", spec.mode().label());
    if (spec.mode() == LoadSpec.Mode.CLOSED) {
      json.put("concurrency", spec.concurrency());
    } else {
      json.put("rate", round(spec.rate()));
      json.put("distribution", spec.distribution().name().toLowerCase(Locale.ROOT));
    }
    if (run.batchSize() != null) {
      json.put("batch_size", run.batchSize());
    }
    if (run.phase() != null) {
      json.put("phase", run.phase());
    }
    json.put("duration_s", round(r.durationSeconds()));
    json.put("requests", r.requests());
    json.put("ok", r.ok());
    json.put("errors", r.errors());
    json.put("throughput_rps", round(r.throughputRps()));
    json.put("latency_us", latencyJson(r.latency()));
    if (r.errorCount() > 0) {
      json.put("error_latency_us", latencyJson(r.errorLatency()));
    }
    ServerStats s = r.server();
    json.put("avg_batch_size", s.avgBatchSize() == null ? null : round(s.avgBatchSize()));
    json.put("queue_us_avg", s.queueUsAvg() == null ? null : round(s.queueUsAvg()));
    json.put("compute_us_avg", s.computeUsAvg() == null ? null : round(s.computeUsAvg()));
    json.put("generator_cpu_cores", round(r.generatorCpuCores()));
    json.put("valid", r.valid());
    if (!r.valid()) {
      json.put("invalid_reason", r.invalidReason());
    }
    if (spec.mode() == LoadSpec.Mode.OPEN) {
      json.put("window_s", round(r.windowSeconds()));
      json.put("offered_rps", round(r.offeredRps()));
      json.put("send_lag_us", latencyJson(r.sendLag()));
      json.put("warmup_backlog", r.warmupBacklog());
    }
    return json;
  }

  private static Map<String, Object> latencyJson(LatencySummary l) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("p50", l.p50());
    json.put("p90", l.p90());
    json.put("p99", l.p99());
    json.put("p999", l.p999());
    json.put("max", l.max());
    return json;
  }

  void writeJson(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.write(file, JSON.writeValueAsBytes(toJson()));
  }

  // ---------------------------------------------------------------------------------------------
  // Text

  static String errors(LevelResult r) {
    if (r.errors().isEmpty()) {
      return "-";
    }
    StringBuilder s = new StringBuilder();
    r.errors().forEach((code, count) -> s.append(s.length() == 0 ? "" : " ").append(code).append(':').append(count));
    return s.toString();
  }

  /** The errors column, then the reason when the level is invalid. */
  static String errorsAndValidity(LevelResult r) {
    return r.valid() ? errors(r) : errors(r) + "  INVALID (" + r.invalidReason() + ")";
  }

  static String orNa(Double value) {
    return value == null ? "n/a" : number(value);
  }

  /** A number for people: no decimals from 100 up, one below. */
  static String number(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return "n/a";
    }
    if (Math.abs(value) >= 100 || value == Math.rint(value)) {
      return String.format(Locale.ROOT, "%.0f", value);
    }
    return String.format(Locale.ROOT, "%.1f", value);
  }

  /** The target of the floor with the hand-off beside the bare floor's {@code bareTarget}. */
  static String handOffOf(String bareTarget) {
    return "hand-off-" + bareTarget;
  }

  /** {@link #round}, or null for a figure that does not exist (NaN): a JSON null in the report. */
  static Double roundOrNull(double value) {
    return Double.isNaN(value) ? null : round(value);
  }

  static double round(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return 0;
    }
    return Math.round(value * 100) / 100.0;
  }
}
