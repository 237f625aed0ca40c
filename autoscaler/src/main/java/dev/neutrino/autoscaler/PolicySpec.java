package dev.neutrino.autoscaler;

/**
 * A policy and its parameters as configured (the {@code policy:} block of a target). Immutable and
 * validated on construction; {@link #policy()} builds the pure {@link ScalingPolicy} it describes.
 */
public sealed interface PolicySpec permits KpaSpec, HpaSpec, SloSpec {

  /** {@code kpa}, {@code hpa} or {@code slo}. */
  String name();

  ScalingPolicy<?> policy();
}
