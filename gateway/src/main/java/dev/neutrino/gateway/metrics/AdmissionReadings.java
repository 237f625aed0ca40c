package dev.neutrino.gateway.metrics;

import java.util.List;

/**
 * What the gateway's front door reports: its cap and each model's concurrency limit, the requests
 * in flight under each, and what it refused. Exported as {@code neutrino_admission_*}; implemented by
 * {@code dev.neutrino.gateway.admission.Admission}. Thread-safe.
 */
public interface AdmissionReadings {
  /** The {@code reason} label of a request refused because the gateway was at its concurrency limit. */
  String CONCURRENCY_LIMIT = "concurrency_limit";

  /** A door that limits nothing: no series are exported. */
  AdmissionReadings NONE = new AdmissionReadings() {
    @Override
    public boolean enabled() {
      return false;
    }

    @Override
    public int limit() {
      return 0;
    }

    @Override
    public int inFlight() {
      return 0;
    }

    @Override
    public long refused(Protocol protocol) {
      return 0;
    }

    @Override
    public List<ModelReading> models() {
      return List.of();
    }
  };

  /**
   * One model's limit at the door.
   *
   * @param model the model; empty for the limit shared by requests whose model is not known at the door
   * @param limit its requests that may be in flight now
   * @param inFlight its requests admitted and not yet answered
   * @param refused its requests refused at the door since the start (its own limit, or the gateway's cap)
   */
  record ModelReading(String model, int limit, int inFlight, long refused) {}

  /** Whether there is a limit at all. */
  boolean enabled();

  /** Inference requests that may be in flight now over all models: the gateway's cap. */
  int limit();

  /** Inference requests admitted and not yet answered, over all models. */
  int inFlight();

  /** Requests refused at the door since the start, over {@code protocol}, because of the limit. */
  long refused(Protocol protocol);

  /** Each model's limit, and the shared one, in no particular order. */
  List<ModelReading> models();
}
