package dev.neutrino.gateway.metrics;

import dev.neutrino.batching.InferenceResult;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.repo.StepObserver;
import dev.neutrino.runtime.InferenceException;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import io.prometheus.client.hotspot.BufferPoolsExports;
import io.prometheus.client.hotspot.ClassLoadingExports;
import io.prometheus.client.hotspot.GarbageCollectorExports;
import io.prometheus.client.hotspot.MemoryPoolsExports;
import io.prometheus.client.hotspot.StandardExports;
import io.prometheus.client.hotspot.ThreadExports;
import io.prometheus.client.hotspot.VersionInfoExports;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one gateway measures: the front ends report each answered inference request here, and a
 * scrape or a statistics call reads it back together with the schedulers' and the repository's own
 * counters. Each gateway has its own {@link CollectorRegistry} (never the default one), so two
 * gateways in one JVM neither share nor collide.
 *
 * <p>Cardinality: a request is labelled with a model and version only when it ran on (or was refused
 * by) a loaded version; requests naming anything else are counted in
 * {@code neutrino_unrouted_requests_total}, by protocol and code only.
 *
 * <p>Thread-safety: every method may be called from any thread. Recording is lock-free and allocates
 * nothing once a version and code have been seen; {@link #scrape} formats on the calling thread and
 * belongs on a worker, not an event loop.
 */
public final class GatewayMetrics {
  private final ModelRepository repository;
  private final MetricsOptions options;
  private final VersionSeriesTable table = new VersionSeriesTable();
  private final List<Map<String, LongAdder>> unrouted = new ArrayList<>();
  private final CollectorRegistry registry;
  private final EdgeRefusals refusals = new EdgeRefusals();
  private volatile java.util.function.LongSupplier bodyBytes = () -> 0;
  private volatile AdmissionReadings admission = AdmissionReadings.NONE;

  private GatewayMetrics(ModelRepository repository, MetricsOptions options) {
    this.repository = repository;
    this.options = options;
    for (int i = 0; i < Protocol.values().length; i++) {
      unrouted.add(new ConcurrentHashMap<>());
    }
    if (!options.enabled()) {
      registry = null;
      return;
    }
    registry = new CollectorRegistry(true);
    new NeutrinoCollector(repository, table, this::unroutedCounts).register(registry);
    new EdgeCollector(refusals, () -> bodyBytes.getAsLong()).register(registry);
    new AdmissionCollector(() -> admission).register(registry);
    if (options.tritonCompatible()) {
      new TritonCollector(repository, table).register(registry);
    }
    GpuCollector.registerIfPresent(registry, dev.neutrino.gpu.GpuMonitor.nvml(), options.tritonCompatible());
    // The JVM and the process. Not MemoryAllocationExports: it adds GC listeners it never removes.
    new StandardExports().register(registry);
    new MemoryPoolsExports().register(registry);
    new BufferPoolsExports().register(registry);
    new GarbageCollectorExports().register(registry);
    new ThreadExports().register(registry);
    new ClassLoadingExports().register(registry);
    new VersionInfoExports().register(registry);
  }

  /** The metrics of a gateway serving {@code repository}. */
  public static GatewayMetrics create(ModelRepository repository, MetricsOptions options) {
    return new GatewayMetrics(repository, options);
  }

  public boolean enabled() {
    return options.enabled();
  }

  public MetricsOptions options() {
    return options;
  }

  /** What the gateway's edge refused; counted even with metrics off. */
  public EdgeRefusals refusals() {
    return refusals;
  }

  /** Where {@code neutrino_inflight_request_bytes} reads the bytes of bodies being received. */
  public void bodyBytes(java.util.function.LongSupplier reserved) {
    bodyBytes = reserved;
  }

  /** Where {@code neutrino_admission_*} read the front door's limit, in-flight count and refusals. */
  public void admission(AdmissionReadings readings) {
    admission = java.util.Objects.requireNonNull(readings, "readings");
  }

  /** This gateway's registry; null when metrics are off. */
  public CollectorRegistry registry() {
    return registry;
  }

  /**
   * A request on {@code version} succeeded.
   *
   * @param durationNanos from the request read to the response handed to the connection
   */
  public void succeeded(Protocol protocol, ModelVersion version, long durationNanos, InferenceResult result) {
    if (registry != null) {
      table.of(version).succeeded(protocol, durationNanos, result);
    }
  }

  /** The OpenAI-compatible API sent {@code tokens} tokens of text to {@code version}. */
  public void inputTokens(ModelVersion version, long tokens) {
    if (registry != null) {
      table.of(version).inputTokens.add(tokens);
    }
  }

  /**
   * Counts the steps of ensembles as requests of their step models, as Triton does, under protocol
   * {@link Protocol#ENSEMBLE}; a failed step is coded by its failure's kind. The ensemble's own request
   * is counted by the front end it came in on.
   */
  public StepObserver ensembleSteps() {
    return new StepObserver() {
      @Override
      public void succeeded(ModelVersion step, long durationNanos, InferenceResult result) {
        GatewayMetrics.this.succeeded(Protocol.ENSEMBLE, step, durationNanos, result);
      }

      @Override
      public void failed(ModelVersion step, long durationNanos, Throwable failure) {
        String code = failure instanceof InferenceException e ? e.kind().name() : "INTERNAL";
        GatewayMetrics.this.failed(Protocol.ENSEMBLE, step, code, durationNanos, failure);
      }
    };
  }

  /**
   * A request failed, was refused, or its client went away.
   *
   * @param version the loaded version it resolved to, or null when it named none
   * @param code the HTTP status or gRPC status name answered (or that would have been)
   * @param cause the failure, or null when unknown
   */
  public void failed(Protocol protocol, ModelVersion version, String code, long durationNanos, Throwable cause) {
    if (registry == null) {
      return;
    }
    if (version == null) {
      LongAdder counter = unrouted.get(protocol.ordinal()).computeIfAbsent(code, c -> new LongAdder());
      counter.increment();
      return;
    }
    table.of(version).failed(protocol, code, durationNanos, cause instanceof InferenceException.TooLarge);
  }

  /**
   * As {@link #failed(Protocol, ModelVersion, String, long, Throwable)} for a request that failed
   * before it reached a version: it is counted under the version its model and version name resolve
   * to now, if they resolve to a loaded one, else without a model.
   */
  public void failed(Protocol protocol, String model, String version, String code, long durationNanos,
      Throwable cause) {
    if (registry != null) {
      failed(protocol, resolve(model, version), code, durationNanos, cause);
    }
  }

  private ModelVersion resolve(String model, String version) {
    if (model == null || model.isEmpty()) {
      return null;
    }
    try {
      return repository.find(model, version);
    } catch (InferenceException notLoaded) {
      return null;
    }
  }

  private Map<String, Long> unroutedCounts(Protocol protocol) {
    Map<String, Long> out = new TreeMap<>();
    unrouted.get(protocol.ordinal()).forEach((code, count) -> out.put(code, count.sum()));
    return out;
  }

  /** A formatted scrape and its content type. */
  public record Scrape(String contentType, String body) {}

  /**
   * Collects and formats every metric: Prometheus text 0.0.4, or OpenMetrics 1.0 when
   * {@code accept} asks for it. Reads the JVM's management beans: call on a worker thread.
   *
   * @throws IllegalStateException when metrics are off
   */
  public Scrape scrape(String accept) {
    if (registry == null) {
      throw new IllegalStateException("metrics are off");
    }
    String contentType = TextFormat.chooseContentType(accept);
    StringWriter out = new StringWriter(16 * 1024);
    try {
      TextFormat.writeFormat(contentType, out, registry.metricFamilySamples());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return new Scrape(contentType, out.toString());
  }

  /**
   * The statistics extension: every ready version of every model ({@code model} null or empty), of
   * one model ({@code version} null or empty), or one version. Never blocks.
   *
   * @throws InferenceException.NotFound when the model or version is not loaded
   * @throws InferenceException.NotReady when metrics are off
   */
  public List<ModelStatistics> statistics(String model, String version) {
    if (registry == null) {
      throw new InferenceException.NotReady("statistics are off on this server (--metrics-port -1)");
    }
    List<ModelVersion> versions = new ArrayList<>();
    if (model == null || model.isEmpty()) {
      versions.addAll(repository.servingVersions());
    } else if (version == null || version.isEmpty()) {
      repository.find(model, null); // fails for a model that is not loaded
      for (String v : repository.readyVersions(model)) {
        versions.add(0, repository.find(model, v)); // oldest first
      }
    } else {
      versions.add(repository.find(model, version));
    }
    List<ModelStatistics> out = new ArrayList<>(versions.size());
    for (ModelVersion v : versions) {
      out.add(Statistics.of(table.of(v)));
    }
    return out;
  }
}
