package dev.neutrino.gateway.metrics;

/**
 * What the gateway's front door reports: its concurrency limit, the requests it has in flight, and
 * what it refused. Exported as {@code neutrino_admission_*}; implemented by
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
  };

  /** Whether there is a limit at all. */
  boolean enabled();

  /** Inference requests that may be in flight now. */
  int limit();

  /** Inference requests admitted and not yet answered. */
  int inFlight();

  /** Requests refused at the door since the start, over {@code protocol}, because of the limit. */
  long refused(Protocol protocol);
}
