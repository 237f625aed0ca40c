package dev.neutrino.autoscaler;

/**
 * A policy and its parameters as configured (the {@code policy:} block of a target). Immutable and
 * validated on construction; {@link #policy()} builds the pure {@link ScalingPolicy} it describes.
 */
public sealed interface PolicySpec permits KpaSpec, HpaSpec, SloSpec, PredictiveSpec {

  /** {@code kpa}, {@code hpa}, {@code slo} or {@code predictive}. */
  String name();

  ScalingPolicy<?> policy();
}
