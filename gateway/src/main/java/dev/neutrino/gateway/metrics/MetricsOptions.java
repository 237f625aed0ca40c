package dev.neutrino.gateway.metrics;

/**
 * What a gateway measures and exports.
 *
 * @param enabled whether requests are measured and {@code /metrics} served at all; off, the request
 *     path records nothing and the statistics extension is unavailable (for measuring what the
 *     instrumentation costs)
 * @param tritonCompatible whether the same facts are also exported under Triton's {@code nv_inference_*}
 *     names and units, so that a Triton dashboard works unchanged
 */
public record MetricsOptions(boolean enabled, boolean tritonCompatible) {
  public static final MetricsOptions DEFAULT = new MetricsOptions(true, false);
  public static final MetricsOptions OFF = new MetricsOptions(false, false);

  public MetricsOptions {
    if (tritonCompatible && !enabled) {
      throw new IllegalArgumentException("Triton-compatible metrics need metrics enabled");
    }
  }
}
