package dev.neutrino.gateway;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
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
    int[] bound = {-1};
    return vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createHttpServer(options).requestHandler(handler).listen()
            .onSuccess(server -> {
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

  /** Stops accepting connections. */
  public Future<Void> close() {
    String id = deploymentId;
    deploymentId = null;
    return id == null ? Future.succeededFuture() : vertx.undeploy(id);
  }
}
