package dev.neutrino.gateway;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.neutrino.gateway.admission.AdmissionSettings;
import dev.neutrino.gateway.edge.EdgeLimits;
import dev.neutrino.gateway.edge.TransportPreference;
import dev.neutrino.gateway.logging.LogSetup;
import dev.neutrino.gateway.metrics.MetricsOptions;
import dev.neutrino.gateway.security.AccessSettings;
import dev.neutrino.gateway.security.Credential;
import dev.neutrino.gateway.security.Restriction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.repo.ConfigCompletion;
import dev.neutrino.repo.IdleUnload;
import dev.neutrino.repo.LoadLimits;
import dev.neutrino.repo.ModelControlMode;
import dev.neutrino.repo.RepositoryOptions;
import dev.neutrino.runtime.ComputePriority;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import picocli.CommandLine;

/**
 * The serving process's configuration: immutable, validated on construction, read from one YAML file
 * ({@code --config}) and overridden by command-line flags. Defaults follow Triton's where it has one.
 *
 * @param host the address the front ends bind
 * @param httpPort HTTP port; 0 picks a free one
 * @param grpcPort gRPC port; 0 picks a free one
 * @param modelRepositories the repository folders, served together (Triton's repeatable
 *     {@code --model-repository}); a model name in two of them fails to load naming both
 * @param maxRequestBytes largest request accepted: an HTTP body, or one gRPC message
 * @param idleTimeoutSeconds idle connections are closed after this long
 * @param eventLoops event-loop threads; 0 means one per core
 * @param cpuThreads cores the model instances may use together; 0 means all
 * @param repository how the model repository is controlled
 * @param telemetry metrics and logs
 * @param tls certificates for the listeners; {@link TlsSettings#OFF} serves cleartext
 * @param shutdown how a stop signal drains the process
 * @param access who may call what (API keys, the repository API's defaults)
 * @param edges what the edge allows a client: bodies in flight, connections, read timeouts, HTTP/2 limits
 * @param admission how many inference requests the front door lets in at once
 * @param transport which of Netty's transports serves each front end's sockets: the native ones
 *     (io_uring for HTTP, epoll for gRPC) where they load, one of them for both, or Java NIO
 */
public record GatewayConfig(
    String host,
    int httpPort,
    int grpcPort,
    List<Path> modelRepositories,
    long maxRequestBytes,
    int idleTimeoutSeconds,
    int eventLoops,
    int cpuThreads,
    RepositorySettings repository,
    TelemetrySettings telemetry,
    TlsSettings tls,
    ShutdownSettings shutdown,
    AccessSettings access,
    EdgeLimits edges,
    AdmissionSettings admission,
    TransportPreference transport,
    int requestPathWarmupSecs) {

  /** The longest warm-up of the request path ({@code request_path_warmup_secs}) accepted. */
  public static final int MAX_REQUEST_PATH_WARMUP_SECS = 600;

  /**
   * The repository's settings, with Triton's flag names where Triton has them.
   *
   * @param controlMode {@code --model-control-mode}
   * @param pollSeconds {@code --repository-poll-secs}
   * @param loadModels {@code --load-model}, repeatable, {@code *} for all (explicit mode)
   * @param memoryBudgetBytes {@code --model-memory-budget}; 0 turns residency off
   * @param responseCacheBytes {@code --response-cache-bytes}; 0 turns the response cache off
   * @param loaderThreads {@code --model-load-thread-count}: loads of different models run at once
   * @param autoComplete false is {@code --disable-auto-complete-config}: configurations are used as
   *     written, and must declare every input and output
   * @param defaultMaxBatchSize {@code --default-max-batch-size}: {@code max_batch_size} of a batchable
   *     model whose configuration does not say (Triton's
   *     {@code --backend-config=onnxruntime,default-max-batch-size})
   * @param idleUnloadSecs {@code --model-idle-unload-secs}: a model unused this long is unloaded and
   *     loaded again by its next request; 0 (the default) keeps models loaded, unless a model's
   *     configuration sets the parameter {@code idle_unload_secs}
   * @param modelCacheDir {@code --model-cache-dir}: where ONNX Runtime's optimized graphs are kept so
   *     that a reload skips graph optimisation; null keeps none
   * @param computeNice {@code --compute-nice}: the Linux nice value of the threads that run models, above
   *     the event loops' 0, so that a saturated CPU still reads, refuses and answers at once
   *     ({@link ComputePriority}); 0 runs them at the process's priority
   */
  public record RepositorySettings(
      ModelControlMode controlMode, int pollSeconds, List<String> loadModels, long memoryBudgetBytes,
      long responseCacheBytes, int loaderThreads, boolean autoComplete, int defaultMaxBatchSize,
      long idleUnloadSecs, Path modelCacheDir, int computeNice) {
    public static final long DEFAULT_IDLE_UNLOAD_SECS = 0;
    /**
     * The model threads' nice value unless {@code --compute-nice} says otherwise: at 10 the kernel gives
     * an event loop with work about nine times a model thread's share of a saturated core.
     */
    public static final int DEFAULT_COMPUTE_NICE = 10;
    /** Ten years: beyond it, a typo. */
    public static final long MAX_IDLE_UNLOAD_SECS = 315_360_000;
    /** The optimized-graph cache's folder unless {@code --model-cache-dir} says otherwise. */
    public static final Path DEFAULT_MODEL_CACHE_DIR =
        Path.of(System.getProperty("java.io.tmpdir"), "neutrino-ort-cache");
    public static final RepositorySettings DEFAULTS =
        new RepositorySettings(ModelControlMode.NONE, 15, List.of(), 0, 0);

    /** Settings with the model threads at {@link #DEFAULT_COMPUTE_NICE}. */
    public RepositorySettings(ModelControlMode controlMode, int pollSeconds, List<String> loadModels,
        long memoryBudgetBytes, long responseCacheBytes, int loaderThreads, boolean autoComplete,
        int defaultMaxBatchSize, long idleUnloadSecs, Path modelCacheDir) {
      this(controlMode, pollSeconds, loadModels, memoryBudgetBytes, responseCacheBytes, loaderThreads,
          autoComplete, defaultMaxBatchSize, idleUnloadSecs, modelCacheDir, DEFAULT_COMPUTE_NICE);
    }

    /** Settings with the default optimized-graph cache. */
    public RepositorySettings(ModelControlMode controlMode, int pollSeconds, List<String> loadModels,
        long memoryBudgetBytes, long responseCacheBytes, int loaderThreads, boolean autoComplete,
        int defaultMaxBatchSize, long idleUnloadSecs) {
      this(controlMode, pollSeconds, loadModels, memoryBudgetBytes, responseCacheBytes, loaderThreads,
          autoComplete, defaultMaxBatchSize, idleUnloadSecs, DEFAULT_MODEL_CACHE_DIR);
    }

    /** Settings with the default loader threads and Triton's auto-complete. */
    public RepositorySettings(ModelControlMode controlMode, int pollSeconds, List<String> loadModels,
        long memoryBudgetBytes, long responseCacheBytes) {
      this(controlMode, pollSeconds, loadModels, memoryBudgetBytes, responseCacheBytes,
          RepositoryOptions.DEFAULT_LOADER_THREADS, true, ConfigCompletion.DEFAULT_MAX_BATCH_SIZE,
          DEFAULT_IDLE_UNLOAD_SECS);
    }

    /** Settings whose models stay loaded however long they go unused. */
    public RepositorySettings(ModelControlMode controlMode, int pollSeconds, List<String> loadModels,
        long memoryBudgetBytes, long responseCacheBytes, int loaderThreads, boolean autoComplete,
        int defaultMaxBatchSize) {
      this(controlMode, pollSeconds, loadModels, memoryBudgetBytes, responseCacheBytes, loaderThreads, autoComplete,
          defaultMaxBatchSize, DEFAULT_IDLE_UNLOAD_SECS);
    }

    /** The settings with models unloaded after {@code seconds} unused (0: never). */
    public RepositorySettings withIdleUnloadSecs(long seconds) {
      return new RepositorySettings(controlMode, pollSeconds, loadModels, memoryBudgetBytes, responseCacheBytes,
          loaderThreads, autoComplete, defaultMaxBatchSize, seconds, modelCacheDir, computeNice);
    }

    /** When models scale to zero, on the system clock. */
    public IdleUnload idleUnload() {
      return IdleUnload.afterSeconds(idleUnloadSecs);
    }

    public RepositorySettings {
      Objects.requireNonNull(controlMode, "model_control_mode");
      loadModels = List.copyOf(loadModels);
      if (pollSeconds < 1) {
        throw new IllegalArgumentException("repository_poll_secs must be >= 1, got " + pollSeconds);
      }
      if (memoryBudgetBytes < 0) {
        throw new IllegalArgumentException("model_memory_budget must be >= 0, got " + memoryBudgetBytes);
      }
      if (responseCacheBytes < 0) {
        throw new IllegalArgumentException("response_cache_bytes must be >= 0, got " + responseCacheBytes);
      }
      if (loaderThreads < 1) {
        throw new IllegalArgumentException("model_load_thread_count must be >= 1, got " + loaderThreads);
      }
      if (defaultMaxBatchSize < 0) {
        throw new IllegalArgumentException("default_max_batch_size must be >= 0, got " + defaultMaxBatchSize);
      }
      if (idleUnloadSecs < 0 || idleUnloadSecs > MAX_IDLE_UNLOAD_SECS) {
        throw new IllegalArgumentException("model_idle_unload_secs must be between 0 and " + MAX_IDLE_UNLOAD_SECS
            + ", got " + idleUnloadSecs);
      }
      if (!loadModels.isEmpty() && controlMode != ModelControlMode.EXPLICIT) {
        throw new IllegalArgumentException("--load-model needs --model-control-mode explicit");
      }
      ComputePriority.requireNice(computeNice, "compute_nice");
    }

    /** The settings with the model threads at {@code nice} ({@code --compute-nice}). */
    public RepositorySettings withComputeNice(int nice) {
      return new RepositorySettings(controlMode, pollSeconds, loadModels, memoryBudgetBytes, responseCacheBytes,
          loaderThreads, autoComplete, defaultMaxBatchSize, idleUnloadSecs, modelCacheDir, nice);
    }

    /** The repository's options for a process with {@code cpuThreads} cores for models. */
    public RepositoryOptions options(int cpuThreads) {
      return new RepositoryOptions(cpuThreads, SchedulerOptions.DEFAULT)
          .withControlMode(controlMode, Duration.ofSeconds(pollSeconds), new java.util.HashSet<>(loadModels))
          .withMemoryBudget(memoryBudgetBytes)
          .withResponseCache(responseCacheBytes)
          .withLoaderThreads(loaderThreads)
          .withCompletion(new ConfigCompletion(autoComplete, defaultMaxBatchSize))
          .withComputeNice(computeNice);
    }
  }

  /**
   * What the process tells SREs about itself.
   *
   * @param metricsPort {@code --metrics-port}: Prometheus metrics at {@code /metrics}; 0 picks a free
   *     port, -1 turns metrics off altogether (nothing measured, no statistics extension)
   * @param tritonCompatibleMetrics {@code --triton-compatible-metrics}: also Triton's
   *     {@code nv_inference_*} names and units
   * @param logLevel {@code --log-level}: error, warn, info, debug or trace
   * @param accessLog {@code --access-log}: a JSON line per request
   */
  public record TelemetrySettings(int metricsPort, boolean tritonCompatibleMetrics, String logLevel,
      boolean accessLog) {
    /** Triton's metrics port. */
    public static final int DEFAULT_METRICS_PORT = 8002;
    /** The {@code --metrics-port} value that turns metrics off. */
    public static final int METRICS_OFF = -1;
    public static final TelemetrySettings DEFAULTS =
        new TelemetrySettings(DEFAULT_METRICS_PORT, false, LogSetup.DEFAULT_LEVEL, false);

    public TelemetrySettings {
      Objects.requireNonNull(logLevel, "log_level");
      if (metricsPort < METRICS_OFF || metricsPort > 65535) {
        throw new IllegalArgumentException("metrics_port must be between 0 and 65535, or -1 for no metrics, got "
            + metricsPort);
      }
      LogSetup.parseLevel(logLevel); // names the accepted values when it fails
      if (tritonCompatibleMetrics && metricsPort == METRICS_OFF) {
        throw new IllegalArgumentException("triton_compatible_metrics needs metrics: metrics_port is -1");
      }
    }

    public boolean metricsEnabled() {
      return metricsPort != METRICS_OFF;
    }

    /** What the gateway measures and exports. */
    public MetricsOptions metricsOptions() {
      return metricsEnabled() ? new MetricsOptions(true, tritonCompatibleMetrics) : MetricsOptions.OFF;
    }
  }

  /**
   * TLS on the listeners, from PEM files that are read again whenever they change.
   *
   * @param certFile {@code --tls-cert-file}: the server's certificate chain (PEM); null serves cleartext
   * @param keyFile {@code --tls-key-file}: its private key (PEM, PKCS#8 or PKCS#1)
   * @param clientCaFile {@code --tls-client-ca-file}: when set, clients must present a certificate
   *     signed by one of these CAs (mutual TLS); null asks for none
   * @param metrics {@code --tls-metrics}: the metrics port serves TLS too (with the same files)
   * @param reloadSeconds {@code --tls-reload-secs}: how often the files are checked for a change
   */
  public record TlsSettings(Path certFile, Path keyFile, Path clientCaFile, boolean metrics, int reloadSeconds) {
    public static final int DEFAULT_RELOAD_SECONDS = 10;
    public static final TlsSettings OFF = new TlsSettings(null, null, null, false, DEFAULT_RELOAD_SECONDS);

    public TlsSettings {
      if ((certFile == null) != (keyFile == null)) {
        throw new IllegalArgumentException("tls_cert_file and tls_key_file must be given together, got "
            + (certFile == null ? "only tls_key_file" : "only tls_cert_file"));
      }
      if (certFile == null && clientCaFile != null) {
        throw new IllegalArgumentException("tls_client_ca_file needs tls_cert_file and tls_key_file");
      }
      if (certFile == null && metrics) {
        throw new IllegalArgumentException("tls_metrics needs tls_cert_file and tls_key_file");
      }
      if (reloadSeconds < 1) {
        throw new IllegalArgumentException("tls_reload_secs must be >= 1, got " + reloadSeconds);
      }
    }

    public boolean enabled() {
      return certFile != null;
    }

    public boolean mutual() {
      return clientCaFile != null;
    }
  }

  /**
   * What a stop signal (SIGTERM, SIGINT) does: readiness fails at once, requests are served for
   * {@code drainDelaySeconds} more, then the listeners close and in-flight work has
   * {@code exitTimeoutSeconds} to complete.
   *
   * @param drainDelaySeconds {@code --drain-delay}: how long a draining gateway keeps serving, so that
   *     load balancers notice it is not ready before it stops accepting
   * @param exitTimeoutSeconds {@code --exit-timeout-secs} (Triton's): how long in-flight and queued
   *     requests may take once the listeners are closed; past it the process exits 1
   */
  public record ShutdownSettings(int drainDelaySeconds, int exitTimeoutSeconds) {
    public static final int DEFAULT_DRAIN_DELAY_SECONDS = 5;
    public static final int DEFAULT_EXIT_TIMEOUT_SECONDS = 30;
    public static final ShutdownSettings DEFAULTS =
        new ShutdownSettings(DEFAULT_DRAIN_DELAY_SECONDS, DEFAULT_EXIT_TIMEOUT_SECONDS);

    public ShutdownSettings {
      if (drainDelaySeconds < 0) {
        throw new IllegalArgumentException("drain_delay must be >= 0, got " + drainDelaySeconds);
      }
      if (exitTimeoutSeconds < 0) {
        throw new IllegalArgumentException("exit_timeout_secs must be >= 0, got " + exitTimeoutSeconds);
      }
    }

    public Duration drainDelay() {
      return Duration.ofSeconds(drainDelaySeconds);
    }

    public Duration exitTimeout() {
      return Duration.ofSeconds(exitTimeoutSeconds);
    }
  }

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_HTTP_PORT = 8000;
  public static final int DEFAULT_GRPC_PORT = 8001;
  public static final Path DEFAULT_MODEL_REPOSITORY = Path.of(
      System.getProperty("neutrino.home", "."), "model-repo", "target", "example-repository");

  public GatewayConfig {
    Objects.requireNonNull(host, "host");
    modelRepositories = List.copyOf(Objects.requireNonNull(modelRepositories, "model_repository"));
    if (modelRepositories.isEmpty()) {
      throw new IllegalArgumentException("model_repository needs at least one folder");
    }
    Objects.requireNonNull(repository, "repository");
    Objects.requireNonNull(telemetry, "telemetry");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(shutdown, "shutdown");
    Objects.requireNonNull(edges, "edges");
    Objects.requireNonNull(admission, "admission");
    Objects.requireNonNull(transport, "transport");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    if (httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("http_port must be between 0 and 65535, got " + httpPort);
    }
    if (grpcPort < 0 || grpcPort > 65535) {
      throw new IllegalArgumentException("grpc_port must be between 0 and 65535, got " + grpcPort);
    }
    new FrontEndOptions(maxRequestBytes, idleTimeoutSeconds); // validates both
    edges.bodyBudgetBytes(maxRequestBytes); // an explicit budget holds at least one largest request
    if (eventLoops < 0) {
      throw new IllegalArgumentException("event_loops must be >= 0, got " + eventLoops);
    }
    if (cpuThreads < 0) {
      throw new IllegalArgumentException("cpu_threads must be >= 0, got " + cpuThreads);
    }
    if (requestPathWarmupSecs < 0 || requestPathWarmupSecs > MAX_REQUEST_PATH_WARMUP_SECS) {
      throw new IllegalArgumentException("request_path_warmup_secs must be between 0 and "
          + MAX_REQUEST_PATH_WARMUP_SECS + ", got " + requestPathWarmupSecs);
    }
  }

  public static GatewayConfig defaults() {
    return new GatewayConfig(DEFAULT_HOST, DEFAULT_HTTP_PORT, DEFAULT_GRPC_PORT, List.of(DEFAULT_MODEL_REPOSITORY),
        FrontEndOptions.DEFAULT_MAX_REQUEST_BYTES, FrontEndOptions.DEFAULT_IDLE_TIMEOUT_SECONDS, 0, 0,
        RepositorySettings.DEFAULTS, TelemetrySettings.DEFAULTS, TlsSettings.OFF, ShutdownSettings.DEFAULTS,
        AccessSettings.DEFAULTS, EdgeLimits.DEFAULTS, AdmissionSettings.DEFAULTS,
        TransportPreference.DEFAULT, 0);
  }

  /**
   * The repository's options on a machine with {@code availableCores}: models use {@code cpu_threads}
   * cores (all when 0), and a model's configuration is bounded by them ({@link LoadLimits#forCores}:
   * instances per model, threads per instance) and by {@code max_request_bytes} (one warm-up request).
   */
  public RepositoryOptions repositoryOptions(int availableCores) {
    int cores = cpuThreads > 0 ? cpuThreads : availableCores;
    return repository.options(cores).withLimits(LoadLimits.forCores(cores, maxRequestBytes));
  }

  /** The limits of both front ends: one gRPC message may be as large as one HTTP body. */
  public FrontEndOptions frontEndOptions() {
    return new FrontEndOptions(maxRequestBytes, idleTimeoutSeconds);
  }

  public GatewayConfig withHttpPort(int port) {
    return new GatewayConfig(host, port, grpcPort, modelRepositories, maxRequestBytes, idleTimeoutSeconds, eventLoops,
        cpuThreads, repository, telemetry, tls, shutdown, access, edges, admission, transport, requestPathWarmupSecs);
  }

  public GatewayConfig withGrpcPort(int port) {
    return new GatewayConfig(host, httpPort, port, modelRepositories, maxRequestBytes, idleTimeoutSeconds, eventLoops,
        cpuThreads, repository, telemetry, tls, shutdown, access, edges, admission, transport, requestPathWarmupSecs);
  }

  /** The first repository folder (the only one, unless several are served together). */
  public Path modelRepository() {
    return modelRepositories.get(0);
  }

  public GatewayConfig withModelRepository(Path folder) {
    return withModelRepositories(List.of(folder));
  }

  public GatewayConfig withModelRepositories(List<Path> folders) {
    return new GatewayConfig(host, httpPort, grpcPort, folders, maxRequestBytes, idleTimeoutSeconds, eventLoops,
        cpuThreads, repository, telemetry, tls, shutdown, access, edges, admission, transport, requestPathWarmupSecs);
  }

  public GatewayConfig withMaxRequestBytes(long bytes) {
    return new GatewayConfig(host, httpPort, grpcPort, modelRepositories, bytes, idleTimeoutSeconds, eventLoops,
        cpuThreads, repository, telemetry, tls, shutdown, access, edges, admission, transport, requestPathWarmupSecs);
  }

  public GatewayConfig withRepository(RepositorySettings settings) {
    return new GatewayConfig(host, httpPort, grpcPort, modelRepositories, maxRequestBytes, idleTimeoutSeconds, eventLoops,
        cpuThreads, settings, telemetry, tls, shutdown, access, edges, admission, transport, requestPathWarmupSecs);
  }

  public GatewayConfig withTelemetry(TelemetrySettings settings) {
    return new GatewayConfig(host, httpPort, grpcPort, modelRepositories, maxRequestBytes, idleTimeoutSeconds, eventLoops,
        cpuThreads, repository, settings, tls, shutdown, access, edges, admission, transport, requestPathWarmupSecs);
  }

  public GatewayConfig withEdges(EdgeLimits limits) {
    return new GatewayConfig(host, httpPort, grpcPort, modelRepositories, maxRequestBytes, idleTimeoutSeconds, eventLoops,
        cpuThreads, repository, telemetry, tls, shutdown, access, limits, admission, transport, requestPathWarmupSecs);
  }

  public GatewayConfig withTls(TlsSettings settings) {
    return new GatewayConfig(host, httpPort, grpcPort, modelRepositories, maxRequestBytes, idleTimeoutSeconds, eventLoops,
        cpuThreads, repository, telemetry, settings, shutdown, access, edges, admission, transport, requestPathWarmupSecs);
  }

  public GatewayConfig withShutdown(ShutdownSettings settings) {
    return new GatewayConfig(host, httpPort, grpcPort, modelRepositories, maxRequestBytes, idleTimeoutSeconds, eventLoops,
        cpuThreads, repository, telemetry, tls, settings, access, edges, admission, transport, requestPathWarmupSecs);
  }

  public GatewayConfig withAdmission(AdmissionSettings settings) {
    return new GatewayConfig(host, httpPort, grpcPort, modelRepositories, maxRequestBytes, idleTimeoutSeconds, eventLoops,
        cpuThreads, repository, telemetry, tls, shutdown, access, edges, settings, transport, requestPathWarmupSecs);
  }

  public GatewayConfig withTransport(TransportPreference preference) {
    return new GatewayConfig(host, httpPort, grpcPort, modelRepositories, maxRequestBytes, idleTimeoutSeconds, eventLoops,
        cpuThreads, repository, telemetry, tls, shutdown, access, edges, admission, preference, requestPathWarmupSecs);
  }

  public GatewayConfig withRequestPathWarmupSecs(int seconds) {
    return new GatewayConfig(host, httpPort, grpcPort, modelRepositories, maxRequestBytes, idleTimeoutSeconds, eventLoops,
        cpuThreads, repository, telemetry, tls, shutdown, access, edges, admission, transport, seconds);
  }

  public GatewayConfig withAccess(AccessSettings settings) {
    return new GatewayConfig(host, httpPort, grpcPort, modelRepositories, maxRequestBytes, idleTimeoutSeconds, eventLoops,
        cpuThreads, repository, telemetry, tls, shutdown, settings, edges, admission, transport, requestPathWarmupSecs);
  }

  /**
   * The configuration as YAML-style key/value pairs, for the start-up log. File paths are not secret;
   * keys are: a restricted API's value prints as {@code <redacted>}, or as {@code @PATH} when read
   * from a file.
   */
  public Map<String, Object> describe() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("host", host);
    out.put("http_port", httpPort);
    out.put("grpc_port", grpcPort);
    out.put("model_repository", modelRepositories.size() == 1 ? modelRepository().toString()
        : modelRepositories.stream().map(Path::toString).toList());
    out.put("max_request_bytes", maxRequestBytes);
    out.put("idle_timeout_seconds", idleTimeoutSeconds);
    out.put("event_loops", eventLoops);
    out.put("cpu_threads", cpuThreads);
    out.put("transport", transport.label());
    out.put("model_control_mode", repository.controlMode().name().toLowerCase(Locale.ROOT));
    out.put("repository_poll_secs", repository.pollSeconds());
    out.put("load_model", repository.loadModels());
    out.put("model_memory_budget", repository.memoryBudgetBytes());
    out.put("response_cache_bytes", repository.responseCacheBytes());
    out.put("model_load_thread_count", repository.loaderThreads());
    out.put("disable_auto_complete_config", !repository.autoComplete());
    out.put("default_max_batch_size", repository.defaultMaxBatchSize());
    out.put("model_idle_unload_secs", repository.idleUnloadSecs());
    out.put("model_cache_dir", repository.modelCacheDir() == null ? null : repository.modelCacheDir().toString());
    out.put("compute_nice", repository.computeNice());
    out.put("metrics_port", telemetry.metricsPort());
    out.put("triton_compatible_metrics", telemetry.tritonCompatibleMetrics());
    out.put("log_level", telemetry.logLevel());
    out.put("access_log", telemetry.accessLog());
    out.put("tls_cert_file", tls.certFile() == null ? null : tls.certFile().toString());
    out.put("tls_key_file", tls.keyFile() == null ? null : tls.keyFile().toString());
    out.put("tls_client_ca_file", tls.clientCaFile() == null ? null : tls.clientCaFile().toString());
    out.put("tls_metrics", tls.metrics());
    out.put("tls_reload_secs", tls.reloadSeconds());
    out.put("drain_delay", shutdown.drainDelaySeconds());
    out.put("exit_timeout_secs", shutdown.exitTimeoutSeconds());
    out.put("http_restricted_api", access.httpRestrictions().stream().map(Restriction::toString).toList());
    out.put("grpc_restricted_protocol", access.grpcRestrictions().stream().map(Restriction::toString).toList());
    out.put("repository_allowed_origins", access.repositoryAllowedOrigins());
    out.put("metrics_restricted_api", access.metricsCredential() == null ? "" : access.metricsCredential().toString());
    out.put("max_inflight_request_bytes", edges.bodyBudgetBytes(maxRequestBytes));
    out.put("max_connections", edges.maxConnections());
    out.put("header_read_timeout_ms", edges.headerReadTimeoutMillis());
    out.put("body_read_timeout_ms", edges.bodyReadTimeoutMillis());
    out.put("http2_max_concurrent_streams", edges.http2MaxConcurrentStreams());
    out.put("http2_max_header_list_size", edges.http2MaxHeaderListSize());
    out.put("admission", admission.mode().label());
    out.put("admission_limit_min", admission.limitMin());
    out.put("admission_limit_max", admission.limitMax());
    out.put("admission_latency_tolerance", admission.latencyTolerance());
    out.put("request_path_warmup_secs", requestPathWarmupSecs);
    return out;
  }

  /** The keys a configuration file may hold; every one optional. */
  record FileConfig(
      String host,
      Integer httpPort,
      Integer grpcPort,
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> modelRepository,
      Long maxRequestBytes,
      Integer idleTimeoutSeconds,
      Integer eventLoops,
      Integer cpuThreads,
      String transport,
      String modelControlMode,
      Integer repositoryPollSecs,
      List<String> loadModel,
      Long modelMemoryBudget,
      Long responseCacheBytes,
      Integer modelLoadThreadCount,
      Boolean disableAutoCompleteConfig,
      Integer defaultMaxBatchSize,
      Long modelIdleUnloadSecs,
      String modelCacheDir,
      Integer computeNice,
      Integer metricsPort,
      Boolean tritonCompatibleMetrics,
      String logLevel,
      Boolean accessLog,
      String tlsCertFile,
      String tlsKeyFile,
      String tlsClientCaFile,
      Boolean tlsMetrics,
      Integer tlsReloadSecs,
      Integer drainDelay,
      Integer exitTimeoutSecs,
      List<String> httpRestrictedApi,
      List<String> grpcRestrictedProtocol,
      List<String> repositoryAllowedOrigins,
      String metricsRestrictedApi,
      Long maxInflightRequestBytes,
      Integer maxConnections,
      Long headerReadTimeoutMs,
      Long bodyReadTimeoutMs,
      Long http2MaxConcurrentStreams,
      Long http2MaxHeaderListSize,
      String admission,
      Integer admissionLimitMin,
      Integer admissionLimitMax,
      Double admissionLatencyTolerance,
      Integer requestPathWarmupSecs) {}

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * Reads a configuration file over the defaults.
   *
   * @throws IllegalArgumentException naming an unknown key or a bad value
   */
  public static GatewayConfig fromYaml(String yaml, GatewayConfig base) {
    return merge(readYaml(yaml), base, Map.of());
  }

  private static ObjectNode readYaml(String yaml) {
    try {
      JsonNode tree = yaml.isBlank() ? null : YAML.readTree(yaml);
      if (tree == null || tree.isNull() || tree.isMissingNode()) {
        return YAML.createObjectNode();
      }
      if (!tree.isObject()) {
        throw new IllegalArgumentException("the configuration file must be a mapping of keys to values");
      }
      return (ObjectNode) tree;
    } catch (JacksonException e) {
      throw new IllegalArgumentException("malformed configuration YAML: " + e.getOriginalMessage());
    }
  }

  /**
   * Lays {@code settings} (the file's keys, flags already written over them) over {@code base}.
   *
   * @param flags the raw flag values by key, to name the flag rather than the key in errors
   */
  private static GatewayConfig merge(ObjectNode settings, GatewayConfig base, Map<String, String> flags) {
    FileConfig file;
    try {
      file = YAML.treeToValue(settings, FileConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException("unknown configuration key '" + e.getPropertyName() + "'");
    } catch (JsonMappingException e) {
      String key = e.getPath().isEmpty() ? null : e.getPath().get(0).getFieldName();
      String flag = key == null ? null : key.replace('_', '-');
      if (flag != null && flags.containsKey(flag)) {
        throw new IllegalArgumentException("flag --" + flag + " has an invalid value '" + flags.get(flag) + "'");
      }
      throw new IllegalArgumentException("invalid configuration value" + (key == null ? "" : " for " + key)
          + ": " + e.getOriginalMessage().split("\n")[0]);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("malformed configuration: " + e.getOriginalMessage());
    }
    return new GatewayConfig(
        file.host() != null ? file.host() : base.host(),
        file.httpPort() != null ? file.httpPort() : base.httpPort(),
        file.grpcPort() != null ? file.grpcPort() : base.grpcPort(),
        file.modelRepository() != null ? file.modelRepository().stream().map(Path::of).toList()
            : base.modelRepositories(),
        file.maxRequestBytes() != null ? file.maxRequestBytes() : base.maxRequestBytes(),
        file.idleTimeoutSeconds() != null ? file.idleTimeoutSeconds() : base.idleTimeoutSeconds(),
        file.eventLoops() != null ? file.eventLoops() : base.eventLoops(),
        file.cpuThreads() != null ? file.cpuThreads() : base.cpuThreads(),
        new RepositorySettings(
            file.modelControlMode() != null ? controlMode(file.modelControlMode()) : base.repository().controlMode(),
            file.repositoryPollSecs() != null ? file.repositoryPollSecs() : base.repository().pollSeconds(),
            file.loadModel() != null ? file.loadModel() : base.repository().loadModels(),
            file.modelMemoryBudget() != null ? file.modelMemoryBudget() : base.repository().memoryBudgetBytes(),
            file.responseCacheBytes() != null ? file.responseCacheBytes() : base.repository().responseCacheBytes(),
            file.modelLoadThreadCount() != null ? file.modelLoadThreadCount() : base.repository().loaderThreads(),
            file.disableAutoCompleteConfig() != null ? !file.disableAutoCompleteConfig()
                : base.repository().autoComplete(),
            file.defaultMaxBatchSize() != null ? file.defaultMaxBatchSize()
                : base.repository().defaultMaxBatchSize(),
            file.modelIdleUnloadSecs() != null ? file.modelIdleUnloadSecs() : base.repository().idleUnloadSecs(),
            file.modelCacheDir() != null
                ? (file.modelCacheDir().isBlank() ? null : Path.of(file.modelCacheDir()))
                : base.repository().modelCacheDir(),
            file.computeNice() != null ? file.computeNice() : base.repository().computeNice()),
        new TelemetrySettings(
            file.metricsPort() != null ? file.metricsPort() : base.telemetry().metricsPort(),
            file.tritonCompatibleMetrics() != null ? file.tritonCompatibleMetrics()
                : base.telemetry().tritonCompatibleMetrics(),
            file.logLevel() != null ? file.logLevel().toLowerCase(Locale.ROOT) : base.telemetry().logLevel(),
            file.accessLog() != null ? file.accessLog() : base.telemetry().accessLog()),
        new TlsSettings(
            file.tlsCertFile() != null ? Path.of(file.tlsCertFile()) : base.tls().certFile(),
            file.tlsKeyFile() != null ? Path.of(file.tlsKeyFile()) : base.tls().keyFile(),
            file.tlsClientCaFile() != null ? Path.of(file.tlsClientCaFile()) : base.tls().clientCaFile(),
            file.tlsMetrics() != null ? file.tlsMetrics() : base.tls().metrics(),
            file.tlsReloadSecs() != null ? file.tlsReloadSecs() : base.tls().reloadSeconds()),
        new ShutdownSettings(
            file.drainDelay() != null ? file.drainDelay() : base.shutdown().drainDelaySeconds(),
            file.exitTimeoutSecs() != null ? file.exitTimeoutSecs() : base.shutdown().exitTimeoutSeconds()),
        access(file, base.access()),
        new EdgeLimits(
            file.maxInflightRequestBytes() != null ? file.maxInflightRequestBytes()
                : base.edges().maxInflightRequestBytes(),
            file.maxConnections() != null ? file.maxConnections() : base.edges().maxConnections(),
            file.headerReadTimeoutMs() != null ? file.headerReadTimeoutMs() : base.edges().headerReadTimeoutMillis(),
            file.bodyReadTimeoutMs() != null ? file.bodyReadTimeoutMs() : base.edges().bodyReadTimeoutMillis(),
            file.http2MaxConcurrentStreams() != null ? file.http2MaxConcurrentStreams()
                : base.edges().http2MaxConcurrentStreams(),
            file.http2MaxHeaderListSize() != null ? file.http2MaxHeaderListSize()
                : base.edges().http2MaxHeaderListSize()),
        new AdmissionSettings(
            file.admission() != null ? AdmissionSettings.Mode.parse(file.admission()) : base.admission().mode(),
            file.admissionLimitMin() != null ? file.admissionLimitMin() : base.admission().limitMin(),
            file.admissionLimitMax() != null ? file.admissionLimitMax() : base.admission().limitMax(),
            file.admissionLatencyTolerance() != null ? file.admissionLatencyTolerance()
                : base.admission().latencyTolerance()),
        file.transport() != null ? TransportPreference.parse(file.transport()) : base.transport(),
        file.requestPathWarmupSecs() != null ? file.requestPathWarmupSecs() : base.requestPathWarmupSecs());
  }

  /** The access settings of {@code file} over {@code base}; secrets given as {@code @FILE} are read here. */
  private static AccessSettings access(FileConfig file, AccessSettings base) {
    return new AccessSettings(
        file.httpRestrictedApi() != null
            ? file.httpRestrictedApi().stream().map(r -> Restriction.parse(r, "--http-restricted-api")).toList()
            : base.httpRestrictions(),
        file.grpcRestrictedProtocol() != null
            ? file.grpcRestrictedProtocol().stream().map(r -> Restriction.parse(r, "--grpc-restricted-protocol")).toList()
            : base.grpcRestrictions(),
        file.repositoryAllowedOrigins() != null
            ? file.repositoryAllowedOrigins().stream().flatMap(o -> java.util.Arrays.stream(o.split(","))).toList()
            : base.repositoryAllowedOrigins(),
        file.metricsRestrictedApi() != null
            ? (file.metricsRestrictedApi().isBlank() ? null
                : Credential.parse(file.metricsRestrictedApi(), "--metrics-restricted-api"))
            : base.metricsCredential());
  }

  private static ModelControlMode controlMode(String value) {
    try {
      return ModelControlMode.valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("model control mode must be none, poll or explicit, got '" + value + "'");
    }
  }

  /**
   * Builds the configuration from command-line arguments: {@code --config FILE} first, then flags over
   * it. A flag is its configuration key spelt with dashes ({@code --http-port} is {@code http_port}),
   * so flags and the file go through one mapping and one set of checks.
   *
   * @throws IllegalArgumentException naming an unknown flag or a bad value
   */
  public static GatewayConfig fromArgs(String[] args) throws IOException {
    CommandLine.ParseResult parsed;
    try {
      parsed = commandLine().parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return fromArgs(parsed);
  }

  /**
   * The configuration from a command line {@link #commandLine()} parsed: the file named by
   * {@code --config}, then the flags given, written over it key by key.
   *
   * @throws IllegalArgumentException naming a bad value
   */
  public static GatewayConfig fromArgs(CommandLine.ParseResult parsed) throws IOException {
    CommandLine.Model.CommandSpec spec = parsed.commandSpec();
    String file = spec.findOption("--config").getValue();
    ObjectNode settings = file != null ? readYaml(Files.readString(Path.of(file))) : YAML.createObjectNode();
    Map<String, String> flags = new LinkedHashMap<>();
    for (String flag : FLAGS.keySet()) {
      Object value = spec.findOption("--" + flag).getValue(); // null unless given: nothing is defaulted
      if (value != null && !flag.equals("config")) {
        flags.put(flag, String.valueOf(value));
        settings.set(flag.replace('-', '_'), YAML.valueToTree(value));
      }
    }
    GatewayConfig config = merge(settings, defaults(), flags);
    // Checked once every source has spoken: a flag may move one port away from the file's other.
    if (config.httpPort() != 0 && config.httpPort() == config.grpcPort()) {
      throw new IllegalArgumentException("http_port and grpc_port must differ, both are " + config.httpPort());
    }
    int metricsPort = config.telemetry().metricsPort();
    if (metricsPort > 0 && (metricsPort == config.httpPort() || metricsPort == config.grpcPort())) {
      throw new IllegalArgumentException("metrics_port must differ from http_port and grpc_port, all on "
          + metricsPort);
    }
    return config;
  }

  /**
   * The command line of {@code neutrino serve}, built from {@link #FLAGS}: each flag's type is its
   * key's type in {@link FileConfig} (a {@code Boolean} is a switch that may also take
   * {@code =true}/{@code =false}, a list is repeatable and splits at commas), its value is named by the
   * flag's last word, and its default is what {@link #describe()} says of {@link #defaults()}. A flag
   * given twice keeps its last value, repeatable ones collect every value. Nothing is defaulted here:
   * only the flags given are laid over the file, so the file keeps what no flag overrides.
   */
  public static CommandLine commandLine() {
    CommandLine.Model.CommandSpec spec = CommandLine.Model.CommandSpec.create()
        .name("neutrino serve")
        .mixinStandardHelpOptions(true)
        .version("neutrino " + Objects.requireNonNullElse(
            GatewayConfig.class.getPackage().getImplementationVersion(), "(development build)"));
    spec.usageMessage()
        .description("Serves a model repository over HTTP and gRPC (Open Inference Protocol). "
            + "A flag is its configuration file key spelt with dashes, and overrides the file (--config).")
        .width(110);
    Map<String, Object> defaults = defaults().describe();
    Map<String, java.lang.reflect.RecordComponent> keys = new java.util.HashMap<>();
    for (java.lang.reflect.RecordComponent key : FileConfig.class.getRecordComponents()) {
      keys.put(key.getName(), key);
    }
    for (Map.Entry<String, String> flag : new java.util.TreeMap<>(FLAGS).entrySet()) {
      String name = flag.getKey();
      java.lang.reflect.RecordComponent key = keys.get(camelCase(name));
      Class<?> type = name.equals("config") || key == null ? String.class : key.getType();
      String description = flag.getValue();
      Object byDefault = defaults.get(name.replace('-', '_'));
      if (!description.contains("default") && byDefault != null && !byDefault.equals(List.of())) {
        description += " (default " + byDefault + ")";
      }
      CommandLine.Model.OptionSpec.Builder option = CommandLine.Model.OptionSpec.builder("--" + name)
          .description(description.replace("%", "%%"));
      if (type == Boolean.class) {
        option.type(Boolean.class).parameterConsumer(GatewayConfig::switchValue);
      } else if (type == List.class) {
        option.type(List.class).auxiliaryTypes(String.class).splitRegex(REPEATABLE.getOrDefault(name, true) ? "," : "")
            .paramLabel(valueLabel(name));
      } else {
        option.type(type == Integer.class || type == Long.class || type == Double.class ? type : String.class)
            .paramLabel(valueLabel(name));
      }
      spec.addOption(option.build());
    }
    return new CommandLine(spec).setOverwrittenOptionsAllowed(true);
  }

  /** A switch alone means true; {@code --switch=false} and {@code --switch false} set it too. */
  private static void switchValue(java.util.Stack<String> args, CommandLine.Model.ArgSpec option,
      CommandLine.Model.CommandSpec command) {
    String next = args.isEmpty() ? "" : args.peek();
    option.setValue(next.equalsIgnoreCase("true") || next.equalsIgnoreCase("false")
        ? Boolean.parseBoolean(args.pop()) : Boolean.TRUE);
  }

  private static String camelCase(String flag) {
    StringBuilder out = new StringBuilder();
    for (String word : flag.split("-")) {
      out.append(out.length() == 0 ? word : Character.toUpperCase(word.charAt(0)) + word.substring(1));
    }
    return out.toString();
  }

  /** The name of a flag's value in {@code --help}: its last word, or what that word counts. */
  private static String valueLabel(String flag) {
    String word = flag.contains("-restricted-") ? "rule" : flag.substring(flag.lastIndexOf('-') + 1);
    return "<" + switch (word) {
      case "config" -> "file";
      case "repository" -> "dir";
      case "budget" -> "bytes";
      case "secs" -> "seconds";
      case "loops", "threads" -> "count";
      case "origins" -> "origin";
      default -> word;
    } + ">";
  }

  /** The flags {@link #fromArgs} accepts, with their help text. */
  public static final Map<String, String> FLAGS = Map.ofEntries(
      Map.entry("model-control-mode", "none (load all at start), poll or explicit (default none)"),
      Map.entry("repository-poll-secs", "how often poll mode rescans the repository (default 15)"),
      Map.entry("load-model", "explicit mode: a model to load at start; repeatable; * for all"),
      Map.entry("model-memory-budget", "bytes of models kept loaded; least recently used are unloaded (default off)"),
      Map.entry("response-cache-bytes", "size of the response cache for models that enable it (default off)"),
      Map.entry("model-load-thread-count", "loads of different models that run at once (default 2)"),
      Map.entry("disable-auto-complete-config",
          "use model configurations as written: no completion from the model file (default off)"),
      Map.entry("default-max-batch-size",
          "max_batch_size of a batchable model whose configuration does not say (default 4; 0: no batching)"),
      Map.entry("model-idle-unload-secs",
          "unload a model unused this long; its next request loads it again (default 0: never)"),
      Map.entry("model-cache-dir", "folder of ONNX Runtime's optimized graphs, so a reload skips optimization "
          + "(default: neutrino-ort-cache under the temporary directory; empty: no cache)"),
      Map.entry("config", "YAML configuration file (flags override it)"),
      Map.entry("model-repository", "model repository folder (default: the example repository); repeatable:"
          + " several folders are served together, a model name in two of them fails to load naming both"),
      Map.entry("host", "address to bind (default 127.0.0.1)"),
      Map.entry("http-port", "HTTP port (default 8000; 0 picks a free port)"),
      Map.entry("grpc-port", "gRPC port (default 8001; 0 picks a free port)"),
      Map.entry("max-request-bytes", "largest HTTP body or gRPC message accepted (default 64 MiB)"),
      Map.entry("idle-timeout-seconds", "close connections idle this long (default 120)"),
      Map.entry("event-loops", "event-loop threads (default: one per core)"),
      Map.entry("cpu-threads", "cores model instances may use together (default: all)"),
      Map.entry("compute-nice", "Linux nice value of the threads that run models, so that a saturated CPU runs the "
          + "event loops first: reading, refusing and answering stay prompt (default 10; 0: same as the event loops)"),
      Map.entry("transport", "native (HTTP on Netty's io_uring, gRPC on its epoll, each falling back to the other, "
          + "then to Java NIO, saying why), epoll, io_uring or nio (default native)"),
      Map.entry("metrics-port", "Prometheus metrics port, /metrics (default 8002; 0 picks a free port; -1: no metrics)"),
      Map.entry("triton-compatible-metrics", "also export Triton's nv_inference_* metric names (default off)"),
      Map.entry("log-level", "error, warn, info, debug or trace (default info)"),
      Map.entry("access-log", "one JSON line per request on standard output (default off)"),
      Map.entry("tls-cert-file", "PEM certificate chain: HTTP and gRPC serve TLS (default off: cleartext)"),
      Map.entry("tls-key-file", "PEM private key of --tls-cert-file"),
      Map.entry("tls-client-ca-file", "PEM CA certificates: clients must present a certificate they signed (mutual TLS)"),
      Map.entry("tls-metrics", "the metrics port serves TLS too, with the same files (default off)"),
      Map.entry("tls-reload-secs", "how often the TLS files are checked; changed files are reloaded (default 10)"),
      Map.entry("request-path-warmup-secs", "before reporting ready, send requests to its own front ends for at most "
          + "this long, until the JIT has compiled the request path (default 0: off)"),
      Map.entry("drain-delay", "seconds a stopping gateway keeps serving while not ready (default 5)"),
      Map.entry("exit-timeout-secs", "seconds in-flight requests may take once the listeners close (default 30)"),
      Map.entry("http-restricted-api", "GROUPS:KEY=VALUE: these API groups need header KEY: VALUE (VALUE @FILE reads "
          + "it from FILE); repeatable; groups: health, metadata, inference, shared-memory, model-config, "
          + "model-repository, statistics, trace, logging"),
      Map.entry("grpc-restricted-protocol", "GROUPS:KEY=VALUE: as --http-restricted-api, for gRPC, with metadata "
          + "triton-grpc-protocol-KEY; repeatable"),
      Map.entry("repository-allowed-origins", "browser origins the repository API accepts (exact Origin values, "
          + "comma-separated, repeatable; default none)"),
      Map.entry("metrics-restricted-api", "KEY=VALUE: /metrics needs header KEY: VALUE (VALUE @FILE reads it from "
          + "FILE; default open)"),
      Map.entry("max-inflight-request-bytes",
          "bytes of request bodies and gRPC messages received at once; more get 503 (default 0: a quarter of the heap)"),
      Map.entry("max-connections", "open connections over HTTP and gRPC; more are closed at once (default 4096)"),
      Map.entry("header-read-timeout-ms", "close an HTTP/1.1 connection whose request headers take longer (default 10000)"),
      Map.entry("body-read-timeout-ms", "refuse a request body that takes longer to arrive after its headers (default 60000)"),
      Map.entry("http2-max-concurrent-streams", "streams one HTTP/2 connection may have open (default 1024)"),
      Map.entry("http2-max-header-list-size", "bytes of headers one HTTP/2 request may carry (default 65536)"),
      Map.entry("admission", "adaptive (each model's concurrency limit moved by its measured latency), fixed "
          + "(--admission-limit-max) or off: inference requests over their model's limit get 429 / RESOURCE_EXHAUSTED "
          + "before their body is read"),
      Map.entry("admission-limit-min", "requests in flight an adaptive limit never goes below, and starts at"),
      Map.entry("admission-limit-max", "requests in flight an adaptive limit never goes above; the fixed limit; "
          + "the gateway's cap over all models"),
      Map.entry("admission-latency-tolerance",
          "how many times its baseline latency an adaptive limit lets latency grow to before it shrinks"));

  /** Flags that may be given more than once, their values adding up; true where a value is also split at commas. */
  static final Map<String, Boolean> REPEATABLE = Map.of(
      "load-model", true,
      "model-repository", false,
      "http-restricted-api", false,
      "grpc-restricted-protocol", false,
      "repository-allowed-origins", true);

}
