package dev.neutrino.autoscaler.internal;

import dev.neutrino.autoscaler.AutoscalerConfig;
import dev.neutrino.autoscaler.AutoscalerConfig.Metrics;
import dev.neutrino.autoscaler.AutoscalerConfig.Scale;
import dev.neutrino.autoscaler.Decider;
import dev.neutrino.autoscaler.MetricSource;
import dev.neutrino.autoscaler.ReplicaActuator;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;
import io.prometheus.client.hotspot.DefaultExports;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The autoscaler process: one {@link TargetController} per configured target, each ticked at its
 * interval on a small scheduled pool ({@code autoscaler-loop-N} threads; a target's ticks never
 * overlap), and the autoscaler's own {@code /metrics} on its port. {@link #close()} stops both.
 */
public final class Autoscaler implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger("dev.neutrino.autoscaler");
  private static final Duration HTTP_CONNECT_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration SCRAPE_TIMEOUT = Duration.ofSeconds(2);
  /** Loading a model with new instances can take a while; the loop waits this long at most. */
  private static final Duration GATEWAY_TIMEOUT = Duration.ofSeconds(30);

  private final List<TargetController> controllers;
  private final KubernetesClient kubernetes;
  private final HTTPServer metricsServer;
  private ScheduledExecutorService loop;

  private Autoscaler(List<TargetController> controllers, KubernetesClient kubernetes, HTTPServer metricsServer) {
    this.controllers = controllers;
    this.kubernetes = kubernetes;
    this.metricsServer = metricsServer;
  }

  /** Builds every target and opens the metrics port; nothing is decided until {@link #start} or {@link #runOnce}. */
  public static Autoscaler create(AutoscalerConfig config, InstantSource clock, boolean dryRun) throws IOException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(HTTP_CONNECT_TIMEOUT).build();
    CollectorRegistry registry = new CollectorRegistry(true);
    DefaultExports.register(registry);
    AutoscalerMetrics metrics = new AutoscalerMetrics(registry);
    KubernetesClient kubernetes = null;
    if (config.targets().stream().anyMatch(t -> t.scale() instanceof Scale.Deployment)) {
      kubernetes = KubernetesActuator.connect(config.kubernetes());
    }
    List<TargetController> controllers = new ArrayList<>();
    for (AutoscalerConfig.Target t : config.targets()) {
      TargetController c = controller(config, t, http, kubernetes, metrics, clock, dryRun);
      controllers.add(c);
      LOG.info("target=" + t.name() + " policy=" + t.policy() + " bounds=" + t.bounds() + " interval="
          + config.intervalOf(t) + " metrics: " + c.source().describe() + " scales: " + c.actuator().describe());
    }
    HTTPServer server = new HTTPServer.Builder()
        .withHostname(config.metricsHost()).withPort(config.metricsPort())
        .withRegistry(registry).withDaemonThreads(true).build();
    return new Autoscaler(List.copyOf(controllers), kubernetes, server);
  }

  /**
   * The controller of one configured target.
   *
   * @param kubernetes the client for Deployment targets (not owned), or null when there are none
   */
  public static TargetController controller(AutoscalerConfig config, AutoscalerConfig.Target t, HttpClient http,
      KubernetesClient kubernetes, AutoscalerMetrics metrics, InstantSource clock, boolean dryRun) {
    MetricSource source = t.metrics() instanceof Metrics.Prometheus p
        ? new PrometheusQuerySource(http, config.prometheus(), p)
        : new ScrapeSource(http, ((Metrics.Scrape) t.metrics()).gateways(), t.model(), SCRAPE_TIMEOUT);
    ReplicaActuator actuator = t.scale() instanceof Scale.Deployment d
        ? new KubernetesActuator(java.util.Objects.requireNonNull(kubernetes, "kubernetes client"), d)
        : localActuator(http, t, (Scale.LocalInstances) t.scale());
    Decider<?> decider = Decider.of(t.policy(), t.bounds(), config.staleAfter());
    return new TargetController(t.name(), source, actuator, decider, config.retry(), metrics, clock, dryRun);
  }

  private static ReplicaActuator localActuator(HttpClient http, AutoscalerConfig.Target t, Scale.LocalInstances l) {
    return new LocalGatewayActuator(http, l.gateway(), t.model(), l.instanceKind(), GATEWAY_TIMEOUT);
  }

  public int metricsPort() {
    return metricsServer.getPort();
  }

  /** Ticks every target once, in order. */
  public void runOnce() {
    controllers.forEach(TargetController::tick);
  }

  /** Starts ticking every target at its interval. */
  public synchronized void start(AutoscalerConfig config) {
    AtomicInteger n = new AtomicInteger();
    loop = Executors.newScheduledThreadPool(Math.min(4, controllers.size()), r -> {
      Thread t = new Thread(r, "autoscaler-loop-" + n.incrementAndGet());
      t.setDaemon(false);
      return t;
    });
    for (int i = 0; i < controllers.size(); i++) {
      long millis = config.intervalOf(config.targets().get(i)).toMillis();
      loop.scheduleWithFixedDelay(controllers.get(i)::tick, 0, millis, TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public synchronized void close() {
    if (loop != null) {
      loop.shutdownNow();
      try {
        loop.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    metricsServer.close();
    controllers.forEach(c -> c.actuator().close());
    if (kubernetes != null) {
      kubernetes.close();
    }
  }
}
