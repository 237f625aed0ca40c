package dev.neutrino.gateway;

import dev.neutrino.gateway.admission.Admission;
import dev.neutrino.gateway.call.InferenceCalls;
import dev.neutrino.gateway.edge.Edge;
import dev.neutrino.gateway.logging.AccessLog;
import dev.neutrino.gateway.metrics.GatewayMetrics;
import dev.neutrino.repo.ModelRepository;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * What the HTTP and gRPC front ends are built from, the same for both.
 *
 * @param options the front end's limits
 * @param serverVersion reported by the server metadata ({@code GET /v2}, {@code ServerMetadata})
 * @param extensions the protocol extensions the server metadata reports
 * @param serverReady whether the server as a whole is ready (initial loads done, not stopping)
 * @param metrics where inference requests are counted, and what the statistics extension reads
 * @param accessLog where every request is logged, when it is on
 * @param edge the gateway's body budget and connection guard
 * @param admission the gateway's front door: how many inference requests it has in flight, and may
 * @param calls how both front ends start inference calls: one per gateway, so that the calls an
 *     event loop leases in one pass reach the batcher together whichever protocol they came in on
 *     (where the front ends share their Vert.x; see {@code TransportPreference})
 */
public record FrontEndContext(Vertx vertx, ModelRepository repository, FrontEndOptions options, String serverVersion,
    List<String> extensions, BooleanSupplier serverReady, GatewayMetrics metrics, AccessLog accessLog, Edge edge,
    Admission admission, InferenceCalls calls) {
  public FrontEndContext {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(repository, "repository");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(serverVersion, "serverVersion");
    extensions = List.copyOf(extensions);
    Objects.requireNonNull(serverReady, "serverReady");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(accessLog, "accessLog");
    Objects.requireNonNull(edge, "edge");
    Objects.requireNonNull(admission, "admission");
    Objects.requireNonNull(calls, "calls");
  }

  /** This context with the front end served by {@code other} (the gRPC front end's own Vert.x). */
  public FrontEndContext withVertx(Vertx other) {
    return other == vertx ? this : new FrontEndContext(other, repository, options, serverVersion, extensions,
        serverReady, metrics, accessLog, edge, admission, calls);
  }
}
