package dev.neutrino.batching;

/** Why a scheduler refused a request at once, with the bounded label metrics use. */
public enum RejectReason {
  /** The request's priority level held {@code max_queue_size} requests. */
  QUEUE_FULL("queue_full"),
  /** The latency-target mode predicted the request could not finish before its deadline. */
  LATENCY_TARGET("latency_target"),
  /** The request had more rows than {@code max_batch_size}, or inputs the model does not declare. */
  INVALID_INPUT("invalid_input"),
  /** The scheduler was draining or closed. */
  NOT_READY("not_ready");

  private final String label;

  RejectReason(String label) {
    this.label = label;
  }

  /** The label for metrics and for {@code Overloaded.reason()}, for example {@code queue_full}. */
  public String label() {
    return label;
  }
}
