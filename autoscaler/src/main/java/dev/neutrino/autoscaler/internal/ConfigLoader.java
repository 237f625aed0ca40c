package dev.neutrino.autoscaler.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.neutrino.autoscaler.AutoscalerConfig;
import dev.neutrino.autoscaler.AutoscalerConfig.Metrics;
import dev.neutrino.autoscaler.AutoscalerConfig.Scale;
import dev.neutrino.autoscaler.Backoff;
import dev.neutrino.autoscaler.Decider;
import dev.neutrino.autoscaler.DurationText;
import dev.neutrino.autoscaler.HpaSpec;
import dev.neutrino.autoscaler.KpaSpec;
import dev.neutrino.autoscaler.PolicySpec;
import dev.neutrino.autoscaler.ReplicaBounds;
import dev.neutrino.autoscaler.SloSpec;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the autoscaler's YAML into {@link AutoscalerConfig}. Every mapping is read through a
 * {@link Section} that remembers the keys asked for, so a key nobody asked for (a typo) is an error
 * naming its path and the keys that are known. Errors from the records' own validation are prefixed
 * with the path of the section they came from.
 */
public final class ConfigLoader {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private ConfigLoader() {}

  public static AutoscalerConfig load(Path file) throws IOException {
    try {
      return parse(Files.readString(file));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  public static AutoscalerConfig parse(String yaml) {
    Section root = new Section("", tree(yaml));
    Duration interval = root.duration("interval", AutoscalerConfig.DEFAULT_INTERVAL);
    Duration staleAfter = root.duration("stale_after", Decider.DEFAULT_STALE_AFTER);
    String metricsHost = root.text("metrics_host", AutoscalerConfig.DEFAULT_METRICS_HOST);
    int metricsPort = root.integer("metrics_port", AutoscalerConfig.DEFAULT_METRICS_PORT);

    AutoscalerConfig.PrometheusServer prometheus = null;
    Section p = root.section("prometheus");
    if (p != null) {
      prometheus = p.build(() -> new AutoscalerConfig.PrometheusServer(
          p.uri("url"), p.duration("timeout", AutoscalerConfig.PrometheusServer.DEFAULT_TIMEOUT)));
    }
    AutoscalerConfig.Kubernetes kubernetes = AutoscalerConfig.Kubernetes.defaults();
    Section k = root.section("kubernetes");
    if (k != null) {
      kubernetes = k.build(() -> new AutoscalerConfig.Kubernetes(k.text("kubeconfig", null), k.text("context", null),
          k.duration("timeout", AutoscalerConfig.Kubernetes.DEFAULT_TIMEOUT)));
    }
    Backoff retry = Backoff.defaults();
    Section r = root.section("retry");
    if (r != null) {
      retry = r.build(() -> new Backoff(r.duration("initial", Backoff.DEFAULT_INITIAL),
          r.duration("max", Backoff.DEFAULT_MAX), r.number("multiplier", Backoff.DEFAULT_MULTIPLIER)));
    }
    List<AutoscalerConfig.Target> targets = new ArrayList<>();
    for (Section t : root.sections("targets")) {
      targets.add(target(t));
    }
    AutoscalerConfig.PrometheusServer prom = prometheus;
    Backoff backoff = retry;
    AutoscalerConfig.Kubernetes kube = kubernetes;
    return root.build(() -> new AutoscalerConfig(
        interval, staleAfter, metricsHost, metricsPort, prom, kube, backoff, targets));
  }

  /** A policy as the simulator's {@code --policy-config} gives it: parameters and, optionally, an interval. */
  public record SimulatorPolicy(PolicySpec spec, Duration interval) {}

  /**
   * Reads policy blocks keyed by policy name ({@code kpa: {...}}, {@code hpa: {...}}, {@code slo: {...}}),
   * each with the policy's keys plus an optional {@code interval}: the simulator's {@code --policy-config}
   * format. Policies not mentioned are absent from the map.
   */
  public static Map<String, SimulatorPolicy> simulatorPolicies(String yaml) {
    Section root = new Section("", tree(yaml));
    Map<String, SimulatorPolicy> out = new LinkedHashMap<>();
    for (String name : List.of("kpa", "hpa", "slo")) {
      Section s = root.section(name);
      if (s != null) {
        Duration interval = s.duration("interval", null);
        out.put(name, new SimulatorPolicy(policy(s, name), interval));
      }
    }
    root.finish();
    return out;
  }

  private static AutoscalerConfig.Target target(Section t) {
    String name = t.required("name");
    String model = t.required("model");
    ReplicaBounds bounds = t.wrap(() -> new ReplicaBounds(t.integer("min_replicas", 1), t.requiredInteger("max_replicas")));
    Duration interval = t.duration("interval", null);
    Scale scale = scale(t.requiredSection("scale"));
    Section m = t.section("metrics");
    Metrics metrics = m == null ? Metrics.Prometheus.defaults(model) : metrics(m, model);
    PolicySpec policy = policy(t.requiredSection("policy"), null);
    return t.build(() -> new AutoscalerConfig.Target(name, model, bounds, interval, scale, metrics, policy));
  }

  private static Scale scale(Section s) {
    String kind = s.required("kind");
    return switch (kind) {
      case "deployment" -> s.build(() -> new Scale.Deployment(s.text("namespace", "default"), s.required("name")));
      case "local" -> s.build(() -> new Scale.LocalInstances(s.uri("gateway"), s.text("instance_kind", null)));
      default -> throw s.error("kind must be 'deployment' or 'local', got '" + kind + "'");
    };
  }

  private static Metrics metrics(Section s, String model) {
    String source = s.text("source", "prometheus");
    return switch (source) {
      case "prometheus" -> {
        Metrics.Prometheus d = Metrics.Prometheus.defaults(model);
        yield s.build(() -> new Metrics.Prometheus(s.text("demand", d.demand()), s.text("queue_depth", d.queueDepth()),
            s.text("queue_age", d.queueAge()), s.text("completion_rate", d.completionRate())));
      }
      case "scrape" -> {
        List<URI> gateways = new ArrayList<>();
        for (String g : s.texts("gateways")) {
          gateways.add(toUri(s, g));
        }
        yield s.build(() -> new Metrics.Scrape(gateways));
      }
      default -> throw s.error("source must be 'prometheus' or 'scrape', got '" + source + "'");
    };
  }

  /**
   * A policy from its section. {@code name} is read from the section unless given (the simulator's
   * format names the policy by its key).
   */
  public static PolicySpec policy(Section s, String impliedName) {
    String name = impliedName != null ? impliedName : s.required("name");
    return switch (name) {
      case "kpa" -> s.build(() -> new KpaSpec(
          s.number("target", KpaSpec.DEFAULT_TARGET),
          s.number("target_utilization", KpaSpec.DEFAULT_TARGET_UTILIZATION),
          s.duration("stable_window", KpaSpec.DEFAULT_STABLE_WINDOW),
          s.number("panic_window_percentage", KpaSpec.DEFAULT_PANIC_WINDOW_PERCENTAGE),
          s.number("panic_threshold_percentage", KpaSpec.DEFAULT_PANIC_THRESHOLD_PERCENTAGE),
          s.number("max_scale_up_rate", KpaSpec.DEFAULT_MAX_SCALE_UP_RATE),
          s.number("max_scale_down_rate", KpaSpec.DEFAULT_MAX_SCALE_DOWN_RATE),
          s.duration("scale_down_delay", KpaSpec.DEFAULT_SCALE_DOWN_DELAY),
          s.duration("scale_to_zero_grace", KpaSpec.DEFAULT_SCALE_TO_ZERO_GRACE)));
      case "hpa" -> s.build(() -> new HpaSpec(
          s.requiredNumber("target"),
          s.number("tolerance", HpaSpec.DEFAULT_TOLERANCE),
          s.duration("scale_down_stabilization", HpaSpec.DEFAULT_SCALE_DOWN_STABILIZATION),
          s.duration("scale_up_stabilization", HpaSpec.DEFAULT_SCALE_UP_STABILIZATION),
          s.number("scale_up_percent", HpaSpec.DEFAULT_SCALE_UP_PERCENT),
          s.integer("scale_up_pods", HpaSpec.DEFAULT_SCALE_UP_PODS),
          s.duration("scale_up_period", HpaSpec.DEFAULT_SCALE_UP_PERIOD),
          s.number("scale_down_percent", HpaSpec.DEFAULT_SCALE_DOWN_PERCENT),
          s.duration("scale_down_period", HpaSpec.DEFAULT_SCALE_DOWN_PERIOD)));
      case "slo" -> s.build(() -> new SloSpec(
          s.requiredDuration("latency_target"),
          s.requiredDuration("service_time"),
          s.integer("replica_concurrency", SloSpec.DEFAULT_REPLICA_CONCURRENCY),
          s.duration("cold_start", SloSpec.DEFAULT_COLD_START),
          s.number("max_utilization", SloSpec.DEFAULT_MAX_UTILIZATION),
          s.duration("trend_window", SloSpec.DEFAULT_TREND_WINDOW),
          s.duration("backlog_drain_time", SloSpec.DEFAULT_BACKLOG_DRAIN_TIME),
          s.duration("scale_down_stabilization", SloSpec.DEFAULT_SCALE_DOWN_STABILIZATION)));
      default -> throw s.error("policy name must be kpa, hpa or slo, got '" + name + "'");
    };
  }

  private static JsonNode tree(String yaml) {
    try {
      JsonNode node = YAML.readTree(yaml);
      if (node == null || node.isMissingNode() || node.isNull()) {
        throw new IllegalArgumentException("the configuration is empty");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not valid YAML: " + e.getOriginalMessage());
    }
  }

  private static URI toUri(Section s, String text) {
    try {
      URI uri = URI.create(text);
      if (uri.getScheme() == null || uri.getHost() == null) {
        throw s.error("'" + text + "' is not an absolute http(s) URL");
      }
      return uri;
    } catch (IllegalArgumentException e) {
      throw s.error("'" + text + "' is not a URL");
    }
  }

  /** One YAML mapping being read: tracks the keys asked for and rejects the others. */
  public static final class Section {
    private final String path;
    private final JsonNode node;
    private final Set<String> asked = new LinkedHashSet<>();

    Section(String path, JsonNode node) {
      this.path = path;
      if (!node.isObject()) {
        throw new IllegalArgumentException((path.isEmpty() ? "the configuration" : path) + ": expected a mapping");
      }
      this.node = node;
    }

    IllegalArgumentException error(String message) {
      return new IllegalArgumentException((path.isEmpty() ? "" : path + ": ") + message);
    }

    private JsonNode get(String key) {
      asked.add(key);
      JsonNode v = node.get(key);
      return v == null || v.isNull() ? null : v;
    }

    private String at(String key) {
      return path.isEmpty() ? key : path + "." + key;
    }

    String text(String key, String otherwise) {
      JsonNode v = get(key);
      if (v == null) {
        return otherwise;
      }
      if (!v.isValueNode()) {
        throw error(key + " must be a single value");
      }
      return v.asText();
    }

    String required(String key) {
      String v = text(key, null);
      if (v == null || v.isBlank()) {
        throw error(key + " is required");
      }
      return v;
    }

    double number(String key, double otherwise) {
      JsonNode v = get(key);
      if (v == null) {
        return otherwise;
      }
      if (!v.isNumber()) {
        throw error(key + " must be a number, got '" + v.asText() + "'");
      }
      return v.asDouble();
    }

    double requiredNumber(String key) {
      if (node.get(key) == null) {
        asked.add(key);
        throw error(key + " is required");
      }
      return number(key, Double.NaN);
    }

    int integer(String key, int otherwise) {
      JsonNode v = get(key);
      if (v == null) {
        return otherwise;
      }
      if (!v.isIntegralNumber() || !v.canConvertToInt()) {
        throw error(key + " must be an integer, got '" + v.asText() + "'");
      }
      return v.asInt();
    }

    int requiredInteger(String key) {
      if (node.get(key) == null) {
        asked.add(key);
        throw error(key + " is required");
      }
      return integer(key, 0);
    }

    Duration duration(String key, Duration otherwise) {
      String v = text(key, null);
      if (v == null) {
        return otherwise;
      }
      try {
        return DurationText.parse(v);
      } catch (IllegalArgumentException e) {
        throw error(key + ": " + e.getMessage());
      }
    }

    Duration requiredDuration(String key) {
      required(key);
      return duration(key, null);
    }

    URI uri(String key) {
      return toUri(this, required(key));
    }

    List<String> texts(String key) {
      JsonNode v = get(key);
      if (v == null) {
        throw error(key + " is required");
      }
      if (!v.isArray()) {
        throw error(key + " must be a list");
      }
      List<String> out = new ArrayList<>();
      for (JsonNode e : v) {
        out.add(e.asText());
      }
      return out;
    }

    Section section(String key) {
      JsonNode v = get(key);
      return v == null ? null : new Section(at(key), v);
    }

    Section requiredSection(String key) {
      Section s = section(key);
      if (s == null) {
        throw error(key + " is required");
      }
      return s;
    }

    List<Section> sections(String key) {
      JsonNode v = get(key);
      if (v == null) {
        throw error(key + " is required");
      }
      if (!v.isArray()) {
        throw error(key + " must be a list");
      }
      List<Section> out = new ArrayList<>();
      int i = 0;
      for (JsonNode e : v) {
        out.add(new Section(at(key) + "[" + i++ + "]", e));
      }
      return out;
    }

    /** Rejects keys nobody asked for. */
    void finish() {
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!asked.contains(key)) {
          throw error("unknown key '" + key + "' (known here: " + String.join(", ", asked) + ")");
        }
      }
    }

    /** Builds a value from this section, prefixing validation errors with the path, then rejects unknown keys. */
    <T> T build(java.util.function.Supplier<T> builder) {
      T value = wrap(builder);
      finish();
      return value;
    }

    /** Builds a value from part of this section, prefixing validation errors with the path. */
    <T> T wrap(java.util.function.Supplier<T> builder) {
      try {
        return builder.get();
      } catch (IllegalArgumentException | NullPointerException e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        if (!path.isEmpty() && !message.startsWith(path)) {
          throw new IllegalArgumentException(path + ": " + message, e);
        }
        throw e instanceof IllegalArgumentException iae ? iae : new IllegalArgumentException(message, e);
      }
    }
  }
}
