package dev.neutrino.gateway.metrics;

import java.util.List;
import java.util.function.Supplier;

/** The front door's metrics: its cap and each model's limit, what each has in flight, what it refused. */
final class AdmissionCollector extends FamilyCollector {
  static final Family REFUSED = Family.counter("neutrino_admission_refused",
      "Inference requests refused at the front door before their body was read, by protocol and reason",
      "protocol", "reason");
  static final Family LIMIT = Family.gauge("neutrino_admission_limit", "",
      "Inference requests the gateway admits in flight over all models (--admission-limit-max)");
  static final Family IN_FLIGHT = Family.gauge("neutrino_admission_inflight_requests", "",
      "Inference requests admitted at the front door and not yet answered, over all models");
  static final Family MODEL_LIMIT = Family.gauge("neutrino_admission_model_limit", "",
      "Inference requests of the model admitted in flight now (--admission); model=\"\" is the limit shared by "
          + "requests whose model is not known at the door", "model");
  static final Family MODEL_IN_FLIGHT = Family.gauge("neutrino_admission_model_inflight_requests", "",
      "Inference requests of the model admitted at the front door and not yet answered", "model");
  static final Family MODEL_REFUSED = Family.counter("neutrino_admission_model_refused",
      "Inference requests of the model refused at the front door, at its limit or the gateway's", "model");
  static final List<Family> FAMILIES = List.of(REFUSED, LIMIT, IN_FLIGHT, MODEL_LIMIT, MODEL_IN_FLIGHT, MODEL_REFUSED);

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
    for (AdmissionReadings.ModelReading model : door.models()) {
      scrape.get(MODEL_LIMIT).add(model.limit(), model.model());
      scrape.get(MODEL_IN_FLIGHT).add(model.inFlight(), model.model());
      scrape.get(MODEL_REFUSED).add(model.refused(), model.model());
    }
  }
}
