package dev.neutrino.gateway.call;

import dev.neutrino.gateway.metrics.Protocol;
import dev.neutrino.runtime.InferenceException;

/**
 * The checks an inference call passes before it leases its model: access control (the
 * {@code inference} group's key) and admission budgets. The one place such checks run, for both
 * front ends; {@link InferenceCall} calls {@link #check} once per request, on the caller's event
 * loop, after decoding and before leasing. Implementations must not block and must be thread-safe.
 */
@FunctionalInterface
public interface Admission {
  /** Admits every call. */
  Admission OPEN = (protocol, model, headers) -> { };

  /**
   * @param model the model the call names
   * @param headers the request's HTTP headers or gRPC metadata, by (case-insensitive) name; null
   *     when absent
   * @throws InferenceException to refuse the call ({@code Unauthenticated}, {@code Forbidden},
   *     {@code Overloaded}, {@code TooLarge}); the call answers it through its protocol's mapping
   */
  void check(Protocol protocol, String model, Headers headers);

  /** Read access to a call's headers or metadata. */
  @FunctionalInterface
  interface Headers {
    /** The first value of {@code name}, or null. */
    String get(String name);
  }
}
