package dev.neutrino.gateway.grpc;

import dev.neutrino.gateway.logging.AccessLog;
import dev.neutrino.gateway.logging.LogFields;
import dev.neutrino.gateway.security.AccessControl;
import dev.neutrino.gateway.security.ApiGroup;
import dev.neutrino.runtime.InferenceException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Access control for every call of {@code inference.GRPCInferenceService}, applied once per call where
 * the gRPC front end dispatches its HTTP/2 streams: each method belongs to one {@link ApiGroup}, and a
 * call that {@link AccessControl} refuses is answered at once with a trailers-only gRPC response
 * (UNAUTHENTICATED or PERMISSION_DENIED, through {@link GrpcStatusMapping}), before any of its
 * message is read or decoded. Paths that name no method of the service pass through, to be answered
 * UNIMPLEMENTED as before. A refused call is written to the access log, when that is on. Immutable
 * and thread-safe.
 */
final class GrpcAccess {
  private static final Map<String, ApiGroup> GROUPS = groups();

  private final AccessControl access;
  private final AccessLog accessLog;

  GrpcAccess(AccessControl access, AccessLog accessLog) {
    this.access = access;
    this.accessLog = accessLog;
  }

  private static Map<String, ApiGroup> groups() {
    Map<String, ApiGroup> out = new HashMap<>();
    for (String method : new String[] {"ServerLive", "ServerReady", "ModelReady"}) {
      out.put(InferenceService.path(method), ApiGroup.HEALTH);
    }
    for (String method : new String[] {"ServerMetadata", "ModelMetadata"}) {
      out.put(InferenceService.path(method), ApiGroup.METADATA);
    }
    for (String method : new String[] {"ModelInfer", "ModelStreamInfer"}) {
      out.put(InferenceService.path(method), ApiGroup.INFERENCE);
    }
    out.put(InferenceService.path("ModelConfig"), ApiGroup.MODEL_CONFIG);
    for (String method : new String[] {"RepositoryIndex", "RepositoryModelLoad", "RepositoryModelUnload"}) {
      out.put(InferenceService.path(method), ApiGroup.MODEL_REPOSITORY);
    }
    out.put(InferenceService.path("ModelStatistics"), ApiGroup.STATISTICS);
    for (String method : new String[] {"SystemSharedMemoryStatus", "SystemSharedMemoryRegister",
        "SystemSharedMemoryUnregister", "CudaSharedMemoryStatus", "CudaSharedMemoryRegister",
        "CudaSharedMemoryUnregister"}) {
      out.put(InferenceService.path(method), ApiGroup.SHARED_MEMORY);
    }
    out.put(InferenceService.path("TraceSetting"), ApiGroup.TRACE);
    out.put(InferenceService.path("LogSettings"), ApiGroup.LOGGING);
    return Map.copyOf(out);
  }

  /** The group of the method at HTTP/2 path {@code path}, or null when it names none of the service's. */
  static ApiGroup group(String path) {
    return path == null ? null : GROUPS.get(path);
  }

  /**
   * Checks one call before it is dispatched; answers it when refused.
   *
   * @return whether the call was refused (and answered): then it must not be dispatched
   */
  boolean refuse(HttpServerRequest request) {
    ApiGroup group = group(request.path());
    if (group == null || !access.guards(group)) {
      return false;
    }
    long arrived = System.nanoTime();
    InferenceException refusal = access.check(group, request::getHeader,
        () -> AccessControl.peerAddress(request.remoteAddress()));
    if (refusal == null) {
      return false;
    }
    GrpcStatus status = GrpcStatusMapping.status(refusal.kind());
    request.handler(ignored -> { }); // the call's messages, if any come, are dropped unread
    request.response()
        .setStatusCode(200)
        .putHeader("content-type", "application/grpc")
        .putHeader("grpc-status", Integer.toString(status.code))
        .putHeader("grpc-message", percentEncode(refusal.getMessage()))
        .end();
    if (accessLog.enabled()) {
      accessLog.log(new LogFields.Access("grpc", "POST", request.path(), status.name(),
          java.util.concurrent.TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - arrived), null, null, null));
    }
    return true;
  }

  /** The {@code grpc-message} encoding of the gRPC HTTP/2 protocol: UTF-8, percent-encoding all but printable ASCII. */
  static String percentEncode(String message) {
    StringBuilder out = new StringBuilder(message.length());
    for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }
}
