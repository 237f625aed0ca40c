package dev.neutrino.autoscaler;

import java.time.Instant;

/**
 * Where a target's metrics come from: the Prometheus HTTP API, or a direct scrape of gateways.
 * Implementations do blocking I/O with bounded timeouts and are used by one loop thread at a time.
 */
public interface MetricSource {

  /**
   * Reads the target's metrics, stamping the sample with {@code now}.
   *
   * @throws MetricsUnavailableException when the demand cannot be read (the source is down, the query
   *     fails or returns nothing): the autoscaler then holds
   */
  MetricSample read(Instant now) throws MetricsUnavailableException;

  /** A short description for logs: the URL and query or the gateways scraped. */
  String describe();
}
