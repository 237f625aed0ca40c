package dev.neutrino.gateway.grpc;

import dev.neutrino.batching.InferenceRequest;

/**
 * Reads the {@code grpc-timeout} request header (gRPC over HTTP/2: at most 8 digits and a unit, H M
 * S m u n) into an absolute deadline on the {@link System#nanoTime()} scale, at full precision (Vert.x
 * keeps only milliseconds, so {@code 500u} would read as no timeout at all).
 */
final class GrpcTimeout {
  static final String HEADER = "grpc-timeout";

  /** Longer timeouts are treated as none: no inference waits a day, and the sum stays far from overflow. */
  static final long LONGEST_NANOS = 24L * 3_600_000_000_000L;

  private GrpcTimeout() {}

  /**
   * @param header the header's value, or null when the call has no deadline
   * @param nowNanos when the call arrived, on the {@link System#nanoTime()} scale
   * @return the deadline, or {@link InferenceRequest#NO_DEADLINE} when the header is absent, not of
   *     the protocol's form, or longer than {@link #LONGEST_NANOS}
   */
  static long deadlineNanos(String header, long nowNanos) {
    long timeout = timeoutNanos(header);
    if (timeout < 0 || timeout > LONGEST_NANOS) {
      return InferenceRequest.NO_DEADLINE;
    }
    return nowNanos + timeout;
  }

  /** The timeout in nanoseconds, or -1 when {@code header} is null or malformed. */
  static long timeoutNanos(String header) {
    if (header == null) {
      return -1;
    }
    int length = header.length();
    if (length < 2 || length > 9) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < length - 1; i++) {
      char c = header.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    long unitNanos = switch (header.charAt(length - 1)) {
      case 'H' -> 3_600_000_000_000L;
      case 'M' -> 60_000_000_000L;
      case 'S' -> 1_000_000_000L;
      case 'm' -> 1_000_000L;
      case 'u' -> 1_000L;
      case 'n' -> 1L;
      default -> -1L;
    };
    if (unitNanos < 0) {
      return -1;
    }
    // 99,999,999 hours is about 3.6e20 ns: saturate rather than overflow.
    return value > Long.MAX_VALUE / unitNanos ? Long.MAX_VALUE : value * unitNanos;
  }
}
