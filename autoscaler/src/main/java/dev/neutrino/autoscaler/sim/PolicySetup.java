package dev.neutrino.autoscaler.sim;

import dev.neutrino.autoscaler.DurationText;
import dev.neutrino.autoscaler.HpaSpec;
import dev.neutrino.autoscaler.KpaSpec;
import dev.neutrino.autoscaler.PolicySpec;
import dev.neutrino.autoscaler.PredictiveSpec;
import dev.neutrino.autoscaler.SloSpec;
import dev.neutrino.autoscaler.internal.ConfigLoader;
import java.time.Duration;
import java.util.Objects;

/**
 * A policy as the simulator runs it: its parameters and how often it decides (whole seconds: the
 * simulated metrics are sampled once a second).
 */
public record PolicySetup(PolicySpec spec, Duration interval) {

  /** Knative's autoscaler ticks every 2 s. */
  public static final Duration KPA_INTERVAL = Duration.ofSeconds(2);
  /** The HPA controller's default sync period. */
  public static final Duration HPA_INTERVAL = Duration.ofSeconds(15);
  public static final Duration SLO_INTERVAL = Duration.ofSeconds(2);
  /** The predictive policy decides on every sample: a second earlier is a second less of a burst unserved. */
  public static final Duration PREDICTIVE_INTERVAL = Duration.ofSeconds(1);
  /** The share of a replica's concurrency the kpa and hpa defaults aim at (Knative's 70 %). */
  public static final double DEFAULT_UTILIZATION = 0.7;

  public PolicySetup {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(interval, "interval");
    if (interval.toMillis() < 1000 || interval.toMillis() % 1000 != 0) {
      throw new IllegalArgumentException(
          spec.name() + " interval must be a whole number of seconds, got " + DurationText.format(interval));
    }
  }

  /**
   * The policy with the parameters a user would start from for the simulated replicas: kpa with a
   * concurrency target of one replica's concurrency at 70 %, hpa with an average in-flight target of
   * the same, slo with the simulated latency target, service time, concurrency and cold start.
   */
  public static PolicySetup defaultFor(String name, SimulationSettings s) {
    return switch (name) {
      case "kpa" -> new PolicySetup(
          KpaSpec.defaults().withTarget(s.replicaConcurrency(), DEFAULT_UTILIZATION), KPA_INTERVAL);
      case "hpa" -> new PolicySetup(HpaSpec.withTarget(s.replicaConcurrency() * DEFAULT_UTILIZATION), HPA_INTERVAL);
      case "slo" -> new PolicySetup(
          SloSpec.of(s.latencyTarget(), s.serviceTime(), s.replicaConcurrency(), s.coldStart()), SLO_INTERVAL);
      case "predictive" -> new PolicySetup(PredictiveSpec.of(s.latencyTarget(), s.serviceTime(),
          s.replicaConcurrency(), s.coldStart()), PREDICTIVE_INTERVAL);
      default -> throw new IllegalArgumentException("unknown policy '" + name + "': kpa, hpa, slo or predictive");
    };
  }

  /**
   * {@link #defaultFor} the named policy, with a user's block from a policy configuration (as
   * {@code simulate --policy-config} reads it) in its place where there is one: its parameters, and
   * its interval where it gives one.
   *
   * @param override null for none
   */
  public static PolicySetup of(String name, SimulationSettings s, ConfigLoader.SimulatorPolicy override) {
    PolicySetup base = defaultFor(name, s);
    if (override == null) {
      return base;
    }
    return new PolicySetup(override.spec(), override.interval() != null ? override.interval() : base.interval());
  }

  public String name() {
    return spec.name();
  }
}
