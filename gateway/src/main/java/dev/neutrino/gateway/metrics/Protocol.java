package dev.neutrino.gateway.metrics;

/**
 * The front end a request came in on: the {@code protocol} label, and what counts as success there.
 * {@link #ENSEMBLE} is the steps of ensembles: requests an ensemble sent to its step models in process,
 * coded by the failure's kind ({@code BACKEND_FAILURE}, {@code CANCELLED}, ...).
 */
public enum Protocol {
  HTTP("http", "200"),
  GRPC("grpc", "OK"),
  ENSEMBLE("ensemble", "OK");

  private final String label;
  private final String successCode;

  Protocol(String label, String successCode) {
    this.label = label;
    this.successCode = successCode;
  }

  /** The label value, for example {@code http}. */
  public String label() {
    return label;
  }

  /** The {@code code} label of a successful request: the HTTP status or the gRPC status name. */
  public String successCode() {
    return successCode;
  }
}
