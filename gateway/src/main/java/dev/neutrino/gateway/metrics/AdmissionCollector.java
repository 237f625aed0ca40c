package dev.neutrino.gateway.metrics;

import java.util.List;
import java.util.function.Supplier;

/** The front door's metrics: its concurrency limit, what it has in flight, what it refused. */
final class AdmissionCollector extends FamilyCollector {
  static final Family REFUSED = Family.counter("neutrino_admission_refused",
      "Inference requests refused at the front door before their body was read, by protocol and reason",
      "protocol", "reason");
  static final Family LIMIT = Family.gauge("neutrino_admission_limit", "",
      "Inference requests the gateway admits in flight now (--admission)");
  static final Family IN_FLIGHT = Family.gauge("neutrino_admission_inflight_requests", "",
      "Inference requests admitted at the front door and not yet answered");
  static final List<Family> FAMILIES = List.of(REFUSED, LIMIT, IN_FLIGHT);

  private final Supplier<AdmissionReadings> readings;

  AdmissionCollector(Supplier<AdmissionReadings> readings) {
    super(FAMILIES);
    this.readings = readings;
  }

  @Override
  void fill(Scrape scrape) {
    AdmissionReadings door = readings.get();
    if (!door.enabled()) {
      return;
    }
    for (Protocol protocol : List.of(Protocol.HTTP, Protocol.GRPC)) {
      scrape.get(REFUSED).add(door.refused(protocol), protocol.label(), AdmissionReadings.CONCURRENCY_LIMIT);
    }
    scrape.get(LIMIT).add(door.limit());
    scrape.get(IN_FLIGHT).add(door.inFlight());
  }
}
