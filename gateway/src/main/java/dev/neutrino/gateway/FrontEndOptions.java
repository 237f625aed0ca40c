package dev.neutrino.gateway;

/**
 * Limits of a front end, the same for HTTP and gRPC.
 *
 * @param maxRequestBytes largest HTTP request body or gRPC request message accepted; a larger one is
 *     refused (HTTP 413, gRPC RESOURCE_EXHAUSTED) as soon as its length is known, before it is buffered
 * @param idleTimeoutSeconds a connection with no traffic for this long is closed
 */
public record FrontEndOptions(long maxRequestBytes, int idleTimeoutSeconds) {
  public static final long DEFAULT_MAX_REQUEST_BYTES = 64L * 1024 * 1024;
  public static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 120;

  public FrontEndOptions {
    if (maxRequestBytes < 1 || maxRequestBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("max request size must be between 1 and " + (Integer.MAX_VALUE - 8)
          + " bytes, got " + maxRequestBytes);
    }
    if (idleTimeoutSeconds < 1) {
      throw new IllegalArgumentException("idle timeout must be at least 1 second, got " + idleTimeoutSeconds);
    }
  }
}
