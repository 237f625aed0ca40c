package dev.neutrino.autoscaler.sim;

import dev.neutrino.autoscaler.DurationText;
import dev.neutrino.autoscaler.ReplicaBounds;
import java.time.Duration;
import java.util.Objects;

/**
 * The simulated system: replicas that each serve {@code replicaConcurrency} requests at once, each in
 * {@code serviceTime}, become ready {@code coldStart} after being asked for, and queue at most
 * {@code queueLimitPerReplica} requests each (further arrivals are rejected, like a full queue's 429).
 *
 * @param serviceTime the time one request takes on a replica
 * @param replicaConcurrency requests one replica serves at once
 * @param coldStart from asking for a replica to it serving
 * @param latencyTarget a request answered later than this is late
 * @param sloQuantile the share of a second's requests that must be on time (0.99: its p99 within target)
 * @param queueLimitPerReplica queued requests per ready replica before arrivals are rejected
 * @param bounds min and max replicas, for every policy
 * @param initialReplicas replicas at second 0, all ready; 0 means enough for the first second's rate
 * @param seed the seed of the arrival process (Poisson, per second at the trace's rate)
 */
public record SimulationSettings(
    Duration serviceTime,
    int replicaConcurrency,
    Duration coldStart,
    Duration latencyTarget,
    double sloQuantile,
    int queueLimitPerReplica,
    ReplicaBounds bounds,
    int initialReplicas,
    long seed) {

  public static final Duration DEFAULT_SERVICE_TIME = Duration.ofMillis(50);
  public static final int DEFAULT_REPLICA_CONCURRENCY = 4;
  public static final Duration DEFAULT_COLD_START = Duration.ofSeconds(30);
  public static final Duration DEFAULT_LATENCY_TARGET = Duration.ofMillis(250);
  public static final double DEFAULT_SLO_QUANTILE = 0.99;
  public static final int DEFAULT_QUEUE_LIMIT_PER_REPLICA = 100;
  public static final ReplicaBounds DEFAULT_BOUNDS = new ReplicaBounds(1, 50);
  public static final long DEFAULT_SEED = 1;

  public SimulationSettings {
    Objects.requireNonNull(serviceTime, "service time");
    Objects.requireNonNull(coldStart, "cold start");
    Objects.requireNonNull(latencyTarget, "latency target");
    Objects.requireNonNull(bounds, "bounds");
    if (serviceTime.compareTo(Duration.ZERO) <= 0 || latencyTarget.compareTo(serviceTime) <= 0) {
      throw new IllegalArgumentException("need 0 < service time < latency target, got service time "
          + DurationText.format(serviceTime) + " and latency target " + DurationText.format(latencyTarget));
    }
    if (replicaConcurrency < 1) {
      throw new IllegalArgumentException("replica concurrency must be >= 1, got " + replicaConcurrency);
    }
    if (coldStart.isNegative()) {
      throw new IllegalArgumentException("cold start must be >= 0");
    }
    if (!(sloQuantile > 0 && sloQuantile < 1)) {
      throw new IllegalArgumentException("SLO quantile must be in (0, 1), got " + sloQuantile);
    }
    if (queueLimitPerReplica < 0) {
      throw new IllegalArgumentException("queue limit must be >= 0, got " + queueLimitPerReplica);
    }
    if (initialReplicas < 0) {
      throw new IllegalArgumentException("initial replicas must be >= 0, got " + initialReplicas);
    }
  }

  public static SimulationSettings defaults() {
    return new SimulationSettings(DEFAULT_SERVICE_TIME, DEFAULT_REPLICA_CONCURRENCY, DEFAULT_COLD_START,
        DEFAULT_LATENCY_TARGET, DEFAULT_SLO_QUANTILE, DEFAULT_QUEUE_LIMIT_PER_REPLICA, DEFAULT_BOUNDS, 0,
        DEFAULT_SEED);
  }

  public SimulationSettings withSeed(long newSeed) {
    return new SimulationSettings(serviceTime, replicaConcurrency, coldStart, latencyTarget, sloQuantile,
        queueLimitPerReplica, bounds, initialReplicas, newSeed);
  }

  /** Requests per second one replica completes. */
  public double replicaThroughput() {
    return replicaConcurrency / (serviceTime.toNanos() / 1e9);
  }
}
