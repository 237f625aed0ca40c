package dev.neutrino.gateway;

import dev.neutrino.gateway.edge.EdgeLimits;
import dev.neutrino.gateway.edge.RefusedRequest;
import dev.neutrino.gateway.tls.ServerTls;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A front end's listening servers: one HTTP server per event loop, all on one address (Vert.x
 * shares the socket between them), deployed together and undeployed together. Thread-safe.
 *
 * <p>A draining deployment ({@link #drain()}) still serves, but answers HTTP/1.x requests with
 * {@code Connection: close}, so that clients open their next connection elsewhere;
 * {@link #shutdown(Duration)} then stops accepting and lets the open connections finish.
 */
public final class ServerDeployment {
  private final Vertx vertx;
  private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
  private volatile String deploymentId;
  private volatile boolean draining;

  public ServerDeployment(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * The options both front ends' servers start from: {@code host} and {@code port} ({@code port} 0
   * picks a free one), TCP_NODELAY, the idle timeout, cleartext HTTP/2 beside HTTP/1.1, the edge's
   * HTTP/2 limits in the initial settings, and TLS (HTTP/2 negotiated by ALPN) when {@code tls} is
   * not null. A front end adds its own options to them.
   */
  public static HttpServerOptions serverOptions(String host, int port, FrontEndOptions options, EdgeLimits limits,
      ServerTls tls) {
    HttpServerOptions serverOptions = new HttpServerOptions()
        .setHost(host)
        .setPort(port)
        .setTcpNoDelay(true)
        .setIdleTimeout(options.idleTimeoutSeconds())
        .setHttp2ClearTextEnabled(true)
        .setInitialSettings(new Http2Settings()
            .setMaxConcurrentStreams(limits.http2MaxConcurrentStreams())
            .setMaxHeaderListSize(limits.http2MaxHeaderListSize()));
    return tls == null ? serverOptions : tls.applyTo(serverOptions);
  }

  /**
   * Deploys {@code instances} servers with {@code options}, each passing its requests to
   * {@code handler} on its own event loop.
   *
   * @return the port bound
   */
  public Future<Integer> listen(HttpServerOptions options, Handler<HttpServerRequest> handler, int instances) {
    return listen(options, handler, null, instances);
  }

  /** As {@link #listen(HttpServerOptions, Handler, int)}, also passing each new connection to {@code connections}. */
  public Future<Integer> listen(HttpServerOptions options, Handler<HttpServerRequest> handler,
      Handler<HttpConnection> connections, int instances) {
    int[] bound = {-1};
    Handler<HttpServerRequest> served = request -> {
      if (request.version() == null) { // a request line of HTTP/2.0, HTTP/9.9, ...: not a version spoken here
        request.response().setStatusCode(505).putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE)
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end("{\"error\":\"HTTP version not supported: speak HTTP/1.1, or HTTP/2 (h2c prior knowledge or TLS)\"}")
            .onComplete(ended -> request.connection().close());
        return;
      }
      if (draining && request.version() != HttpVersion.HTTP_2) {
        request.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
      }
      handler.handle(request);
    };
    return vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        HttpServer created = vertx.createHttpServer(options).requestHandler(served);
        // Vert.x answers a request of an HTTP version it does not know with 501 itself, unless the
        // server has a WebSocket handler: with this one, which refuses every handshake, such a request
        // reaches `served`, which answers 505 as RFC 9110 asks.
        created.webSocketHandshakeHandler(handshake -> handshake.reject(400));
        created.invalidRequestHandler(ServerDeployment::refuseInvalid);
        if (connections != null) {
          created.connectionHandler(connections);
        }
        return created.listen()
            .onSuccess(server -> {
              servers.add(server);
              synchronized (bound) {
                bound[0] = server.actualPort();
              }
            });
      }
    }, new DeploymentOptions().setInstances(instances)).map(id -> {
      deploymentId = id;
      synchronized (bound) {
        return bound[0];
      }
    });
  }

  /**
   * Answers a request the HTTP/1.1 decoder failed, then closes its connection, whose framing can no
   * longer be trusted: 414 or 431 for a request line or headers over Vert.x's limits, else 400 naming
   * the problem when the gateway's decoder refused it ({@code StrictRequestDecoder}).
   */
  private static void refuseInvalid(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status;
    String message;
    if (cause instanceof TooLongHttpLineException) {
      status = 414;
      message = "the request line is too long";
    } else if (cause instanceof TooLongHttpHeaderException) {
      status = 431;
      message = "the request headers are too large";
    } else {
      status = 400;
      message = cause instanceof RefusedRequest refused ? refused.getMessage() : "malformed HTTP request";
    }
    request.response().setStatusCode(status).putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end("{\"error\":\"" + message + "\"}")
        .onComplete(ended -> request.connection().close());
  }

  /** The servers listening, one per instance; for reloading their certificates. */
  public List<HttpServer> servers() {
    return List.copyOf(servers);
  }

  /** From now on HTTP/1.x answers carry {@code Connection: close}. */
  public void drain() {
    draining = true;
  }

  /**
   * Stops accepting connections and shuts down the open ones gracefully: an HTTP/2 connection gets a
   * GOAWAY and closes once its streams are done, an HTTP/1.x connection once its request is answered.
   * Connections still open after {@code timeout} are closed.
   *
   * @return completes once every connection is closed
   */
  public Future<Void> shutdown(Duration timeout) {
    List<Future<Void>> closed = new ArrayList<>();
    for (HttpServer server : servers) {
      closed.add(server.shutdown(timeout.toMillis(), TimeUnit.MILLISECONDS));
    }
    return Future.all(closed).mapEmpty();
  }

  /** Stops accepting connections. */
  public Future<Void> close() {
    String id = deploymentId;
    deploymentId = null;
    servers.clear();
    return id == null ? Future.succeededFuture() : vertx.undeploy(id);
  }
}
