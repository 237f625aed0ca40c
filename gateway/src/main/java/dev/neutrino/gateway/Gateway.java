package dev.neutrino.gateway;

import dev.neutrino.batching.Ticker;
import dev.neutrino.gateway.admission.Admission;
import dev.neutrino.gateway.call.InferenceCalls;
import dev.neutrino.gateway.edge.Edge;
import dev.neutrino.gateway.edge.EdgeTransport;
import dev.neutrino.gateway.edge.TransportPreference.FrontEnd;
import dev.neutrino.gateway.grpc.GrpcFrontEnd;
import dev.neutrino.gateway.http.HttpFrontEnd;
import dev.neutrino.gateway.logging.AccessLog;
import dev.neutrino.gateway.metrics.GatewayMetrics;
import dev.neutrino.gateway.metrics.MetricsEndpoint;
import dev.neutrino.gateway.security.AccessControl;
import dev.neutrino.gateway.security.ApiGroup;
import dev.neutrino.gateway.security.RefusalCollector;
import dev.neutrino.gateway.tls.CertificateReloader;
import dev.neutrino.gateway.tls.ServerTls;
import dev.neutrino.gateway.warmup.RequestPathWarmup;
import dev.neutrino.gpu.tensorrt.TensorRtBackend;
import dev.neutrino.repo.IdleUnload;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.Backends;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * One serving process: a Vert.x instance, the model repository and the front ends. Several gateways
 * can run in one JVM; they share nothing.
 *
 * <p>{@link #start()} binds the front ends and the metrics endpoint first (so liveness answers at
 * once), then loads the repository on a worker thread; the returned future completes once both are
 * done. Each gateway has its own metrics ({@link GatewayMetrics}, its own registry).
 *
 * <p>With TLS configured, every listener serves the certificate of {@link #certificates()}, which
 * follows its files while the gateway runs. {@link #drain()} stops the gateway gracefully (see
 * {@link Drain}); {@link #stop()} at once.
 */
public final class Gateway {
  /** Reported by {@code GET /v2}. */
  public static final String VERSION = "0.1.0";
  /**
   * The protocol extensions {@code GET /v2} and gRPC's {@code ServerMetadata} report; a gateway with
   * metrics off leaves out {@value #STATISTICS} (see {@link #extensions()}).
   */
  public static final List<String> EXTENSIONS = List.of(
      "binary_tensor_data", "model_configuration", "model_repository", "model_repository(unload_dependents)",
      "parameters", "statistics");
  static final String STATISTICS = "statistics";
  private static final System.Logger LOG = System.getLogger(Gateway.class.getName());

  private final GatewayConfig config;
  private final Backend backend;
  /** The clock models' idleness is judged by, and how often it is looked at. */
  private final LongSupplier idleClock;
  private final Duration idleSweepInterval;
  private Vertx vertx;
  /** The gRPC front end's Vert.x: {@link #vertx} itself unless the two front ends' transports differ. */
  private Vertx grpcVertx;
  /** The transports serving the HTTP and the gRPC sockets, as Vert.x reports them; null before {@link #start()}. */
  private volatile String transport;
  private volatile String grpcTransport;
  private ModelRepository repository;
  private HttpFrontEnd http;
  private GrpcFrontEnd grpc;
  private GatewayMetrics metrics;
  private Edge edge;
  private MetricsEndpoint metricsEndpoint;
  private CertificateReloader certificates;
  private volatile boolean ready;
  private volatile RequestPathWarmup.Outcome warmup;
  /** Set once a drain has begun: readiness fails from then on, whatever the loads do. */
  private volatile boolean draining;
  private Future<Drain.Outcome> drained;
  private volatile int httpPort = -1;
  private volatile int grpcPort = -1;
  private volatile int metricsPort = -1;
  private final Promise<Integer> bound = Promise.promise();

  private Gateway(GatewayConfig config, Backend backend) {
    this(config, backend, System::nanoTime, IdleUnload.DEFAULT_SWEEP_INTERVAL);
  }

  private Gateway(GatewayConfig config, Backend backend, LongSupplier idleClock, Duration idleSweepInterval) {
    this.config = config;
    this.backend = backend;
    this.idleClock = idleClock;
    this.idleSweepInterval = idleSweepInterval;
  }

  /**
   * A gateway running ONNX models on ONNX Runtime and {@code tensorrt_plan} engines on TensorRT
   * (engines rebuilt for this GPU are kept under the temporary directory's {@code neutrino-engines},
   * ONNX Runtime's optimized graphs under {@code --model-cache-dir}).
   */
  public static Gateway create(GatewayConfig config) {
    OnnxRuntimeBackend ort = OnnxRuntimeBackend.create(config.repository().modelCacheDir());
    Path engines = Path.of(System.getProperty("java.io.tmpdir"), "neutrino-engines");
    return new Gateway(config, Backends.of(ort, TensorRtBackend.create(ort, engines)));
  }

  /** A gateway running models on {@code backend} instead of ONNX Runtime (tests use a test backend). */
  public static Gateway create(GatewayConfig config, Backend backend) {
    return new Gateway(config, backend);
  }

  /**
   * A gateway on a test backend whose models' idleness ({@code --model-idle-unload-secs}) is judged by
   * {@code idleClock} (nanoseconds), looked at every {@code idleSweepInterval}.
   */
  public static Gateway create(GatewayConfig config, Backend backend, LongSupplier idleClock,
      Duration idleSweepInterval) {
    return new Gateway(config, backend, idleClock, idleSweepInterval);
  }

  /** Binds the front ends and loads the repository. */
  public synchronized Future<Gateway> start() {
    int cores = Runtime.getRuntime().availableProcessors();
    int loops = config.eventLoops() > 0 ? config.eventLoops() : cores;
    try {
      repository = ModelRepository.open(config.modelRepositories(), config.repositoryOptions(cores), backend,
          dev.neutrino.gpu.GpuMonitor.nvml().deviceMemory(),
          config.repository().idleUnload().withClock(idleClock, idleSweepInterval));
    } catch (IOException e) {
      return Future.failedFuture(new UncheckedIOException("cannot open the model repository "
          + String.join(", ", config.modelRepositories().stream().map(Path::toString).toList()) + ": "
          + e.getMessage(), e));
    }
    ServerTls tls = null;
    if (config.tls().enabled()) {
      try {
        certificates = CertificateReloader.create(config.tls(), this::tlsServers);
      } catch (UncheckedIOException e) {
        repository.close();
        return Future.failedFuture(new IllegalStateException(e.getMessage(), e));
      }
      tls = certificates.current();
    }
    ServerTls metricsTls = config.tls().metrics() ? tls : null;
    ServerTls frontEndTls = tls;
    metrics = GatewayMetrics.create(repository, config.telemetry().metricsOptions());
    repository.observeSteps(metrics.ensembleSteps());
    AccessLog accessLog = AccessLog.create(config.telemetry().accessLog());
    AccessControl httpAccess = AccessControl.http(config.access());
    AccessControl grpcAccess = AccessControl.grpc(config.access());
    AccessControl metricsAccess = AccessControl.metrics(config.access());
    if (metrics.enabled()) {
      new RefusalCollector(List.of(httpAccess, grpcAccess, metricsAccess)).register(metrics.registry());
    }
    edge = Edge.create(config.edges(), config.maxRequestBytes(), metrics.refusals());
    // Its transport hands every accepted connection to the edge before Vert.x reads from it. The gRPC
    // front end gets a Vert.x of its own when its transport differs (TransportPreference's note).
    EdgeTransport.Choice httpChoice = EdgeTransport.choose(config.transport(), FrontEnd.HTTP, edge.connections());
    EdgeTransport.Choice grpcChoice = EdgeTransport.choose(config.transport(), FrontEnd.GRPC, edge.connections());
    vertx = vertx(httpChoice, loops);
    grpcVertx = grpcChoice.name().equals(httpChoice.name()) ? vertx : vertx(grpcChoice, loops);
    transport = vertx.isNativeTransportEnabled() ? httpChoice.name() : "nio";
    grpcTransport = grpcVertx.isNativeTransportEnabled() ? grpcChoice.name() : "nio";
    logChoice(grpcVertx == vertx ? "" : "HTTP ", httpChoice);
    if (grpcVertx != vertx) {
      logChoice("gRPC ", grpcChoice);
    }
    metrics.bodyBytes(edge.bodies()::reservedBytes);
    // A limit of its own for each model served (asked once per name): names not served share one.
    Admission admission = Admission.create(config.admission(), Ticker.system(),
        name -> !repository.readyVersions(name).isEmpty() || repository.isScaledToZero(name));
    metrics.admission(admission);
    InferenceCalls calls = InferenceCalls.create(repository, metrics, accessLog);
    FrontEndContext frontEnds = new FrontEndContext(vertx, repository, config.frontEndOptions(), VERSION, extensions(),
        this::ready, metrics, accessLog, edge, admission, calls);
    http = HttpFrontEnd.create(frontEnds, httpAccess);
    grpc = GrpcFrontEnd.create(frontEnds.withVertx(grpcVertx), grpcAccess, http.generation());
    metricsEndpoint = metrics.enabled() ? MetricsEndpoint.create(vertx, metrics, metricsAccess) : null;
    return http.listen(config.host(), config.httpPort(), loops, frontEndTls)
        .recover(error -> Future.failedFuture(bindFailure("HTTP", config.httpPort(), error)))
        .compose(port -> {
          httpPort = port;
          return grpc.listen(config.host(), config.grpcPort(), loops, frontEndTls)
              .recover(error -> Future.failedFuture(bindFailure("gRPC", config.grpcPort(), error)));
        })
        .compose(port -> {
          grpcPort = port;
          if (metricsEndpoint == null) {
            return Future.succeededFuture(-1);
          }
          int wanted = config.telemetry().metricsPort();
          return metricsEndpoint.listen(config.host(), wanted, metricsTls)
              .recover(error -> Future.failedFuture(bindFailure("metrics", wanted, error)));
        })
        .onFailure(bound::tryFail)
        .compose(port -> {
          metricsPort = port;
          if (certificates != null) {
            certificates.start(vertx, Duration.ofSeconds(config.tls().reloadSeconds()));
          }
          bound.tryComplete(httpPort);
          return vertx.executeBlocking(() -> {
            repository.loadAll();
            return null;
          }, false);
        })
        .compose(ignored -> warmUp(calls, httpAccess, grpcAccess, loops))
        .map(ignored -> {
          ready = true;
          return this;
        });
  }

  private boolean ready() {
    return ready && !draining;
  }

  /**
   * Warms the request path before the gateway reports ready ({@code --request-path-warmup-secs}):
   * requests to its own front ends, with the credentials inference needs, until the JIT is quiet. Never
   * fails the start: what it did, or why it could not, is logged and kept for {@link #warmup()}.
   */
  private Future<Void> warmUp(InferenceCalls calls, AccessControl httpAccess, AccessControl grpcAccess, int loops) {
    int seconds = config.requestPathWarmupSecs();
    if (seconds == 0) {
      return Future.succeededFuture();
    }
    if (config.tls().clientCaFile() != null) {
      warmup = RequestPathWarmup.Outcome.skipped("the listeners ask clients for a certificate (mutual TLS),"
          + " and the gateway has none of its own to present");
      LOG.log(System.Logger.Level.WARNING, warmup.describe());
      return Future.succeededFuture();
    }
    RequestPathWarmup.Endpoints endpoints = new RequestPathWarmup.Endpoints(ownAddress(config.host()), httpPort,
        grpcPort, config.tls().enabled(), httpAccess.credentials(ApiGroup.INFERENCE),
        grpcAccess.credentials(ApiGroup.INFERENCE));
    calls.warmupMark().open();
    Future<RequestPathWarmup.Outcome> run;
    try {
      run = RequestPathWarmup.run(vertx, repository.servingVersions(), endpoints, calls.warmupMark(), loops, seconds,
          () -> draining);
    } catch (RuntimeException e) {
      run = Future.failedFuture(e);
    }
    return run.otherwise(error -> RequestPathWarmup.Outcome.skipped("it failed: " + error)).map(outcome -> {
      calls.warmupMark().close(); // every warm-up request has been answered
      warmup = outcome;
      LOG.log(outcome.requests() > 0 ? System.Logger.Level.INFO : System.Logger.Level.WARNING, outcome.describe());
      return null;
    });
  }

  /** Where this process reaches a listener bound to {@code host}: the wildcard address is reached on loopback. */
  static String ownAddress(String host) {
    return switch (host) {
      case "0.0.0.0" -> "127.0.0.1";
      case "::", "[::]", "0:0:0:0:0:0:0:0" -> "::1";
      default -> host;
    };
  }

  private static void logChoice(String frontEnd, EdgeTransport.Choice chosen) {
    LOG.log(chosen.nativeUnavailable() == null ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
        frontEnd + chosen.describe());
  }

  /** A Vert.x with {@code loops} event loops on the transport {@code chosen}. */
  private static Vertx vertx(EdgeTransport.Choice chosen, int loops) {
    // Being given, the transport overrides preferNativeTransport, which it applies itself.
    return Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(loops)
        .setPreferNativeTransport(!chosen.name().equals("nio"))).withTransport(chosen.transport()).build();
  }

  /** What the request-path warm-up did; null when it is off or has not ended. */
  public RequestPathWarmup.Outcome warmup() {
    return warmup;
  }

  /** Every listener serving TLS: the HTTP and gRPC servers, and the metrics server when it serves TLS. */
  private List<HttpServer> tlsServers() {
    List<HttpServer> servers = new ArrayList<>(http.deployment().servers());
    servers.addAll(grpc.deployment().servers());
    if (config.tls().metrics() && metricsEndpoint != null) {
      servers.addAll(metricsEndpoint.servers());
    }
    return servers;
  }

  /** The listeners' certificate and its reloading; null when TLS is off or before {@link #start()}. */
  public CertificateReloader certificates() {
    return certificates;
  }

  /**
   * Drains and stops this gateway as {@link GatewayConfig#shutdown()} says, timed by Vert.x timers.
   * Calling it again returns the drain already under way.
   */
  public Future<Drain.Outcome> drain() {
    Vertx v;
    synchronized (this) {
      v = vertx;
    }
    return v == null ? drain(Drain.Delays.NONE) : drain(Drain.Delays.timers(v));
  }

  /** {@link #drain()} with the waits taken from {@code delays}. */
  public synchronized Future<Drain.Outcome> drain(Drain.Delays delays) {
    if (drained == null) {
      drained = new Drain(this, config.shutdown(), delays).run();
    }
    return drained;
  }

  /** The first phase of a drain: readiness fails, HTTP/1.x answers ask their clients to close. */
  void stopBeingReady() {
    draining = true;
    if (http != null) {
      http.deployment().drain();
      grpc.deployment().drain();
    }
  }

  /**
   * The second phase of a drain: the front ends stop accepting, HTTP/2 connections get a GOAWAY.
   *
   * @param timeout how long Vert.x lets connections finish before it closes them
   * @return completes once every front-end connection has closed
   */
  Future<Void> closeListeners(Duration timeout) {
    if (http == null) {
      return Future.succeededFuture();
    }
    return Future.join(http.deployment().shutdown(timeout), grpc.deployment().shutdown(timeout)).mapEmpty();
  }

  private IllegalStateException bindFailure(String protocol, int port, Throwable error) {
    return new IllegalStateException("cannot serve " + protocol + " on " + config.host() + ":" + port + ": "
        + error.getMessage(), error);
  }

  /**
   * Completes with the HTTP port once both front ends and the metrics endpoint are bound (then
   * {@link #grpcPort()} and {@link #metricsPort()} are known too), before the models finish loading.
   */
  public Future<Integer> listening() {
    return bound.future();
  }

  public int httpPort() {
    return httpPort;
  }

  /**
   * The network transport serving this gateway's HTTP and metrics sockets: {@code io_uring} or
   * {@code epoll} (or another of Netty's native transports) when Vert.x runs on it
   * ({@code Vertx#isNativeTransportEnabled}), else {@code nio}; null before {@link #start()}.
   */
  public String transport() {
    return transport;
  }

  /** As {@link #transport()}, for the gRPC front end's sockets. */
  public String grpcTransport() {
    return grpcTransport;
  }

  /** The gRPC port bound; -1 before {@link #listening()} completes. */
  public int grpcPort() {
    return grpcPort;
  }

  /** The metrics port bound; -1 before {@link #listening()} completes, or when metrics are off. */
  public int metricsPort() {
    return metricsPort;
  }

  /** What this gateway measures; null before {@link #start()}. */
  public GatewayMetrics metrics() {
    return metrics;
  }

  /** The budget and guard at this gateway's edge; null before {@link #start()}. */
  public Edge edge() {
    return edge;
  }

  /** The protocol extensions this gateway offers: the statistics extension only with metrics on. */
  public List<String> extensions() {
    return config.telemetry().metricsEnabled() ? EXTENSIONS
        : EXTENSIONS.stream().filter(e -> !e.equals(STATISTICS)).toList();
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
    if (certificates != null) {
      certificates.stop();
    }
    if (vertx == null) {
      return Future.succeededFuture();
    }
    Vertx v = vertx;
    Vertx g = grpcVertx;
    vertx = null;
    grpcVertx = null;
    CompletableFuture<Void> done = new CompletableFuture<>();
    Future<Void> metricsClosed = metricsEndpoint == null ? Future.succeededFuture() : metricsEndpoint.close();
    // Connections a drain left open are dropped now, not when the servers' graceful shutdown runs out.
    Future.join(http.close(), grpc.close(), metricsClosed).eventually(() -> edge.connections().closeAll())
        .onComplete(closed -> {
      try {
        repository.close();
      } finally {
        Future<Void> grpcClosed = g == null || g == v ? Future.succeededFuture() : g.close();
        grpcClosed.eventually(v::close).onComplete(ignored -> done.complete(null));
      }
    });
    return Future.fromCompletionStage(done);
  }
}
