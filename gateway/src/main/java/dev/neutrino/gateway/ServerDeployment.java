package dev.neutrino.gateway;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;

/**
 * A front end's listening servers: one HTTP server per event loop, all on one address (Vert.x
 * shares the socket between them), deployed together and undeployed together. Thread-safe.
 */
public final class ServerDeployment {
  private final Vertx vertx;
  private volatile String deploymentId;

  public ServerDeployment(Vertx vertx) {
    this.vertx = vertx;
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
    return vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        HttpServer server = vertx.createHttpServer(options).requestHandler(handler);
        if (connections != null) {
          server.connectionHandler(connections);
        }
        return server.listen()
            .onSuccess(listening -> {
              synchronized (bound) {
                bound[0] = listening.actualPort();
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

  /** Stops accepting connections. */
  public Future<Void> close() {
    String id = deploymentId;
    deploymentId = null;
    return id == null ? Future.succeededFuture() : vertx.undeploy(id);
  }
}
