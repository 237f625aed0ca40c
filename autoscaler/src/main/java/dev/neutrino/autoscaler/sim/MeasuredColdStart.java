package dev.neutrino.autoscaler.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.autoscaler.internal.PrometheusText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's cold start as {@code ./neutrino bench --scenario coldstart --json FILE} measured it: the
 * JSON's {@code settings.coldstart_<model>} is four figures per pass ({@code instances created ms,
 * warm-up ms, first answer ms, total ms}, {@code -} where not measured), one pass without ONNX Runtime's
 * optimized-graph cache, one filling it, one from it ({@code --scenario all} writes that report among its
 * {@code scenarios}). The cold start taken is the total (load request
 * to first answer) of the last pass that has one: the cached pass, which is what every replica after
 * the first sees on a gateway with the cache (the default).
 *
 * @param model the model
 * @param coldStart its cold start
 * @param pass which pass of the bench it comes from (1 = no cache, 2 = filling, 3 = cached; 0 = a gateway's metrics)
 */
public record MeasuredColdStart(String model, Duration coldStart, int pass) {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int FIGURES_PER_PASS = 4;

  /** The gauge where the gateway keeps how long each serving version's last load took, by phase. */
  public static final String LOAD_SECONDS = "neutrino_model_load_seconds";

  /**
   * {@code model}'s last load as a gateway's {@code /metrics} text reports it: the sum of the phases of
   * {@value #LOAD_SECONDS} (creating the instances, warming them up) of its serving version (the longest
   * where several serve). It leaves out the first answer, which the bench's total includes. Pass 0.
   *
   * @throws IllegalArgumentException when the text has no load time for the model
   */
  public static MeasuredColdStart fromGatewayMetrics(String metricsText, String model, String origin) {
    java.util.Map<String, Double> byVersion = new java.util.TreeMap<>();
    for (PrometheusText.Sample s : PrometheusText.parse(metricsText)) {
      if (s.name().equals(LOAD_SECONDS) && model.equals(s.labels().get("model")) && s.value() >= 0) {
        byVersion.merge(s.labels().getOrDefault("version", ""), s.value(), Double::sum);
      }
    }
    double seconds = byVersion.values().stream().mapToDouble(Double::doubleValue).max()
        .orElseThrow(() -> new IllegalArgumentException(origin + " reports no " + LOAD_SECONDS + " for model '" + model
            + "' (it is not loaded, or the gateway predates the metric)"));
    return new MeasuredColdStart(model, Duration.ofNanos(Math.round(seconds * 1e9)), 0);
  }

  /** Reads {@code model}'s cold start from a coldstart bench's JSON file. */
  public static MeasuredColdStart fromBenchJson(Path file, String model) throws IOException {
    return parse(Files.readString(file), model, file.toString());
  }

  /**
   * Reads {@code model}'s cold start from a coldstart bench's JSON text; {@code origin} names it in
   * errors.
   *
   * @throws IllegalArgumentException naming the problem: not JSON, not a coldstart bench, no figures
   *     for the model (listing those it has), or no pass with a total
   */
  public static MeasuredColdStart parse(String json, String model, String origin) {
    JsonNode settings = settingsOf(json, origin);
    JsonNode row = settings.get("coldstart_" + model);
    if (row == null) {
      List<String> models = new ArrayList<>();
      settings.fieldNames().forEachRemaining(k -> {
        if (k.startsWith("coldstart_")) {
          models.add(k.substring("coldstart_".length()));
        }
      });
      throw new IllegalArgumentException(origin + " has no cold start of model '" + model + "'"
          + (models.isEmpty() ? " (it is not a coldstart bench's JSON: ./neutrino bench --scenario coldstart --json "
              + origin + ")" : "; it has " + String.join(", ", models)));
    }
    String[] figures = row.asText().strip().split("\\s+");
    if (figures.length == 0 || figures.length % FIGURES_PER_PASS != 0) {
      throw new IllegalArgumentException(origin + ": coldstart_" + model + " should hold " + FIGURES_PER_PASS
          + " figures per pass, got '" + row.asText() + "'");
    }
    for (int pass = figures.length / FIGURES_PER_PASS; pass >= 1; pass--) {
      String total = figures[pass * FIGURES_PER_PASS - 1];
      if (total.equals("-")) {
        continue;
      }
      long millis;
      try {
        millis = Long.parseLong(total);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(origin + ": coldstart_" + model + " pass " + pass + " total is not a "
            + "number of milliseconds: '" + total + "'");
      }
      if (millis < 0) {
        throw new IllegalArgumentException(origin + ": coldstart_" + model + " pass " + pass + " total is negative");
      }
      return new MeasuredColdStart(model, Duration.ofMillis(millis), pass);
    }
    throw new IllegalArgumentException(origin + ": coldstart_" + model + " has no pass with a total");
  }

  /**
   * The coldstart report's settings in {@code json}: the report itself, or the coldstart report among
   * those of {@code --scenario all}.
   */
  private static JsonNode settingsOf(String json, String origin) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(origin + " is not JSON: " + e.getOriginalMessage());
    }
    if (root != null && root.path("scenarios").isArray()) {
      // ./neutrino bench --scenario all: one report per scenario.
      for (JsonNode scenario : root.path("scenarios")) {
        if ("coldstart".equals(scenario.path("scenario").asText())) {
          root = scenario;
        }
      }
    }
    JsonNode settings = root == null ? null : root.path("settings");
    if (settings == null || !settings.isObject()) {
      throw new IllegalArgumentException(origin + " has no settings object: write it with "
          + "./neutrino bench --scenario coldstart --json " + origin);
    }
    return settings;
  }

  /**
   * A new gateway process's start, as the coldstart bench measured it: from the process's start until
   * {@code /v2/health/ready} answered 200, with the request-path warm-up on, the mean of its rounds.
   * That is what a Kubernetes replica takes once its container runs (the chart turns the warm-up on);
   * it leaves out scheduling the pod and pulling the image.
   *
   * @param readyAfter the mean time to ready
   * @param rounds how many rounds it is the mean of
   * @param warmupSecs the warm-up's limit in those rounds ({@code --request-path-warmup-secs})
   */
  public record ReplicaStart(Duration readyAfter, int rounds, int warmupSecs) {}

  private static final Pattern READY_AFTER = Pattern.compile("^ready after ([0-9]+(?:\\.[0-9]+)?) s\\b");

  /** Reads a new gateway's start with the warm-up on from a coldstart bench's JSON file. */
  public static ReplicaStart replicaStartFromBenchJson(Path file) throws IOException {
    return parseReplicaStart(Files.readString(file), file.toString());
  }

  /**
   * Reads a new gateway's start with the warm-up on ({@code settings.after_ready_on_round<N>}, each
   * {@code "ready after 22.8 s; ..."}) from a coldstart bench's JSON text; {@code origin} names it in errors.
   *
   * @throws IllegalArgumentException naming the problem: not JSON, not a coldstart bench, no round with the
   *     warm-up on (a bench from before the gateway had one), or a round without its time to ready
   */
  public static ReplicaStart parseReplicaStart(String json, String origin) {
    JsonNode settings = settingsOf(json, origin);
    double sumSeconds = 0;
    int rounds = 0;
    for (int round = 1; settings.has("after_ready_on_round" + round); round++) {
      String text = settings.get("after_ready_on_round" + round).asText();
      Matcher m = READY_AFTER.matcher(text.strip());
      if (!m.find()) {
        throw new IllegalArgumentException(origin + ": after_ready_on_round" + round + " does not begin with "
            + "'ready after N s': '" + text + "'");
      }
      sumSeconds += Double.parseDouble(m.group(1));
      rounds++;
    }
    if (rounds == 0) {
      throw new IllegalArgumentException(origin + " has no gateway start with the request-path warm-up on "
          + "(after_ready_on_round1): write it with ./neutrino bench --scenario coldstart --json " + origin
          + " from a build whose gateway has --request-path-warmup-secs");
    }
    return new ReplicaStart(Duration.ofMillis(Math.round(sumSeconds / rounds * 1000)), rounds,
        settings.path("after_ready_warmup_secs").asInt(-1));
  }
}
