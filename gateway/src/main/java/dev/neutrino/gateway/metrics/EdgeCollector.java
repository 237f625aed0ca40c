package dev.neutrino.gateway.metrics;

import java.util.List;
import java.util.function.LongSupplier;

/** The edge's metrics: refusals by reason, and the request-body bytes being received now. */
final class EdgeCollector extends FamilyCollector {
  static final Family REFUSALS = Family.counter("neutrino_edge_refusals",
      "Connections closed and request bodies refused at the gateway's edge, by reason", "reason");
  static final Family BODY_BYTES = Family.gauge("neutrino_inflight_request_bytes", "bytes",
      "Bytes of request bodies being received now, counted against --max-inflight-request-bytes");
  static final List<Family> FAMILIES = List.of(REFUSALS, BODY_BYTES);

  private final EdgeRefusals refusals;
  private final LongSupplier bodyBytes;

  EdgeCollector(EdgeRefusals refusals, LongSupplier bodyBytes) {
    super(FAMILIES);
    this.refusals = refusals;
    this.bodyBytes = bodyBytes;
  }

  @Override
  void fill(Scrape scrape) {
    for (EdgeRefusals.Reason reason : EdgeRefusals.Reason.values()) {
      scrape.get(REFUSALS).add(refusals.count(reason), reason.label());
    }
    scrape.get(BODY_BYTES).add(bodyBytes.getAsLong());
  }
}
