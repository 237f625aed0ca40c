package dev.neutrino.gateway.edge;

/**
 * What the gateway's edge allows a client: bytes of bodies in flight, connections, how long headers
 * and bodies may take to arrive, and HTTP/2's per-connection limits. Immutable, validated here.
 *
 * @param maxInflightRequestBytes {@code --max-inflight-request-bytes}: bytes of request bodies (and
 *     gRPC messages) being received at once, gateway-wide; {@link #AUTO} for a quarter of the heap
 * @param maxConnections {@code --max-connections}: open connections over HTTP and gRPC together; a
 *     connection over the cap is closed as soon as it is seen
 * @param headerReadTimeoutMillis {@code --header-read-timeout-ms}: an HTTP/1.1 request's headers must
 *     be complete this long after their first byte arrived (after the connection's first bytes, for
 *     its first request), else the connection is closed
 * @param bodyReadTimeoutMillis {@code --body-read-timeout-ms}: a request body must be complete this
 *     long after its headers, else it is refused and its connection (HTTP/1.1) or stream (HTTP/2)
 *     closed
 * @param http2MaxConcurrentStreams {@code --http2-max-concurrent-streams}: streams one HTTP/2
 *     connection may have open at once, on the HTTP and gRPC ports
 * @param http2MaxHeaderListSize {@code --http2-max-header-list-size}: bytes of headers one HTTP/2
 *     request may carry
 */
public record EdgeLimits(long maxInflightRequestBytes, int maxConnections, long headerReadTimeoutMillis,
    long bodyReadTimeoutMillis, long http2MaxConcurrentStreams, long http2MaxHeaderListSize) {
  /** {@link #maxInflightRequestBytes}: a quarter of the heap, and never under one largest request. */
  public static final long AUTO = 0;
  public static final int DEFAULT_MAX_CONNECTIONS = 4096;
  public static final long DEFAULT_HEADER_READ_TIMEOUT_MILLIS = 10_000;
  public static final long DEFAULT_BODY_READ_TIMEOUT_MILLIS = 60_000;
  public static final long DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS = 1024;
  public static final long DEFAULT_HTTP2_MAX_HEADER_LIST_SIZE = 64 * 1024;
  public static final EdgeLimits DEFAULTS = new EdgeLimits(AUTO, DEFAULT_MAX_CONNECTIONS,
      DEFAULT_HEADER_READ_TIMEOUT_MILLIS, DEFAULT_BODY_READ_TIMEOUT_MILLIS, DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS,
      DEFAULT_HTTP2_MAX_HEADER_LIST_SIZE);

  public EdgeLimits {
    if (maxInflightRequestBytes < 0) {
      throw new IllegalArgumentException("max_inflight_request_bytes must be >= 0 (0: a quarter of the heap), got "
          + maxInflightRequestBytes);
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("max_connections must be >= 1, got " + maxConnections);
    }
    if (headerReadTimeoutMillis < 1) {
      throw new IllegalArgumentException("header_read_timeout_ms must be >= 1, got " + headerReadTimeoutMillis);
    }
    if (bodyReadTimeoutMillis < 1) {
      throw new IllegalArgumentException("body_read_timeout_ms must be >= 1, got " + bodyReadTimeoutMillis);
    }
    if (http2MaxConcurrentStreams < 1 || http2MaxConcurrentStreams > 0xFFFFFFFFL) {
      throw new IllegalArgumentException("http2_max_concurrent_streams must be between 1 and 4294967295, got "
          + http2MaxConcurrentStreams);
    }
    if (http2MaxHeaderListSize < 1024 || http2MaxHeaderListSize > 0xFFFFFFFFL) {
      throw new IllegalArgumentException("http2_max_header_list_size must be between 1024 and 4294967295, got "
          + http2MaxHeaderListSize);
    }
  }

  /**
   * The body budget for a gateway whose largest request is {@code maxRequestBytes}.
   *
   * @throws IllegalArgumentException when a budget was set below one largest request
   */
  public long bodyBudgetBytes(long maxRequestBytes) {
    if (maxInflightRequestBytes == AUTO) {
      return Math.max(maxRequestBytes, Runtime.getRuntime().maxMemory() / 4);
    }
    if (maxInflightRequestBytes < maxRequestBytes) {
      throw new IllegalArgumentException("max_inflight_request_bytes (" + maxInflightRequestBytes
          + ") must be at least max_request_bytes (" + maxRequestBytes + "), or 0 for a quarter of the heap");
    }
    return maxInflightRequestBytes;
  }
}
