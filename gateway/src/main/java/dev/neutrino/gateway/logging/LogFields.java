package dev.neutrino.gateway.logging;

/**
 * Structured fields a log call can carry beside its message: pass one as a parameter
 * ({@code logger.log(level, message, fields)}) and {@link JsonLogFormatter} writes its fields into the
 * line. Other formatters ignore it.
 */
public sealed interface LogFields permits LogFields.Request, LogFields.Access {

  /**
   * What a log line about one request knows of it.
   *
   * @param requestId the client's request id; empty or null when it sent none
   * @param model the model named, or null
   * @param version the version, or null
   */
  record Request(String requestId, String model, String version) implements LogFields {}

  /**
   * One line of the access log.
   *
   * @param protocol {@code http} or {@code grpc}
   * @param method the HTTP method, or {@code POST} for a gRPC call
   * @param path the request path, or the gRPC method's full path
   * @param status the HTTP status, or the gRPC status name; {@code 499} when the client went away
   * @param durationMicros from the request read to the answer
   * @param model the model named, or null
   * @param version the version it resolved to (else the one named), or null
   * @param requestId the client's request id, or null
   */
  record Access(String protocol, String method, String path, String status, long durationMicros, String model,
      String version, String requestId) implements LogFields {}
}
