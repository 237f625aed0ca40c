package dev.neutrino.gateway.http;

/**
 * Limits of the HTTP front end.
 *
 * @param maxRequestBytes largest request body accepted; larger ones get 413 before they are buffered
 * @param idleTimeoutSeconds a connection with no traffic for this long is closed
 */
public record HttpOptions(long maxRequestBytes, int idleTimeoutSeconds) {
  public static final long DEFAULT_MAX_REQUEST_BYTES = 64L * 1024 * 1024;
  public static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 120;

  public HttpOptions {
    if (maxRequestBytes < 1 || maxRequestBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("max request size must be between 1 and " + (Integer.MAX_VALUE - 8)
          + " bytes, got " + maxRequestBytes);
    }
    if (idleTimeoutSeconds < 1) {
      throw new IllegalArgumentException("idle timeout must be at least 1 second, got " + idleTimeoutSeconds);
    }
  }

  public static HttpOptions defaults() {
    return new HttpOptions(DEFAULT_MAX_REQUEST_BYTES, DEFAULT_IDLE_TIMEOUT_SECONDS);
  }
}
