package dev.neutrino.autoscaler.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.autoscaler.AutoscalerConfig;
import dev.neutrino.autoscaler.Direction;
import dev.neutrino.autoscaler.MetricsUnavailableException;
import dev.neutrino.autoscaler.ScaleDecision;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.OptionalDouble;
import java.util.function.DoublePredicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The autoscaler with real parts on loopback: a real Prometheus scraping a gateway metrics endpoint, the
 * autoscaler querying it, and (a) a Deployment in fabric8's Kubernetes mock server in CRUD mode,
 * (b) a model's instance count on a gateway's repository API. The gateway is a fake that serves the
 * gateway's metric names and records repository calls (the real gateway does not export these yet).
 * Decisions run on a fake clock, one tick at a time; the only waiting is for Prometheus to have
 * scraped, bounded.
 */
@EnableKubernetesMockClient(crud = true)
class AutoscalerIntegrationTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration SCRAPE_WAIT = Duration.ofSeconds(30);

  static KubernetesClient client;

  private static FakeGateway gateway;
  private static LocalPrometheus prometheus;
  private static Path prometheusDir;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @BeforeAll
  static void start() throws Exception {
    gateway = FakeGateway.start();
    gateway.set("text_encoder", 40, 0, 0, 1000);
    gateway.set("recommender_mlp", 30, 5, 0.2, 500); // in flight includes the 5 queued, as on the gateway
    prometheusDir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "prometheus-it-");
    prometheus = LocalPrometheus.start(gateway.hostPort(), prometheusDir);
  }

  @AfterAll
  static void stop() {
    if (prometheus != null) {
      prometheus.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (prometheusDir != null) {
      try (Stream<Path> files = Files.walk(prometheusDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        // target/ is cleaned by the build anyway
      }
    }
  }

  private static String prometheusBlock() {
    return "prometheus:\n  url: " + prometheus.url() + "\n  timeout: 2s\n";
  }

  @Test
  void scalesADeploymentFromPrometheusMetrics() throws Exception {
    client.apps().deployments().inNamespace("serving").resource(new DeploymentBuilder()
        .withNewMetadata().withName("neutrino-encoder").endMetadata()
        .withNewSpec().withReplicas(1).endSpec().build()).create();
    AutoscalerConfig config = AutoscalerConfig.parse(prometheusBlock() + """
        targets:
          - name: encoder
            model: text_encoder
            min_replicas: 1
            max_replicas: 10
            scale:
              kind: deployment
              namespace: serving
              name: neutrino-encoder
            policy:
              name: kpa
              target: 10
              target_utilization: 1.0
        """);
    AutoscalerConfig.Target target = config.targets().get(0);
    awaitQuery(config, target, v -> v == 40);

    FakeClock clock = new FakeClock();
    CollectorRegistry registry = new CollectorRegistry();
    TargetController controller =
        Autoscaler.controller(config, target, HTTP, client, new AutoscalerMetrics(registry), clock, false);
    ScaleDecision up = controller.tick().orElseThrow();
    assertEquals(Direction.UP, up.direction(), up.reason());
    assertEquals(4, up.desired(), up.reason());
    assertEquals(4, deploymentReplicas());
    assertEquals(4.0, registry.getSampleValue("neutrino_autoscaler_desired_replicas",
        new String[] {"target"}, new String[] {"encoder"}));
    assertEquals(1.0, registry.getSampleValue("neutrino_autoscaler_decisions_total",
        new String[] {"target", "direction"}, new String[] {"encoder", "up"}));

    clock.advance(Duration.ofSeconds(2));
    ScaleDecision steady = controller.tick().orElseThrow();
    assertEquals(Direction.HOLD, steady.direction(), steady.reason());

    // Outage: the gateway stops answering scrapes, Prometheus marks the series stale, the autoscaler holds.
    gateway.metricsDown(true);
    try {
      awaitNoSeries(config, target);
      clock.advance(Duration.ofSeconds(12));
      ScaleDecision held = controller.tick().orElseThrow();
      assertEquals(Direction.HOLD, held.direction(), held.reason());
      assertTrue(held.reason().startsWith("no metrics"), held.reason());
      assertEquals(4, deploymentReplicas());
    } finally {
      gateway.metricsDown(false);
    }
  }

  @Test
  void scalesModelInstancesOnTheGatewayAndRetriesFailedLoadsWithBackoff() throws Exception {
    gateway.instances("recommender_mlp", 1);
    AutoscalerConfig config = AutoscalerConfig.parse(prometheusBlock() + """
        retry:
          initial: 1s
          max: 30s
        targets:
          - name: recommender
            model: recommender_mlp
            max_replicas: 8
            scale:
              kind: local
              gateway: %s
            policy:
              name: kpa
              target: 10
              target_utilization: 1.0
        """.formatted(gateway.base()));
    AutoscalerConfig.Target target = config.targets().get(0);
    awaitQuery(config, target, v -> v == 30);

    FakeClock clock = new FakeClock();
    CollectorRegistry registry = new CollectorRegistry();
    TargetController controller =
        Autoscaler.controller(config, target, HTTP, null, new AutoscalerMetrics(registry), clock, false);
    int before = gateway.loads().size();
    gateway.failNextLoads(1);

    ScaleDecision first = controller.tick().orElseThrow();
    assertEquals(3, first.desired(), first.reason());
    assertEquals(before + 1, gateway.loads().size(), "one load attempted");
    assertEquals(1, gateway.instances("recommender_mlp"), "the failed load changed nothing");
    assertEquals(1.0, registry.getSampleValue("neutrino_autoscaler_actuation_failures_total",
        new String[] {"target"}, new String[] {"recommender"}));

    clock.advance(Duration.ofMillis(500));
    ScaleDecision waiting = controller.tick().orElseThrow();
    assertEquals(3, waiting.desired());
    assertEquals(before + 1, gateway.loads().size(), "no retry before the back-off (1s) has passed");

    clock.advance(Duration.ofSeconds(1));
    controller.tick().orElseThrow();
    assertEquals(before + 2, gateway.loads().size(), "retried after the back-off");
    assertEquals(3, gateway.instances("recommender_mlp"));
    JsonNode body = JSON.readTree(gateway.loads().get(gateway.loads().size() - 1));
    JsonNode override = JSON.readTree(body.path("parameters").path("config").asText());
    assertEquals(3, override.path("instance_group").path(0).path("count").asInt(), body.toString());
    assertEquals("KIND_CPU", override.path("instance_group").path(0).path("kind").asText(), "keeps the model's kind");

    clock.advance(Duration.ofSeconds(2));
    ScaleDecision settled = controller.tick().orElseThrow();
    assertEquals(Direction.HOLD, settled.direction(), settled.reason());
  }

  @Test
  void scrapesGatewaysDirectlyWhereNoPrometheusRunsAndExportsItsOwnMetrics() throws Exception {
    gateway.set("scraped_model", 60, 10, 0.3, 100);
    gateway.instances("scraped_model", 2);
    AutoscalerConfig config = AutoscalerConfig.parse("""
        metrics_host: 127.0.0.1
        metrics_port: 0
        targets:
          - name: scraped
            model: scraped_model
            max_replicas: 8
            scale:
              kind: local
              gateway: %s
            metrics:
              source: scrape
              gateways: [%s]
            policy:
              name: kpa
              target: 10
              target_utilization: 1.0
        """.formatted(gateway.base(), gateway.metricsUri()));
    try (Autoscaler autoscaler = Autoscaler.create(config, new FakeClock(), false)) {
      autoscaler.runOnce();
      assertEquals(6, gateway.instances("scraped_model"), "60 in flight (10 of them queued) / 10 per instance");
      HttpResponse<String> own = HTTP.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + autoscaler.metricsPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      double desired = PrometheusText.parse(own.body()).stream()
          .filter(s -> s.name().equals("neutrino_autoscaler_desired_replicas") && "scraped".equals(s.labels().get("target")))
          .findFirst().orElseThrow().value();
      assertEquals(6, desired);
    }
  }

  private static int deploymentReplicas() {
    return client.apps().deployments().inNamespace("serving").withName("neutrino-encoder").get().getSpec().getReplicas();
  }

  /** Waits (bounded) until the target's demand query answers a value matching {@code ok}. */
  private static void awaitQuery(AutoscalerConfig config, AutoscalerConfig.Target target, DoublePredicate ok)
      throws InterruptedException {
    PrometheusQuerySource source = new PrometheusQuerySource(HTTP, config.prometheus(),
        (AutoscalerConfig.Metrics.Prometheus) target.metrics());
    Instant deadline = Instant.now().plus(SCRAPE_WAIT);
    OptionalDouble last = OptionalDouble.empty();
    String why = "";
    while (Instant.now().isBefore(deadline)) {
      try {
        last = OptionalDouble.of(source.read(Instant.now()).demand());
        if (ok.test(last.getAsDouble())) {
          return;
        }
      } catch (MetricsUnavailableException e) {
        why = e.getMessage();
      }
      Thread.sleep(200);
    }
    fail("prometheus never answered the expected demand for " + target.model() + "; last " + last + " " + why);
  }

  /** Waits (bounded) until the target's demand query has no series (a scrape failed, the series went stale). */
  private static void awaitNoSeries(AutoscalerConfig config, AutoscalerConfig.Target target)
      throws InterruptedException, IOException {
    PrometheusQuerySource source = new PrometheusQuerySource(HTTP, config.prometheus(),
        (AutoscalerConfig.Metrics.Prometheus) target.metrics());
    Instant deadline = Instant.now().plus(SCRAPE_WAIT);
    while (Instant.now().isBefore(deadline)) {
      try {
        source.read(Instant.now());
      } catch (MetricsUnavailableException expected) {
        return;
      }
      Thread.sleep(200);
    }
    fail("the series of " + target.model() + " did not go stale in prometheus");
  }
}
