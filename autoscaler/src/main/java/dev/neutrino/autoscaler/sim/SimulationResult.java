package dev.neutrino.autoscaler.sim;

/**
 * What one policy did on one trace.
 *
 * @param policy the policy's name
 * @param arrivals requests that arrived
 * @param late requests answered later than the latency target
 * @param dropped requests rejected because the queue was full (or no replica was ready)
 * @param sloViolatingSeconds seconds in which more than {@code 1 - quantile} of the arrivals were late or dropped
 * @param replicaSeconds the integral of the replicas asked for (starting ones included): the cost
 * @param scaleUps decisions that added replicas
 * @param scaleDowns decisions that removed replicas
 * @param maxReplicas the most replicas asked for at once
 * @param p99LatencySeconds the 99th percentile latency of the requests answered (histogram resolution, about 10 %)
 * @param replicas replicas asked for, per second
 * @param readyReplicas ready replicas, per second
 * @param p99PerSecond the p99 latency of each second's arrivals, in seconds (NaN with no arrivals)
 */
public record SimulationResult(
    String policy,
    long arrivals,
    long late,
    long dropped,
    int sloViolatingSeconds,
    double replicaSeconds,
    int scaleUps,
    int scaleDowns,
    int maxReplicas,
    double p99LatencySeconds,
    int[] replicas,
    int[] readyReplicas,
    double[] p99PerSecond) {

  public int scaleEvents() {
    return scaleUps + scaleDowns;
  }

  public long lateOrDropped() {
    return late + dropped;
  }
}
