package dev.neutrino.autoscaler.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.autoscaler.AutoscalerConfig;
import dev.neutrino.autoscaler.Backoff;
import dev.neutrino.autoscaler.HpaSpec;
import dev.neutrino.autoscaler.KpaSpec;
import dev.neutrino.autoscaler.PredictiveSpec;
import dev.neutrino.autoscaler.ReplicaBounds;
import dev.neutrino.autoscaler.SloSpec;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The autoscaler's YAML: bound into its records with defaults, and every mistake named with its path. */
class ConfigLoaderTest {
  private static final String BASE = """
      prometheus: {url: "http://p:9090"}
      targets:
        - name: a
          model: m
          max_replicas: 4
          scale: {kind: deployment, name: d}
          policy: {name: kpa, target: 8}
      """;

  private static String error(String yaml) {
    return assertThrows(IllegalArgumentException.class, () -> ConfigLoader.parse(yaml)).getMessage();
  }

  @Test
  void bindsEveryKeyAndFillsTheDefaults() {
    AutoscalerConfig config = ConfigLoader.parse("""
        interval: 5s
        metrics_port: 0
        prometheus: {url: "http://p:9090", timeout: 3s}
        retry: {initial: 2s}
        targets:
          - name: a
            model: m
            min_replicas: 2
            max_replicas: 4
            interval: 1s
            scale: {kind: deployment, namespace: serving, name: d}
            policy: {name: hpa, target: 10, scale_up_pods: 2}
          - name: b
            model: n
            max_replicas: 3
            scale: {kind: local, gateway: "http://127.0.0.1:8000", instance_kind: KIND_CPU}
            metrics: {source: scrape, gateways: ["http://127.0.0.1:8002/metrics"]}
            policy: {name: slo, latency_target: 100ms, service_time: 20ms}
        """);
    assertEquals(Duration.ofSeconds(5), config.interval());
    assertEquals(AutoscalerConfig.DEFAULT_METRICS_HOST, config.metricsHost());
    assertEquals(0, config.metricsPort());
    assertEquals(Duration.ofSeconds(3), config.prometheus().timeout());
    assertEquals(new Backoff(Duration.ofSeconds(2), Backoff.DEFAULT_MAX, Backoff.DEFAULT_MULTIPLIER), config.retry());
    AutoscalerConfig.Target a = config.targets().get(0);
    assertEquals(new ReplicaBounds(2, 4), a.bounds());
    assertEquals(Duration.ofSeconds(1), a.interval());
    assertEquals(new AutoscalerConfig.Scale.Deployment("serving", "d"), a.scale());
    assertEquals(AutoscalerConfig.Metrics.Prometheus.defaults("m"), a.metrics());
    HpaSpec hpa = (HpaSpec) a.policy();
    assertEquals(10, hpa.target());
    assertEquals(2, hpa.scaleUpPods());
    assertEquals(HpaSpec.DEFAULT_TOLERANCE, hpa.tolerance());
    AutoscalerConfig.Target b = config.targets().get(1);
    assertEquals(new AutoscalerConfig.Scale.LocalInstances(URI.create("http://127.0.0.1:8000"), "KIND_CPU"), b.scale());
    assertEquals(new AutoscalerConfig.Metrics.Scrape(List.of(URI.create("http://127.0.0.1:8002/metrics"))), b.metrics());
    assertEquals(SloSpec.DEFAULT_COLD_START, ((SloSpec) b.policy()).coldStart());
    assertEquals(null, b.interval());
  }

  @Test
  void theShippedExampleLoads() throws Exception {
    assertTrue(ConfigLoader.load(Path.of("examples", "autoscaler.yaml")).targets().size() >= 1);
  }

  static Stream<Arguments> mistakes() {
    String scale = "{kind: deployment, name: d}";
    String policy = "{name: kpa, target: 8}";
    return Stream.of(
        Arguments.of(BASE + "intervl: 2s\n", "unknown key 'intervl' (known here: interval, stale_after, metrics_host, "
            + "metrics_port, prometheus, kubernetes, retry, targets)"),
        Arguments.of(BASE.replace("max_replicas: 4", "max_replicas: 4\n    maxreplicas: 3"), "targets[0]: unknown key "
            + "'maxreplicas' (known here: name, model, min_replicas, max_replicas, interval, scale, metrics, policy)"),
        Arguments.of(BASE.replace(scale, "{kind: deployment, name: d, nmespace: x}"),
            "targets[0].scale: unknown key 'nmespace' (known here: kind, namespace, name)"),
        Arguments.of(BASE.replace(scale, "{kind: pod, name: d}"),
            "targets[0].scale: kind must be one of 'deployment', 'local', got 'pod'"),
        Arguments.of(BASE.replace(scale, "{name: d}"), "targets[0].scale: kind is required"),
        Arguments.of(BASE.replace(scale, "[1]"), "targets[0].scale: expected a mapping"),
        Arguments.of(BASE.replace(policy, "{name: kpa, target: eight}"),
            "targets[0].policy: target must be a number, got 'eight'"),
        Arguments.of(BASE.replace(policy, "{name: kpa, traget: 8}"), "targets[0].policy: unknown key 'traget' (known "
            + "here: name, target, target_utilization, stable_window, panic_window_percentage, "
            + "panic_threshold_percentage, max_scale_up_rate, max_scale_down_rate, scale_down_delay, scale_to_zero_grace)"),
        Arguments.of(BASE.replace(policy, "{name: hpa}"), "targets[0].policy: target is required"),
        Arguments.of(BASE.replace(policy, "{name: slo, latency_target: 1s}"), "targets[0].policy: service_time is required"),
        Arguments.of(BASE.replace(policy, "{name: xpa}"),
            "targets[0].policy: name must be one of 'kpa', 'hpa', 'slo', 'predictive', got 'xpa'"),
        Arguments.of(BASE.replace(policy, "{target: 8}"), "targets[0].policy: name is required"),
        Arguments.of(BASE.replace("max_replicas: 4", "max_replicas: 4.5"),
            "targets[0]: max_replicas must be an integer, got '4.5'"),
        Arguments.of(BASE.replace("max_replicas: 4", "max_replicas: 0"),
            "targets[0]: max_replicas must be >= 1 and >= min_replicas, got min_replicas=1 max_replicas=0"),
        Arguments.of(BASE + "interval: soon\n",
            "interval: not a duration: 'soon' (write a number and a unit: 250ms, 60s, 5m, 1h, 1m30s)"),
        Arguments.of(BASE + "interval: 10ms\n", "interval must be >= 100ms, got 10ms"),
        Arguments.of(BASE.replace("http://p:9090", "not a url"), "prometheus: 'not a url' is not a URL"),
        Arguments.of(BASE + "metrics_port: [1]\n", "metrics_port must be an integer"),
        Arguments.of(BASE.replace(scale, "{kind: local, gateway: 'http://g:8000', instance_kind: KIND_TPU}"),
            "targets[0].scale: scale.instance_kind must be KIND_AUTO, KIND_CPU or KIND_GPU, got KIND_TPU"),
        Arguments.of(BASE.replace("    policy: " + policy, "    policy: " + policy + "\n    metrics: {source: graphite}"),
            "targets[0].metrics: source must be one of 'prometheus', 'scrape', got 'graphite'"),
        Arguments.of(BASE.replace("    policy: " + policy, "    policy: " + policy + "\n    metrics: {source: scrape}"),
            "targets[0].metrics: gateways is required"),
        Arguments.of(BASE.replace("    policy: " + policy, "    policy: " + policy + "\n    metrics: {queu_depth: x}"),
            "targets[0].metrics: unknown key 'queu_depth' (known here: source, demand, queue_depth, queue_age, "
                + "completion_rate)"),
        Arguments.of(BASE + "retry: {initial: 2s, max: 1s}\n", "retry needs 0 < initial <= max, got initial=2s max=1s"));
  }

  @ParameterizedTest
  @MethodSource("mistakes")
  void namesTheMistakeAndWhereItIs(String yaml, String expected) {
    assertEquals(expected, error(yaml));
  }

  @Test
  void emptyOrShapelessFilesAreRefused() {
    assertEquals("the configuration is empty", error(""));
    assertEquals("the configuration: expected a mapping", error("[1, 2]"));
    assertEquals("targets is required", error("prometheus: {url: \"http://p:9090\"}\n"));
    assertEquals("targets: the name 'a' is used twice", error(BASE + """
          - name: a
            model: m
            max_replicas: 4
            scale: {kind: deployment, name: d}
            policy: {name: kpa}
        """));
  }

  @Test
  void simulatorBlocksAreNamedByTheirKey() {
    Map<String, ConfigLoader.SimulatorPolicy> policies = ConfigLoader.simulatorPolicies(
        "kpa: {target: 5, interval: 4s}\nslo: {latency_target: 1s, service_time: 10ms}\n");
    assertEquals(List.of("kpa", "slo"), List.copyOf(policies.keySet()));
    assertEquals(5, ((KpaSpec) policies.get("kpa").spec()).target());
    assertEquals(Duration.ofSeconds(4), policies.get("kpa").interval());
    assertEquals(null, policies.get("slo").interval());
    PredictiveSpec predictive = (PredictiveSpec) ConfigLoader.simulatorPolicies(
        "predictive: {latency_target: 250ms, service_time: 50ms, headroom_deviations: 3, burst_memory: 10m}\n")
        .get("predictive").spec();
    assertEquals(3, predictive.headroomDeviations());
    assertEquals(Duration.ofMinutes(10), predictive.burstMemory());
    assertEquals(PredictiveSpec.DEFAULT_SCALE_DOWN_STABILIZATION, predictive.scaleDownStabilization());
    assertEquals("predictive headroom_deviations must be in [0, 10], got 11.0",
        assertThrows(IllegalArgumentException.class, () -> ConfigLoader.simulatorPolicies(
            "predictive: {latency_target: 250ms, service_time: 50ms, headroom_deviations: 11}\n")).getMessage());
    assertEquals("kpa: unknown key 'traget' (known here: interval, target, target_utilization, stable_window, "
        + "panic_window_percentage, panic_threshold_percentage, max_scale_up_rate, max_scale_down_rate, "
        + "scale_down_delay, scale_to_zero_grace)",
        assertThrows(IllegalArgumentException.class, () -> ConfigLoader.simulatorPolicies("kpa: {traget: 5}\n"))
            .getMessage());
    assertEquals("unknown key 'xpa' (known here: kpa, hpa, slo, predictive)",
        assertThrows(IllegalArgumentException.class, () -> ConfigLoader.simulatorPolicies("xpa: {}\n")).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ConfigLoader.simulatorPolicies("hpa: {target: 2, name: hpa}\n")).getMessage()
        .startsWith("hpa: unknown key 'name' (known here: interval, target, tolerance"));
    assertEquals("kpa: stable_window: not a duration: 'forever' (write a number and a unit: 250ms, 60s, 5m, 1h, 1m30s)",
        assertThrows(IllegalArgumentException.class,
            () -> ConfigLoader.simulatorPolicies("kpa: {stable_window: forever}\n")).getMessage());
  }
}
