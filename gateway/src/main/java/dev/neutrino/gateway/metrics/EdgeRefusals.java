package dev.neutrino.gateway.metrics;

import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the gateway's edge refused, by reason: connections over the cap or too slow, bodies over the
 * in-flight budget. Counted whether or not metrics are exported (a few adders); exported as
 * {@code neutrino_edge_refusals_total{reason}}. Thread-safe.
 */
public final class EdgeRefusals {
  /** Why something was refused; the {@code reason} label, a bounded set. */
  public enum Reason {
    /** A connection over {@code --max-connections}, closed at once. */
    MAX_CONNECTIONS,
    /** A connection whose request headers did not arrive within {@code --header-read-timeout-ms}. */
    HEADER_TIMEOUT,
    /** A request whose body did not arrive within {@code --body-read-timeout-ms}. */
    BODY_TIMEOUT,
    /** A body (or gRPC message) refused because {@code --max-inflight-request-bytes} was in use. */
    BODY_BUDGET;

    final String label = name().toLowerCase(Locale.ROOT);

    /** The {@code reason} label value. */
    public String label() {
      return label;
    }
  }

  private final LongAdder[] counts = new LongAdder[Reason.values().length];

  EdgeRefusals() {
    for (int i = 0; i < counts.length; i++) {
      counts[i] = new LongAdder();
    }
  }

  public void refused(Reason reason) {
    counts[reason.ordinal()].increment();
  }

  public long count(Reason reason) {
    return counts[reason.ordinal()].sum();
  }
}
