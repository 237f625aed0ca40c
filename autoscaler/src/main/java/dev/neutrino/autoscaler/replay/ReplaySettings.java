package dev.neutrino.autoscaler.replay;

import dev.neutrino.autoscaler.DurationText;
import dev.neutrino.autoscaler.ReplicaBounds;
import dev.neutrino.autoscaler.internal.ConfigLoader;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How to replay a trace against a real gateway.
 *
 * @param policy the policy's name: kpa, hpa, slo or predictive
 * @param policyOverride parameters and interval from a {@code --policy-config} block, or null for the
 *     policy's defaults for the measured replica (as {@code autoscale simulate} builds them)
 * @param speedup trace seconds per wall second
 * @param peakRate requests per wall second at the trace's peak, or NaN for 70 % of the most replicas'
 *     capacity at the measured service time; every trace rate is divided by the same factor
 * @param gateway a running gateway's HTTP address, or null to start one of the replay's own
 * @param metrics the gateway's {@code /metrics} address, or null: the own gateway's, or port 8002 of {@code gateway}
 * @param prometheus a Prometheus binary to start and read the metrics from, or null to scrape the gateway
 * @param gatewayJar the gateway's jar, for starting its own
 * @param modelRepository the repository its own gateway serves
 * @param model the model whose instances are scaled
 * @param replicaConcurrency requests one instance serves at once, for the simulation and the policy
 * @param latencyTarget a request answered later than this is late
 * @param sloQuantile the share of a second's requests that must be on time
 * @param bounds the fewest and most instances
 * @param initialReplicas instances at the start
 * @param seed the seed of the arrivals, for the load and the simulation
 * @param maxWall the longest a replay may take (trace length / speedup); a longer one is refused
 */
public record ReplaySettings(
    String policy,
    ConfigLoader.SimulatorPolicy policyOverride,
    double speedup,
    double peakRate,
    URI gateway,
    URI metrics,
    Path prometheus,
    Path gatewayJar,
    Path modelRepository,
    String model,
    int replicaConcurrency,
    Duration latencyTarget,
    double sloQuantile,
    ReplicaBounds bounds,
    int initialReplicas,
    long seed,
    Duration maxWall) {

  public static final double DEFAULT_SPEEDUP = 60;
  public static final String DEFAULT_MODEL = "text_encoder";
  public static final int DEFAULT_REPLICA_CONCURRENCY = 1;
  public static final ReplicaBounds DEFAULT_BOUNDS = new ReplicaBounds(1, 2);
  public static final Duration DEFAULT_MAX_WALL = Duration.ofMinutes(15);
  /** The gateway's own default metrics port, where {@code --url} names a gateway started elsewhere. */
  public static final int GATEWAY_METRICS_PORT = 8002;

  public ReplaySettings {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(latencyTarget, "latency target");
    Objects.requireNonNull(bounds, "bounds");
    Objects.requireNonNull(maxWall, "max wall");
    if (!(speedup > 0) || Double.isInfinite(speedup)) {
      throw new IllegalArgumentException("--speedup must be a positive number, got " + speedup);
    }
    if (!Double.isNaN(peakRate) && !(peakRate > 0 && peakRate <= 100_000)) {
      throw new IllegalArgumentException("--peak-rate must be above 0 and at most 100000 requests/s, got " + peakRate);
    }
    if (gateway == null && (gatewayJar == null || modelRepository == null)) {
      throw new IllegalArgumentException("without --url the replay starts its own gateway and needs its jar and "
          + "model repository");
    }
    if (replicaConcurrency < 1) {
      throw new IllegalArgumentException("--replica-concurrency must be >= 1, got " + replicaConcurrency);
    }
    if (latencyTarget.compareTo(Duration.ZERO) <= 0) {
      throw new IllegalArgumentException("--latency-target must be positive, got " + DurationText.format(latencyTarget));
    }
    if (!(sloQuantile > 0 && sloQuantile < 1)) {
      throw new IllegalArgumentException("--slo-quantile must be in (0, 1), got " + sloQuantile);
    }
    if (initialReplicas < Math.max(1, bounds.min()) || initialReplicas > bounds.max()) {
      throw new IllegalArgumentException("--initial must be within [max(1, --min), --max] = [" + Math.max(1, bounds.min())
          + ", " + bounds.max() + "], got " + initialReplicas);
    }
  }

  /** The metrics address to scrape given the gateway actually used. */
  URI metricsOf(URI http, URI ownMetrics) {
    if (metrics != null) {
      return metrics;
    }
    if (ownMetrics != null) {
      return ownMetrics;
    }
    return URI.create("http://" + http.getHost() + ":" + GATEWAY_METRICS_PORT + "/metrics");
  }
}
