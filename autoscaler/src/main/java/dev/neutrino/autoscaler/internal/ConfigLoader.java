package dev.neutrino.autoscaler.internal;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
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
import dev.neutrino.autoscaler.PredictiveSpec;
import dev.neutrino.autoscaler.SloSpec;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Reads the autoscaler's YAML into {@link AutoscalerConfig}. Jackson binds the file into records of
 * its shape (below; every key optional at this stage, a key they do not have is an error), then each
 * becomes its validated configuration record with the defaults filled in. Every error names the path
 * of the section it is in ({@code targets[0].scale}), and an unknown key also the keys known there.
 */
public final class ConfigLoader {

  private static final ObjectMapper YAML = YAMLMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
      .addModule(new SimpleModule().addDeserializer(Duration.class, new DurationValue()))
      .build();

  private ConfigLoader() {}

  public static AutoscalerConfig load(Path file) throws IOException {
    try {
      return parse(Files.readString(file));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  public static AutoscalerConfig parse(String yaml) {
    FileConfig file = bind("", prepared(tree(yaml)), FileConfig.class);
    PrometheusFile p = file.prometheus();
    AutoscalerConfig.PrometheusServer prometheus = p == null ? null : build("prometheus",
        () -> new AutoscalerConfig.PrometheusServer(uri("prometheus", required("prometheus", "url", p.url())),
            or(p.timeout(), AutoscalerConfig.PrometheusServer.DEFAULT_TIMEOUT)));
    KubernetesFile k = file.kubernetes();
    AutoscalerConfig.Kubernetes kubernetes = k == null ? AutoscalerConfig.Kubernetes.defaults() : build("kubernetes",
        () -> new AutoscalerConfig.Kubernetes(k.kubeconfig(), k.context(),
            or(k.timeout(), AutoscalerConfig.Kubernetes.DEFAULT_TIMEOUT)));
    RetryFile r = file.retry();
    Backoff retry = r == null ? Backoff.defaults() : build("retry", () -> new Backoff(
        or(r.initial(), Backoff.DEFAULT_INITIAL), or(r.max(), Backoff.DEFAULT_MAX),
        or(r.multiplier(), Backoff.DEFAULT_MULTIPLIER)));
    List<AutoscalerConfig.Target> targets = new ArrayList<>();
    List<TargetFile> targetFiles = required("", "targets", file.targets());
    for (int i = 0; i < targetFiles.size(); i++) {
      targets.add(target("targets[" + i + "]", required("targets[" + i + "]", null, targetFiles.get(i))));
    }
    return build("", () -> new AutoscalerConfig(or(file.interval(), AutoscalerConfig.DEFAULT_INTERVAL),
        or(file.staleAfter(), Decider.DEFAULT_STALE_AFTER), or(file.metricsHost(), AutoscalerConfig.DEFAULT_METRICS_HOST),
        or(file.metricsPort(), AutoscalerConfig.DEFAULT_METRICS_PORT), prometheus, kubernetes, retry, targets));
  }

  /**
   * The file with what binding cannot say for itself: a target's {@code metrics} without a
   * {@code source} reads from Prometheus, and a target's sections must be mappings (Jackson would
   * take a list for a typed section).
   */
  private static JsonNode prepared(JsonNode root) {
    JsonNode targets = root.get("targets");
    for (int i = 0; targets != null && targets.isArray() && i < targets.size(); i++) {
      if (targets.get(i) instanceof ObjectNode target) {
        for (String section : List.of("scale", "metrics", "policy")) {
          JsonNode value = target.get(section);
          if (value != null && !value.isNull() && !value.isObject()) {
            throw new IllegalArgumentException("targets[" + i + "]." + section + ": expected a mapping");
          }
        }
        if (target.get("metrics") instanceof ObjectNode metrics && !metrics.has("source")) {
          metrics.put("source", "prometheus");
        }
      }
    }
    return root;
  }

  /** A policy as the simulator's {@code --policy-config} gives it: parameters and, optionally, an interval. */
  public record SimulatorPolicy(PolicySpec spec, Duration interval) {}

  /**
   * Reads policy blocks keyed by policy name ({@code kpa: {...}}, {@code hpa: {...}}, {@code slo: {...}}),
   * each with the policy's keys plus an optional {@code interval}: the simulator's {@code --policy-config}
   * format. Policies not mentioned are absent from the map.
   */
  public static Map<String, SimulatorPolicy> simulatorPolicies(String yaml) {
    JsonNode root = tree(yaml);
    List<String> names = List.of("kpa", "hpa", "slo", "predictive");
    for (var keys = root.fieldNames(); keys.hasNext(); ) {
      String key = keys.next();
      if (!names.contains(key)) {
        throw new IllegalArgumentException("unknown key '" + key + "' (known here: kpa, hpa, slo, predictive)");
      }
    }
    Map<String, SimulatorPolicy> out = new LinkedHashMap<>();
    for (String name : names) {
      JsonNode block = root.get(name);
      if (block == null || block.isNull()) {
        continue;
      }
      if (!block.isObject()) {
        throw new IllegalArgumentException(name + ": expected a mapping");
      }
      // The block's key names the policy, and it may hold an interval beside the policy's keys.
      ObjectNode keys = ((ObjectNode) block).deepCopy();
      if (keys.has("name")) {
        JsonSubTypes.Type policy = Arrays.stream(PolicyFile.class.getAnnotation(JsonSubTypes.class).value())
            .filter(t -> t.name().equals(name)).findFirst().orElseThrow();
        throw new IllegalArgumentException(name + ": unknown key 'name' (known here: "
            + String.join(", ", knownKeys(policy.value(), "interval")) + ")");
      }
      JsonNode interval = keys.remove("interval");
      keys.put("name", name);
      out.put(name, new SimulatorPolicy(bind(name, keys, PolicyFile.class, "interval").spec(name),
          interval == null || interval.isNull() ? null : bind(name, interval, Duration.class)));
    }
    return out;
  }

  private static AutoscalerConfig.Target target(String path, TargetFile t) {
    String name = required(path, "name", t.name());
    String model = required(path, "model", t.model());
    ReplicaBounds bounds = build(path, () -> new ReplicaBounds(or(t.minReplicas(), 1),
        required(path, "max_replicas", t.maxReplicas())));
    Scale scale = scale(path + ".scale", required(path, "scale", t.scale()));
    Metrics metrics = t.metrics() == null ? Metrics.Prometheus.defaults(model) : metrics(path + ".metrics", t.metrics(), model);
    PolicySpec policy = required(path, "policy", t.policy()).spec(path + ".policy");
    return build(path, () -> new AutoscalerConfig.Target(name, model, bounds, t.interval(), scale, metrics, policy));
  }

  private static Scale scale(String path, ScaleFile s) {
    if (s instanceof DeploymentFile d) {
      return build(path, () -> new Scale.Deployment(or(d.namespace(), "default"), required(path, "name", d.name())));
    }
    LocalFile l = (LocalFile) s;
    return build(path, () -> new Scale.LocalInstances(uri(path, required(path, "gateway", l.gateway())),
        l.instanceKind()));
  }

  private static Metrics metrics(String path, MetricsFile m, String model) {
    if (m instanceof ScrapeFile s) {
      return build(path, () -> new Metrics.Scrape(
          required(path, "gateways", s.gateways()).stream().map(g -> uri(path, g)).toList()));
    }
    PrometheusMetricsFile p = (PrometheusMetricsFile) m;
    Metrics.Prometheus d = Metrics.Prometheus.defaults(model);
    return build(path, () -> new Metrics.Prometheus(or(p.demand(), d.demand()), or(p.queueDepth(), d.queueDepth()),
        or(p.queueAge(), d.queueAge()), or(p.completionRate(), d.completionRate())));
  }

  // ---- the file's shape: what Jackson binds, every key optional until checked above

  private record FileConfig(Duration interval, Duration staleAfter, String metricsHost, Integer metricsPort,
      PrometheusFile prometheus, KubernetesFile kubernetes, RetryFile retry, List<TargetFile> targets) {}

  private record PrometheusFile(String url, Duration timeout) {}

  private record KubernetesFile(String kubeconfig, String context, Duration timeout) {}

  private record RetryFile(Duration initial, Duration max, Double multiplier) {}

  private record TargetFile(String name, String model, Integer minReplicas, Integer maxReplicas, Duration interval,
      ScaleFile scale, MetricsFile metrics, PolicyFile policy) {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
  @JsonSubTypes({@JsonSubTypes.Type(value = DeploymentFile.class, name = "deployment"),
      @JsonSubTypes.Type(value = LocalFile.class, name = "local")})
  private sealed interface ScaleFile permits DeploymentFile, LocalFile {}

  private record DeploymentFile(String namespace, String name) implements ScaleFile {}

  private record LocalFile(String gateway, String instanceKind) implements ScaleFile {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "source")
  @JsonSubTypes({@JsonSubTypes.Type(value = PrometheusMetricsFile.class, name = "prometheus"),
      @JsonSubTypes.Type(value = ScrapeFile.class, name = "scrape")})
  private sealed interface MetricsFile permits PrometheusMetricsFile, ScrapeFile {}

  private record PrometheusMetricsFile(String demand, String queueDepth, String queueAge, String completionRate)
      implements MetricsFile {}

  private record ScrapeFile(List<String> gateways) implements MetricsFile {}

  /** A policy's keys; {@code name} picks which policy's. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "name")
  @JsonSubTypes({@JsonSubTypes.Type(value = KpaFile.class, name = "kpa"),
      @JsonSubTypes.Type(value = HpaFile.class, name = "hpa"),
      @JsonSubTypes.Type(value = SloFile.class, name = "slo"),
      @JsonSubTypes.Type(value = PredictiveFile.class, name = "predictive")})
  private sealed interface PolicyFile permits KpaFile, HpaFile, SloFile, PredictiveFile {
    /** The validated policy; errors are prefixed with {@code path}. */
    PolicySpec spec(String path);
  }

  private record KpaFile(Double target, Double targetUtilization, Duration stableWindow, Double panicWindowPercentage,
      Double panicThresholdPercentage, Double maxScaleUpRate, Double maxScaleDownRate, Duration scaleDownDelay,
      Duration scaleToZeroGrace) implements PolicyFile {
    @Override
    public PolicySpec spec(String path) {
      return build(path, () -> new KpaSpec(or(target, KpaSpec.DEFAULT_TARGET),
          or(targetUtilization, KpaSpec.DEFAULT_TARGET_UTILIZATION), or(stableWindow, KpaSpec.DEFAULT_STABLE_WINDOW),
          or(panicWindowPercentage, KpaSpec.DEFAULT_PANIC_WINDOW_PERCENTAGE),
          or(panicThresholdPercentage, KpaSpec.DEFAULT_PANIC_THRESHOLD_PERCENTAGE),
          or(maxScaleUpRate, KpaSpec.DEFAULT_MAX_SCALE_UP_RATE), or(maxScaleDownRate, KpaSpec.DEFAULT_MAX_SCALE_DOWN_RATE),
          or(scaleDownDelay, KpaSpec.DEFAULT_SCALE_DOWN_DELAY), or(scaleToZeroGrace, KpaSpec.DEFAULT_SCALE_TO_ZERO_GRACE)));
    }
  }

  private record HpaFile(Double target, Double tolerance, Duration scaleDownStabilization,
      Duration scaleUpStabilization, Double scaleUpPercent, Integer scaleUpPods, Duration scaleUpPeriod,
      Double scaleDownPercent, Duration scaleDownPeriod) implements PolicyFile {
    @Override
    public PolicySpec spec(String path) {
      return build(path, () -> new HpaSpec(required(path, "target", target), or(tolerance, HpaSpec.DEFAULT_TOLERANCE),
          or(scaleDownStabilization, HpaSpec.DEFAULT_SCALE_DOWN_STABILIZATION),
          or(scaleUpStabilization, HpaSpec.DEFAULT_SCALE_UP_STABILIZATION),
          or(scaleUpPercent, HpaSpec.DEFAULT_SCALE_UP_PERCENT), or(scaleUpPods, HpaSpec.DEFAULT_SCALE_UP_PODS),
          or(scaleUpPeriod, HpaSpec.DEFAULT_SCALE_UP_PERIOD), or(scaleDownPercent, HpaSpec.DEFAULT_SCALE_DOWN_PERCENT),
          or(scaleDownPeriod, HpaSpec.DEFAULT_SCALE_DOWN_PERIOD)));
    }
  }

  private record SloFile(Duration latencyTarget, Duration serviceTime, Integer replicaConcurrency, Duration coldStart,
      Double maxUtilization, Duration trendWindow, Duration backlogDrainTime, Duration scaleDownStabilization)
      implements PolicyFile {
    @Override
    public PolicySpec spec(String path) {
      return build(path, () -> new SloSpec(required(path, "latency_target", latencyTarget),
          required(path, "service_time", serviceTime), or(replicaConcurrency, SloSpec.DEFAULT_REPLICA_CONCURRENCY),
          or(coldStart, SloSpec.DEFAULT_COLD_START), or(maxUtilization, SloSpec.DEFAULT_MAX_UTILIZATION),
          or(trendWindow, SloSpec.DEFAULT_TREND_WINDOW), or(backlogDrainTime, SloSpec.DEFAULT_BACKLOG_DRAIN_TIME),
          or(scaleDownStabilization, SloSpec.DEFAULT_SCALE_DOWN_STABILIZATION)));
    }
  }

  private record PredictiveFile(Duration latencyTarget, Duration serviceTime, Integer replicaConcurrency,
      Duration coldStart, Double maxUtilization, Double headroomDeviations, Duration burstMemory, Duration trendWindow,
      Duration backlogDrainTime, Duration scaleDownStabilization) implements PolicyFile {
    @Override
    public PolicySpec spec(String path) {
      return build(path, () -> new PredictiveSpec(required(path, "latency_target", latencyTarget),
          required(path, "service_time", serviceTime),
          or(replicaConcurrency, PredictiveSpec.DEFAULT_REPLICA_CONCURRENCY),
          or(coldStart, PredictiveSpec.DEFAULT_COLD_START), or(maxUtilization, PredictiveSpec.DEFAULT_MAX_UTILIZATION),
          or(headroomDeviations, PredictiveSpec.DEFAULT_HEADROOM_DEVIATIONS),
          or(burstMemory, PredictiveSpec.DEFAULT_BURST_MEMORY), or(trendWindow, PredictiveSpec.DEFAULT_TREND_WINDOW),
          or(backlogDrainTime, PredictiveSpec.DEFAULT_BACKLOG_DRAIN_TIME),
          or(scaleDownStabilization, PredictiveSpec.DEFAULT_SCALE_DOWN_STABILIZATION)));
    }
  }

  // ---- binding and checking

  private static JsonNode tree(String yaml) {
    try {
      JsonNode node = YAML.readTree(yaml);
      if (node == null || node.isMissingNode() || node.isNull()) {
        throw new IllegalArgumentException("the configuration is empty");
      }
      if (!node.isObject()) {
        throw new IllegalArgumentException("the configuration: expected a mapping");
      }
      return node;
    } catch (JacksonException e) {
      throw new IllegalArgumentException("not valid YAML: " + e.getOriginalMessage());
    }
  }

  /**
   * Binds {@code tree} to {@code type}, turning Jackson's complaints into errors that name the path
   * and key, after {@code prefix} (the section {@code tree} is, or empty for the file).
   */
  private static <T> T bind(String prefix, JsonNode tree, Class<T> type) {
    return bind(prefix, tree, type, null);
  }

  /** As above; {@code typeKey}, when given, is what the section holds in place of its type's key. */
  private static <T> T bind(String prefix, JsonNode tree, Class<T> type, String typeKey) {
    try {
      return YAML.treeToValue(tree, type);
    } catch (JacksonException e) {
      String message = message(e, typeKey);
      throw new IllegalArgumentException(prefix.isEmpty() ? message : prefix + ": " + message, e);
    }
  }

  /** Jackson's complaint as the user should read it: where, which key, what was wrong. */
  private static String message(JacksonException e, String typeKey) {
    if (!(e instanceof JsonMappingException m)) {
      return "not valid YAML: " + e.getOriginalMessage();
    }
    List<JsonMappingException.Reference> path = m.getPath();
    if (e instanceof UnrecognizedPropertyException u) {
      String known = String.join(", ", knownKeys(u.getReferringClass(), typeKey));
      return at(path.subList(0, path.size() - 1), "unknown key '" + u.getPropertyName() + "' (known here: "
          + known + ")");
    }
    if (e instanceof InvalidTypeIdException t) {
      JsonTypeInfo info = t.getBaseType().getRawClass().getAnnotation(JsonTypeInfo.class);
      JsonSubTypes subtypes = t.getBaseType().getRawClass().getAnnotation(JsonSubTypes.class);
      String names = Arrays.stream(subtypes.value()).map(s -> "'" + s.name() + "'").collect(Collectors.joining(", "));
      return at(path, t.getTypeId() == null ? info.property() + " is required"
          : info.property() + " must be one of " + names + ", got '" + t.getTypeId() + "'");
    }
    String key = path.isEmpty() ? null : path.get(path.size() - 1).getFieldName();
    List<JsonMappingException.Reference> parent = key == null ? path : path.subList(0, path.size() - 1);
    String what = key != null ? key : "the value";
    if (e instanceof InvalidFormatException f && f.getTargetType() == Duration.class) {
      return at(parent, what + ": " + f.getOriginalMessage());
    }
    if (e instanceof MismatchedInputException i && i.getTargetType() != null) {
      Class<?> target = i.getTargetType();
      String expected = target == Integer.class || target == int.class ? "an integer"
          : target == Double.class || target == double.class ? "a number"
          : List.class.isAssignableFrom(target) ? "a list"
          : target == String.class ? "a single value"
          : "a mapping";
      String got = e instanceof InvalidFormatException f ? ", got '" + f.getValue() + "'"
          : i.getProcessor() instanceof JsonParser parser && parser.currentToken() != null
              && parser.currentToken().isScalarValue() ? ", got '" + text(parser) + "'" : "";
      return at(parent, key == null ? "expected " + expected : what + " must be " + expected + got);
    }
    return at(parent, what + ": " + m.getOriginalMessage());
  }

  /**
   * The keys a section bound to {@code type} may hold, in the order the file's records declare them:
   * the key that picks the type first ({@code typeKey} where the section holds another in its place).
   */
  private static List<String> knownKeys(Class<?> type, String typeKey) {
    List<String> keys = new ArrayList<>();
    for (Class<?> face : type.getInterfaces()) {
      JsonTypeInfo info = face.getAnnotation(JsonTypeInfo.class);
      if (info != null) {
        keys.add(typeKey != null ? typeKey : info.property());
      }
    }
    PropertyNamingStrategies.NamingBase snakeCase = (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;
    for (RecordComponent component : type.getRecordComponents() == null ? new RecordComponent[0]
        : type.getRecordComponents()) {
      keys.add(snakeCase.translate(component.getName()));
    }
    return keys;
  }

  private static String text(JsonParser parser) {
    try {
      return parser.getText();
    } catch (IOException e) {
      return "?";
    }
  }

  /** {@code message} prefixed with the path of the section it is about, as {@code targets[0].scale: }. */
  private static String at(List<JsonMappingException.Reference> path, String message) {
    StringBuilder where = new StringBuilder();
    for (JsonMappingException.Reference ref : path) {
      if (ref.getFieldName() != null) {
        where.append(where.length() == 0 ? "" : ".").append(ref.getFieldName());
      } else {
        where.append('[').append(ref.getIndex()).append(']');
      }
    }
    return where.length() == 0 ? message : where + ": " + message;
  }

  private static <T> T or(T value, T otherwise) {
    return value != null ? value : otherwise;
  }

  /** {@code value}, which the section at {@code path} must have under {@code key}. */
  private static <T> T required(String path, String key, T value) {
    if (value == null || value instanceof String s && s.isBlank()) {
      String what = key == null ? "expected a mapping" : key + " is required";
      throw new IllegalArgumentException(path.isEmpty() ? what : path + ": " + what);
    }
    return value;
  }

  private static URI uri(String path, String text) {
    try {
      URI uri = URI.create(text);
      if (uri.getScheme() == null || uri.getHost() == null) {
        throw new IllegalArgumentException(path + ": '" + text + "' is not an absolute http(s) URL");
      }
      return uri;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(path + ": '" + text + "' is not a URL");
    }
  }

  /** Builds a configuration record, prefixing its validation errors with the path of its section. */
  private static <T> T build(String path, Supplier<T> builder) {
    try {
      return builder.get();
    } catch (IllegalArgumentException | NullPointerException e) {
      String message = Objects.requireNonNullElse(e.getMessage(), e.toString());
      if (!path.isEmpty() && !message.startsWith(path)) {
        throw new IllegalArgumentException(path + ": " + message, e);
      }
      throw e instanceof IllegalArgumentException iae ? iae : new IllegalArgumentException(message, e);
    }
  }

  /** Durations as the file writes them ({@link DurationText}): a number and a unit. */
  private static final class DurationValue extends JsonDeserializer<Duration> {
    @Override
    public Duration deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      String text = parser.getValueAsString();
      try {
        return DurationText.parse(text != null ? text : parser.getText());
      } catch (IllegalArgumentException e) {
        throw InvalidFormatException.from(parser, e.getMessage(), text, Duration.class);
      }
    }
  }
}
