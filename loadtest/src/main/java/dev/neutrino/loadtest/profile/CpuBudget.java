package dev.neutrino.loadtest.profile;

import dev.neutrino.loadtest.LatencySummary;
import dev.neutrino.loadtest.LevelResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The CPU one request cost a server, by stage, for one protocol and model under closed-loop load.
 *
 * @param model the model the requests ran
 * @param protocol the protocol's name ({@code http-json}, {@code http-binary}, {@code grpc})
 * @param server the gateway, or the bare transport floor replaying the gateway's answers for the model
 * @param load what the generator measured over the window (requests answered, wall latency)
 * @param attribution the window's CPU by stage, and its samples
 * @param kernelNanos of the server's Java threads' CPU time over the window, the part the kernel spent
 *     for them ({@link CpuSnapshot#kernelSince}): system calls and the work done inside them
 */
public record CpuBudget(String model, String protocol, Server server, LevelResult load, StageAttribution attribution,
    long kernelNanos) {
  /** The label of the row of {@link #kernelUsPerRequest}, in the text and HTML tables. */
  public static final String KERNEL_ROW = "of it in the kernel";

  /** The server a budget measured. */
  public enum Server {
    /** The gateway as it serves. */
    GATEWAY,
    /**
     * The bare transport floor: a Vert.x server on the gateway's transport options that answers the
     * gateway's own answer bytes without decoding anything. What any server built like the gateway
     * pays per request to read it and write its answer.
     */
    FLOOR;

    /** {@code gateway} or {@code floor}, as the tables and the JSON name it. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public CpuBudget {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(load, "load");
    Objects.requireNonNull(attribution, "attribution");
    if (kernelNanos < 0) {
      throw new IllegalArgumentException("kernel time must be >= 0, got " + kernelNanos + " ns");
    }
  }

  /** Requests answered with success in the window. */
  public long requests() {
    return load.ok();
  }

  /** The window's length. */
  public double seconds() {
    return load.durationSeconds();
  }

  /** The successful requests' wall latency in microseconds, as the generator saw it. */
  public LatencySummary latency() {
    return load.latency();
  }

  /** CPU microseconds per answered request spent in {@code stage}; 0 when nothing was answered. */
  public double usPerRequest(Stage stage) {
    return requests() > 0 ? attribution.nanos().get(stage) / 1_000.0 / requests() : 0;
  }

  /** The server's CPU microseconds per answered request, every stage and the unsampled threads together. */
  public double totalUsPerRequest() {
    return requests() > 0 ? attribution.gatewayNanos() / 1_000.0 / requests() : 0;
  }

  /**
   * Of {@link #totalUsPerRequest}, the microseconds the kernel spent per answered request for the
   * server's Java threads (the GC's and JIT's threads, and the unsampled ones, are not split); 0 when
   * nothing was answered.
   */
  public double kernelUsPerRequest() {
    return requests() > 0 ? kernelNanos / 1_000.0 / requests() : 0;
  }

  /** The server's CPU over the window, in cores (1.0 = one core busy the whole window). */
  public double gatewayCores() {
    return seconds() > 0 ? attribution.gatewayNanos() / 1e9 / seconds() : 0;
  }

  /** {@code model/protocol}, the key of this budget in JSON (the floor's under a key of their own). */
  public String key() {
    return model + "/" + protocol;
  }

  /**
   * The budget in {@code floors} of the same model and protocol, the transport floor this gateway
   * budget is read against; null when there is none.
   */
  public CpuBudget floorIn(List<CpuBudget> floors) {
    for (CpuBudget floor : floors) {
      if (floor.server == Server.FLOOR && floor.model.equals(model) && floor.protocol.equals(protocol)) {
        return floor;
      }
    }
    return null;
  }

  /** The stages shown per request: the request stages, then other, gc, jit and unsampled. */
  public static List<Stage> shownStages() {
    List<Stage> stages = new ArrayList<>(Stage.REQUEST_STAGES);
    stages.add(Stage.OTHER);
    stages.add(Stage.GC);
    stages.add(Stage.JIT);
    stages.add(Stage.UNSAMPLED);
    return stages;
  }

  /**
   * The JSON form: {@code cpu_us_per_request} by stage with {@code total}, beside the wall latency,
   * the load and the samples it rests on.
   */
  public Map<String, Object> toJson() {
    Map<String, Object> perRequest = new LinkedHashMap<>();
    for (Stage stage : shownStages()) {
      perRequest.put(stage.label(), round(usPerRequest(stage)));
    }
    perRequest.put("total", round(totalUsPerRequest()));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("cpu_us_per_request", perRequest);
    json.put("kernel_cpu_us_per_request", round(kernelUsPerRequest()));
    json.put("wall_p50_us", latency().p50());
    json.put("wall_mean_us", round(latency().mean()));
    json.put("requests", requests());
    json.put("throughput_rps", round(seconds() > 0 ? requests() / seconds() : 0));
    json.put("concurrency", load.spec().concurrency());
    json.put(server.label() + "_cores", round(gatewayCores()));
    json.put("generator_cpu_us_per_request", round(usPerRequest(Stage.GENERATOR)));
    Map<String, Object> samples = new LinkedHashMap<>();
    attribution.samples().forEach((stage, n) -> {
      if (n > 0) {
        samples.put(stage.label(), n);
      }
    });
    json.put("samples", samples);
    return json;
  }

  /**
   * The budgets side by side as a text table: a row per stage, a column per budget. Where
   * {@code floors} holds a budget of the same model and protocol, two rows follow: that transport
   * floor's total, and what the server spent above it.
   */
  public static String table(List<CpuBudget> budgets, List<CpuBudget> floors) {
    StringBuilder t = new StringBuilder();
    String head = "%-22s" + " %16s".repeat(budgets.size()) + "%n";
    Object[] keys = new Object[budgets.size() + 1];
    keys[0] = budgets.isEmpty() || budgets.get(0).server == Server.GATEWAY ? "cpu us per request"
        : "floor cpu us per req";
    Object[] protocols = new Object[budgets.size() + 1];
    protocols[0] = "";
    for (int i = 0; i < budgets.size(); i++) {
      keys[i + 1] = shorten(budgets.get(i).model());
      protocols[i + 1] = budgets.get(i).protocol();
    }
    t.append(String.format(Locale.ROOT, head, keys));
    t.append(String.format(Locale.ROOT, head, protocols));
    for (Stage stage : shownStages()) {
      t.append(row(stage.label(), budgets, b -> b.usPerRequest(stage)));
    }
    t.append(row("total", budgets, CpuBudget::totalUsPerRequest));
    t.append(row(KERNEL_ROW, budgets, CpuBudget::kernelUsPerRequest));
    if (budgets.stream().anyMatch(b -> b.floorIn(floors) != null)) {
      t.append(row("floor total", budgets, b -> floorTotal(b, floors)));
      t.append(row("above floor", budgets, b -> aboveFloor(b, floors)));
    }
    t.append(row("wall p50 us", budgets, b -> b.latency().p50()));
    t.append(row("wall mean us", budgets, b -> b.latency().mean()));
    t.append(row("requests/s", budgets, b -> b.seconds() > 0 ? b.requests() / b.seconds() : 0));
    t.append(row(budgets.isEmpty() ? "cores" : budgets.get(0).server.label() + " cores", budgets,
        CpuBudget::gatewayCores));
    t.append(row("generator us/req", budgets, b -> b.usPerRequest(Stage.GENERATOR)));
    return t.toString();
  }

  /** The total of this budget's transport floor in {@code floors}; NaN when there is none. */
  static double floorTotal(CpuBudget budget, List<CpuBudget> floors) {
    CpuBudget floor = budget.floorIn(floors);
    return floor == null ? Double.NaN : floor.totalUsPerRequest();
  }

  /** This budget's total minus its transport floor's in {@code floors}; NaN when there is none. */
  static double aboveFloor(CpuBudget budget, List<CpuBudget> floors) {
    return budget.totalUsPerRequest() - floorTotal(budget, floors);
  }

  private static String row(String label, List<CpuBudget> budgets, java.util.function.ToDoubleFunction<CpuBudget> value) {
    StringBuilder r = new StringBuilder(String.format(Locale.ROOT, "%-22s", label));
    for (CpuBudget b : budgets) {
      double v = value.applyAsDouble(b);
      r.append(String.format(Locale.ROOT, " %16s", Double.isNaN(v) ? "-" : v >= 100
          ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v)));
    }
    return r.append(System.lineSeparator()).toString();
  }

  private static String shorten(String text) {
    return text.length() <= 16 ? text : text.substring(0, 16);
  }

  static double round(double value) {
    return Math.round(value * 10) / 10.0;
  }
}
