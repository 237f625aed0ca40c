package dev.neutrino.autoscaler.internal;

import dev.neutrino.autoscaler.Direction;
import dev.neutrino.autoscaler.ScaleDecision;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;

/**
 * The autoscaler's own metrics, declared once and registered in the registry given (never the
 * global default one). Labels: {@code target} (a configured target name), {@code policy},
 * {@code direction} ({@code up}, {@code down}, {@code hold}). Thread-safe.
 */
public final class AutoscalerMetrics {

  private final Gauge desired;
  private final Gauge current;
  private final Gauge ready;
  private final Gauge panic;
  private final Gauge stableDemand;
  private final Gauge panicDemand;
  private final Counter decisions;
  private final Counter metricFailures;
  private final Counter actuationFailures;

  public AutoscalerMetrics(CollectorRegistry registry) {
    desired = Gauge.build("neutrino_autoscaler_desired_replicas", "Replicas the last decision asked for.")
        .labelNames("target").register(registry);
    current = Gauge.build("neutrino_autoscaler_current_replicas", "Replicas asked for before the last decision.")
        .labelNames("target").register(registry);
    ready = Gauge.build("neutrino_autoscaler_ready_replicas", "Ready replicas seen by the last decision.")
        .labelNames("target").register(registry);
    panic = Gauge.build("neutrino_autoscaler_panic_mode", "1 while the policy panics (kpa), misses the target (slo) or sees the rate rising (predictive).")
        .labelNames("target").register(registry);
    stableDemand = Gauge.build("neutrino_autoscaler_stable_demand",
            "Demand over the long window: requests in the system (kpa, hpa), arrivals per second (slo, predictive).")
        .labelNames("target", "policy").register(registry);
    panicDemand = Gauge.build("neutrino_autoscaler_panic_demand",
            "Demand over the short window (kpa, requests) or projected a cold start ahead (slo, predictive: arrivals per second).")
        .labelNames("target", "policy").register(registry);
    decisions = Counter.build("neutrino_autoscaler_decisions_total", "Decisions, by direction.")
        .labelNames("target", "direction").register(registry);
    metricFailures = Counter.build("neutrino_autoscaler_metric_read_failures_total",
            "Metric reads that failed (the target held).")
        .labelNames("target").register(registry);
    actuationFailures = Counter.build("neutrino_autoscaler_actuation_failures_total",
            "Reads or changes of replicas that failed (retried with back-off).")
        .labelNames("target").register(registry);
  }

  public void record(String target, ScaleDecision d) {
    desired.labels(target).set(d.desired());
    current.labels(target).set(d.current());
    ready.labels(target).set(d.ready());
    panic.labels(target).set(d.panicking() ? 1 : 0);
    stableDemand.labels(target, d.policy()).set(d.stableDemand());
    panicDemand.labels(target, d.policy()).set(d.panicDemand());
    decisions.labels(target, d.direction().label()).inc();
  }

  /** Makes every direction visible from the start, at zero. */
  public void declare(String target) {
    for (Direction d : Direction.values()) {
      decisions.labels(target, d.label());
    }
    metricFailures.labels(target);
    actuationFailures.labels(target);
  }

  public void metricReadFailed(String target) {
    metricFailures.labels(target).inc();
  }

  public void actuationFailed(String target) {
    actuationFailures.labels(target).inc();
  }
}
