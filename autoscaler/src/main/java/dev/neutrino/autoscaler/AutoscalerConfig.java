package dev.neutrino.autoscaler;

import dev.neutrino.autoscaler.internal.ConfigLoader;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The autoscaler's configuration: one YAML file ({@code --config}), loaded by {@link #load(Path)} into
 * immutable records validated on construction. Unknown keys are an error that names them. The format,
 * with every key and default, is in {@code autoscaler/README.md}.
 *
 * @param interval how often each target is decided, unless the target sets its own
 * @param staleAfter a sample older than this when a decision is due counts as no metrics
 * @param metricsHost the address the autoscaler's own {@code /metrics} listens on
 * @param metricsPort its port; 0 picks a free one
 * @param prometheus the Prometheus server, required when a target reads from it
 * @param kubernetes how to reach Kubernetes, for Deployment targets
 * @param retry the back-off for failed actuations
 * @param targets what to scale
 */
public record AutoscalerConfig(
    Duration interval,
    Duration staleAfter,
    String metricsHost,
    int metricsPort,
    PrometheusServer prometheus,
    Kubernetes kubernetes,
    Backoff retry,
    List<Target> targets) {

  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);
  public static final String DEFAULT_METRICS_HOST = "127.0.0.1";
  public static final int DEFAULT_METRICS_PORT = 9464;

  public AutoscalerConfig {
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(staleAfter, "stale_after");
    Objects.requireNonNull(metricsHost, "metrics_host");
    Objects.requireNonNull(kubernetes, "kubernetes");
    Objects.requireNonNull(retry, "retry");
    targets = List.copyOf(targets);
    if (interval.compareTo(Duration.ofMillis(100)) < 0) {
      throw new IllegalArgumentException("interval must be >= 100ms, got " + DurationText.format(interval));
    }
    if (metricsPort < 0 || metricsPort > 65535) {
      throw new IllegalArgumentException("metrics_port must be in [0, 65535], got " + metricsPort);
    }
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("targets: at least one target is needed");
    }
    Set<String> names = new HashSet<>();
    for (Target t : targets) {
      if (!names.add(t.name())) {
        throw new IllegalArgumentException("targets: the name '" + t.name() + "' is used twice");
      }
      if (t.metrics() instanceof Metrics.Prometheus && prometheus == null) {
        throw new IllegalArgumentException(
            "target '" + t.name() + "' reads metrics from Prometheus but no prometheus.url is configured");
      }
    }
  }

  /** Loads and validates a configuration file. */
  public static AutoscalerConfig load(Path file) throws IOException {
    return ConfigLoader.load(file);
  }

  /** Parses and validates configuration text (YAML). */
  public static AutoscalerConfig parse(String yaml) {
    return ConfigLoader.parse(yaml);
  }

  /** The interval a target is decided at: its own, or the global one. */
  public Duration intervalOf(Target target) {
    return target.interval() != null ? target.interval() : interval;
  }

  /**
   * One thing to scale.
   *
   * @param name a unique name, used in logs and as the metrics' {@code target} label
   * @param model the model whose metrics drive it (the gateway's {@code model} label)
   * @param bounds min and max replicas
   * @param interval its own decision interval, or null for the global one
   * @param scale what is scaled
   * @param metrics where its metrics come from
   * @param policy how it is decided
   */
  public record Target(
      String name, String model, ReplicaBounds bounds, Duration interval, Scale scale, Metrics metrics,
      PolicySpec policy) {

    public Target {
      requireText(name, "target name");
      requireText(model, "target '" + name + "' model");
      Objects.requireNonNull(bounds, "bounds");
      Objects.requireNonNull(scale, "scale");
      Objects.requireNonNull(metrics, "metrics");
      Objects.requireNonNull(policy, "policy");
    }
  }

  /** What a target scales. */
  public sealed interface Scale permits Scale.Deployment, Scale.LocalInstances {

    /** A Kubernetes Deployment, through its scale subresource. */
    record Deployment(String namespace, String name) implements Scale {
      public Deployment {
        requireText(namespace, "scale.namespace");
        requireText(name, "scale.name");
      }
    }

    /**
     * The instance count of the target's model on one gateway, through the repository API.
     *
     * @param gateway the gateway's HTTP base URL, e.g. {@code http://127.0.0.1:8000}
     * @param instanceKind the {@code instance_group} kind to ask for; null keeps the kind the model has
     */
    record LocalInstances(URI gateway, String instanceKind) implements Scale {
      public LocalInstances {
        Objects.requireNonNull(gateway, "scale.gateway");
        if (instanceKind != null && !Set.of("KIND_AUTO", "KIND_CPU", "KIND_GPU").contains(instanceKind)) {
          throw new IllegalArgumentException(
              "scale.instance_kind must be KIND_AUTO, KIND_CPU or KIND_GPU, got " + instanceKind);
        }
      }
    }
  }

  /** Where a target's metrics come from. */
  public sealed interface Metrics permits Metrics.Prometheus, Metrics.Scrape {

    /**
     * PromQL expressions evaluated with {@code /api/v1/query}. Only {@code demand} is required; an
     * empty optional expression is not queried.
     */
    record Prometheus(String demand, String queueDepth, String queueAge, String completionRate) implements Metrics {
      public Prometheus {
        requireText(demand, "metrics.demand");
        queueDepth = queueDepth == null ? "" : queueDepth;
        queueAge = queueAge == null ? "" : queueAge;
        completionRate = completionRate == null ? "" : completionRate;
      }

      /**
       * The default expressions for a model, from the gateway's own metric names: demand is the
       * in-flight requests (the gateway counts queued ones among them) summed over replicas.
       */
      public static Prometheus defaults(String model) {
        String m = "{model=\"" + model.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
        return new Prometheus(
            "sum(neutrino_inflight_requests" + m + ")",
            "sum(neutrino_queue_depth" + m + ")",
            "max(neutrino_queue_oldest_age_seconds" + m + ")",
            "sum(rate(neutrino_requests_total" + m + "[1m]))");
      }
    }

    /** The gateways' {@code /metrics} endpoints, scraped directly; every one must answer. */
    record Scrape(List<URI> gateways) implements Metrics {
      public Scrape {
        gateways = List.copyOf(gateways);
        if (gateways.isEmpty()) {
          throw new IllegalArgumentException("metrics.gateways: at least one gateway metrics URL is needed");
        }
      }
    }
  }

  /**
   * @param url the server's base URL, e.g. {@code http://prometheus:9090}
   * @param timeout the timeout of one query
   */
  public record PrometheusServer(URI url, Duration timeout) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    public PrometheusServer {
      Objects.requireNonNull(url, "prometheus.url");
      Objects.requireNonNull(timeout, "prometheus.timeout");
    }
  }

  /**
   * How to reach Kubernetes. Both null: in-cluster configuration inside a pod, otherwise
   * {@code $KUBECONFIG} or {@code ~/.kube/config} with its current context.
   *
   * @param kubeconfig a kubeconfig file, or null
   * @param context a context in it, or null for its current one
   * @param timeout the timeout of one API request
   */
  public record Kubernetes(String kubeconfig, String context, Duration timeout) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    public Kubernetes {
      Objects.requireNonNull(timeout, "kubernetes.timeout");
    }

    public static Kubernetes defaults() {
      return new Kubernetes(null, null, DEFAULT_TIMEOUT);
    }
  }

  private static void requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " is required");
    }
  }
}
