package dev.neutrino.gateway;

import dev.neutrino.gateway.grpc.GrpcFrontEnd;
import dev.neutrino.gateway.http.HttpFrontEnd;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One serving process: a Vert.x instance, the model repository and the front ends. Several gateways
 * can run in one JVM; they share nothing.
 *
 * <p>{@link #start()} binds the front ends first (so liveness answers at once), then loads the
 * repository on a worker thread; the returned future completes once both are done.
 */
public final class Gateway {
  /** Reported by {@code GET /v2}. */
  public static final String VERSION = "0.1.0";
  /** The protocol extensions gRPC's {@code ServerMetadata} reports (the same as {@code GET /v2}). */
  public static final List<String> EXTENSIONS = List.of(
      "binary_tensor_data", "model_configuration", "model_repository", "model_repository(unload_dependents)",
      "parameters");

  private final GatewayConfig config;
  private final Backend backend;
  private Vertx vertx;
  private ModelRepository repository;
  private HttpFrontEnd http;
  private GrpcFrontEnd grpc;
  private volatile boolean ready;
  private volatile int httpPort = -1;
  private volatile int grpcPort = -1;
  private final Promise<Integer> bound = Promise.promise();

  private Gateway(GatewayConfig config, Backend backend) {
    this.config = config;
    this.backend = backend;
  }

  public static Gateway create(GatewayConfig config) {
    return new Gateway(config, OnnxRuntimeBackend.create());
  }

  /** A gateway running models on {@code backend} instead of ONNX Runtime (tests use a test backend). */
  public static Gateway create(GatewayConfig config, Backend backend) {
    return new Gateway(config, backend);
  }

  /** Binds the front ends and loads the repository. */
  public synchronized Future<Gateway> start() {
    int cores = Runtime.getRuntime().availableProcessors();
    int loops = config.eventLoops() > 0 ? config.eventLoops() : cores;
    try {
      repository = ModelRepository.open(config.modelRepository(),
          config.repository().options(config.cpuThreads() > 0 ? config.cpuThreads() : cores), backend);
    } catch (IOException e) {
      return Future.failedFuture(new UncheckedIOException("cannot open the model repository "
          + config.modelRepository() + ": " + e.getMessage(), e));
    }
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
    http = HttpFrontEnd.create(vertx, repository, config.httpOptions(), VERSION, () -> ready);
    grpc = GrpcFrontEnd.create(vertx, repository, config.grpcOptions(), VERSION, EXTENSIONS, () -> ready);
    return http.listen(config.host(), config.httpPort(), loops)
        .recover(error -> Future.failedFuture(bindFailure("HTTP", config.httpPort(), error)))
        .compose(port -> {
          httpPort = port;
          return grpc.listen(config.host(), config.grpcPort(), loops)
              .recover(error -> Future.failedFuture(bindFailure("gRPC", config.grpcPort(), error)));
        })
        .onFailure(bound::tryFail)
        .compose(port -> {
          grpcPort = port;
          bound.tryComplete(httpPort);
          return vertx.executeBlocking(() -> {
            repository.loadAll();
            return null;
          }, false);
        })
        .map(ignored -> {
          ready = true;
          return this;
        });
  }

  private IllegalStateException bindFailure(String protocol, int port, Throwable error) {
    return new IllegalStateException("cannot serve " + protocol + " on " + config.host() + ":" + port + ": "
        + error.getMessage(), error);
  }

  /**
   * Completes with the HTTP port once both front ends are bound (then {@link #grpcPort()} is known
   * too), before the models finish loading.
   */
  public Future<Integer> listening() {
    return bound.future();
  }

  public int httpPort() {
    return httpPort;
  }

  /** The gRPC port bound; -1 before {@link #listening()} completes. */
  public int grpcPort() {
    return grpcPort;
  }

  public String host() {
    return config.host();
  }

  public GatewayConfig config() {
    return config;
  }

  /** The repository this gateway serves; null before {@link #start()}. */
  public ModelRepository repository() {
    return repository;
  }

  /**
   * Stops the front ends, releases the models and closes Vert.x. The returned future completes on
   * the thread that finished closing Vert.x (no Vert.x context outlives the close to deliver it).
   */
  public synchronized Future<Void> stop() {
    ready = false;
    if (vertx == null) {
      return Future.succeededFuture();
    }
    Vertx v = vertx;
    vertx = null;
    CompletableFuture<Void> done = new CompletableFuture<>();
    Future.join(http.close(), grpc.close()).onComplete(closed -> {
      try {
        repository.close();
      } finally {
        v.close().onComplete(ignored -> done.complete(null));
      }
    });
    return Future.fromCompletionStage(done);
  }
}
