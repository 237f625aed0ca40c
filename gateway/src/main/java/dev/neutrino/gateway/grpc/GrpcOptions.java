package dev.neutrino.gateway.grpc;

/**
 * Limits of the gRPC front end.
 *
 * @param maxMessageBytes largest request message accepted; a larger one is refused with
 *     RESOURCE_EXHAUSTED as soon as its length prefix is read, before it is buffered
 * @param idleTimeoutSeconds a connection with no traffic for this long is closed
 */
public record GrpcOptions(long maxMessageBytes, int idleTimeoutSeconds) {
  public static final long DEFAULT_MAX_MESSAGE_BYTES = 64L * 1024 * 1024;
  public static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 120;

  public GrpcOptions {
    if (maxMessageBytes < 1 || maxMessageBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("max message size must be between 1 and " + (Integer.MAX_VALUE - 8)
          + " bytes, got " + maxMessageBytes);
    }
    if (idleTimeoutSeconds < 1) {
      throw new IllegalArgumentException("idle timeout must be at least 1 second, got " + idleTimeoutSeconds);
    }
  }

  public static GrpcOptions defaults() {
    return new GrpcOptions(DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_IDLE_TIMEOUT_SECONDS);
  }
}
