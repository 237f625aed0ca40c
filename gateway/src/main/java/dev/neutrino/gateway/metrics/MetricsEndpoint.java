package dev.neutrino.gateway.metrics;

import dev.neutrino.gateway.security.AccessControl;
import dev.neutrino.gateway.security.ApiGroup;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.gateway.tls.ServerTls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;

/**
 * Serves {@code GET /metrics} on the gateway's own Vert.x, on a port of its own: Prometheus text
 * 0.0.4 by default, OpenMetrics 1.0 when the scraper's {@code Accept} asks for it, gzip when it
 * accepts that.
 *
 * <p>The request arrives on an event loop; collecting and formatting (which read the JVM's management
 * beans) run on a one-thread worker named {@code neutrino-metrics}, so concurrent scrapes queue
 * there and never hold an event loop or the model-loading workers.
 *
 * <p>With {@code --metrics-restricted-api KEY=VALUE}, a scrape without the header {@code KEY: VALUE}
 * is answered 401 (no header) or 403 (another value), as {@link AccessControl} decides for
 * {@link ApiGroup#METRICS}.
 */
public final class MetricsEndpoint {
  /** The metrics port Triton uses. */
  public static final int DEFAULT_PORT = 8002;
  static final String PATH = "/metrics";

  private final Vertx vertx;
  private final GatewayMetrics metrics;
  private final AccessControl access;
  private WorkerExecutor worker;
  private HttpServer server;

  private MetricsEndpoint(Vertx vertx, GatewayMetrics metrics, AccessControl access) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.access = access;
  }

  /** @param access who may scrape ({@code --metrics-restricted-api}) */
  public static MetricsEndpoint create(Vertx vertx, GatewayMetrics metrics, AccessControl access) {
    if (!metrics.enabled()) {
      throw new IllegalArgumentException("metrics are off: nothing to serve");
    }
    return new MetricsEndpoint(vertx, metrics, access);
  }

  /**
   * Binds {@code host:port} ({@code port} 0 picks a free one).
   *
   * @param tls the certificate to serve HTTPS with; null serves cleartext
   * @return the port bound
   */
  public synchronized Future<Integer> listen(String host, int port, ServerTls tls) {
    worker = vertx.createSharedWorkerExecutor("neutrino-metrics", 1);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(host)
        .setPort(port)
        .setTcpNoDelay(true)
        .setCompressionSupported(true)
        // HTTP/1.1 only (Prometheus's protocol): outside the front ends' edge (EdgeTransport guards
        // cleartext ports that also speak h2c).
        .setHttp2ClearTextEnabled(false)
        .setIdleTimeout(120);
    if (tls != null) {
      tls.applyTo(options);
    }
    server = vertx.createHttpServer(options).requestHandler(this::handle);
    return server.listen().map(HttpServer::actualPort);
  }

  private void handle(HttpServerRequest request) {
    if (!request.path().equals(PATH)) {
      request.response().setStatusCode(404).end();
      return;
    }
    if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
      request.response().setStatusCode(405).putHeader(HttpHeaders.ALLOW, "GET, HEAD").end();
      return;
    }
    InferenceException refusal = access.check(ApiGroup.METRICS, request::getHeader,
        () -> AccessControl.peerAddress(request.remoteAddress()));
    if (refusal != null) {
      int status = refusal.kind() == InferenceException.Kind.UNAUTHENTICATED ? 401 : 403;
      request.response().setStatusCode(status)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(new io.vertx.core.json.JsonObject().put("error", refusal.getMessage()).encode());
      return;
    }
    String accept = request.getHeader(HttpHeaders.ACCEPT);
    worker.executeBlocking(() -> metrics.scrape(accept), false).onComplete(result -> {
      if (request.response().closed()) {
        return;
      }
      if (result.succeeded()) {
        request.response()
            .putHeader(HttpHeaders.CONTENT_TYPE, result.result().contentType())
            .end(result.result().body());
      } else {
        System.getLogger(MetricsEndpoint.class.getName())
            .log(System.Logger.Level.ERROR, "collecting metrics failed", result.cause());
        request.response().setStatusCode(500).end("collecting metrics failed\n");
      }
    });
  }

  /** The server, for a certificate reload; empty before {@link #listen} and after {@link #close()}. */
  public synchronized List<HttpServer> servers() {
    return server == null ? List.of() : List.of(server);
  }

  /** Stops serving. */
  public synchronized Future<Void> close() {
    HttpServer s = server;
    WorkerExecutor w = worker;
    server = null;
    worker = null;
    if (s == null) {
      return Future.succeededFuture();
    }
    return s.close().eventually(() -> w.close());
  }
}
