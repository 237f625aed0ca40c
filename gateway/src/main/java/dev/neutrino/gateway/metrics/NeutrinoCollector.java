package dev.neutrino.gateway.metrics;

import dev.neutrino.batching.RejectReason;
import dev.neutrino.batching.SchedulerStats;
import dev.neutrino.repo.LoadTimes;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.repo.ModelState;
import dev.neutrino.repo.ModelStatus;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.repo.ResponseCache;
import dev.neutrino.runtime.GraphCacheResult;
import io.prometheus.client.Collector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The gateway's own metrics, {@code neutrino_*}, read at scrape time from the request-side series and
 * the snapshots the schedulers and the repository keep: nothing is counted twice.
 *
 * <p>Label values come only from loaded model versions ({@link VersionSeriesTable}) and from the
 * models of the repository folder; never from a name a request carried.
 */
final class NeutrinoCollector extends FamilyCollector {
  static final Family REQUESTS = Family.counter("neutrino_requests",
      "Inference requests answered, by model version, protocol and status code (HTTP status or gRPC status name).",
      "model", "version", "protocol", "code");
  static final Family UNROUTED = Family.counter("neutrino_unrouted_requests",
      "Inference requests that named no loaded model (unknown or unloaded model or version); no model label, by design.",
      "protocol", "code");
  static final Family REQUEST_DURATION = Family.histogram("neutrino_request_duration_seconds", "seconds",
      "End-to-end time of successful inference requests, from the request read to the response written.",
      "model", "version", "protocol");
  static final Family QUEUE_DURATION = Family.histogram("neutrino_queue_duration_seconds", "seconds",
      "Time successful requests waited in the scheduler's queue before their batch started.",
      "model", "version", "protocol");
  static final Family COMPUTE_INPUT = Family.histogram("neutrino_compute_input_duration_seconds", "seconds",
      "Time the batch of each successful request spent gathering its inputs.", "model", "version", "protocol");
  static final Family COMPUTE_INFER = Family.histogram("neutrino_compute_infer_duration_seconds", "seconds",
      "Time the batch of each successful request spent running the model.", "model", "version", "protocol");
  static final Family COMPUTE_OUTPUT = Family.histogram("neutrino_compute_output_duration_seconds", "seconds",
      "Time the batch of each successful request spent splitting its outputs.", "model", "version", "protocol");
  static final Family BATCH_SIZE = Family.histogram("neutrino_batch_size", "",
      "Rows in each batch the model instances ran.", "model", "version");
  static final Family REJECTED = Family.counter("neutrino_rejected_requests",
      "Requests refused at once, by reason: queue_full, latency_target, invalid_input, not_ready, body_too_large.",
      "model", "version", "reason");
  static final Family EXPIRED = Family.counter("neutrino_expired_requests",
      "Requests whose timeout or deadline passed while they were queued; they never ran.", "model", "version");
  static final Family CANCELLED = Family.counter("neutrino_cancelled_requests",
      "Requests withdrawn by their client before they ran; they never ran.", "model", "version");
  static final Family INFLIGHT = Family.gauge("neutrino_inflight_requests", "",
      "Requests accepted by the model's schedulers and not yet answered, queued ones included.", "model");
  static final Family QUEUE_DEPTH = Family.gauge("neutrino_queue_depth", "",
      "Requests waiting in the model's queues now.", "model");
  static final Family QUEUE_AGE = Family.gauge("neutrino_queue_oldest_age_seconds", "seconds",
      "How long the longest-waiting queued request of the model has waited; 0 when none waits.", "model");
  static final Family INSTANCES = Family.gauge("neutrino_model_instances", "",
      "Model instances serving, by the device they run on after any fallback.", "model", "device");
  static final Family MEMORY = Family.gauge("neutrino_model_memory_bytes", "bytes",
      "Memory the loaded version's instances are estimated to hold (its files once per instance).",
      "model", "version");
  static final Family STATE = Family.gauge("neutrino_model_state", "",
      "1 for the state each known model version is in (UNAVAILABLE, LOADING, READY, UNLOADING), else 0.",
      "model", "version", "state");
  static final Family SCALED_TO_ZERO = Family.gauge("neutrino_model_scaled_to_zero", "",
      "1 while the model is unloaded for want of use (its next request loads it), else 0.", "model");
  static final Family LOADS = Family.counter("neutrino_model_loads",
      "Model loads that succeeded (every selected version loaded).", "model");
  static final Family LOAD_FAILURES = Family.counter("neutrino_model_load_failures",
      "Model loads that failed, wholly or for some version; what served before keeps serving.", "model");
  static final Family UNLOADS = Family.counter("neutrino_model_unloads",
      "Model unloads (by request, by eviction, or because it left the repository).", "model");
  static final Family MODEL_CACHE = Family.counter("neutrino_model_cache",
      "Model instances loaded with the optimized-graph cache (--model-cache-dir), by result: hit (built from "
          + "the cached graph, not optimized again), miss (optimized, graph saved), error (cache unusable, "
          + "optimized all the same). Counted when their version loads; no samples for a model never loaded with the cache.",
      "model", "result");
  static final Family LOAD_DURATION = Family.gauge("neutrino_model_load_seconds", "seconds",
      "How long the last load of each serving model version took, by phase: create (every instance's "
          + "session, in parallel after the first) and warmup (the warm-up samples on every instance).",
      "model", "version", "phase");
  static final Family CACHE_HITS = Family.counter("neutrino_cache_hits",
      "Requests answered from the response cache.", "model", "version");
  static final Family CACHE_MISSES = Family.counter("neutrino_cache_misses",
      "Response-cache lookups that found nothing.", "model", "version");
  static final Family CACHE_HIT_DURATION = Family.counterOf("neutrino_cache_hit_duration_seconds", "seconds",
      "Time spent looking up cache hits and serving their answers (the statistics extension's cache_hit).",
      "model", "version");
  static final Family CACHE_MISS_DURATION = Family.counterOf("neutrino_cache_miss_duration_seconds", "seconds",
      "Time spent looking up cache misses and inserting their computed answers, the inference not included "
          + "(the statistics extension's cache_miss).",
      "model", "version");
  static final Family INPUT_TOKENS = Family.counter("neutrino_input_tokens",
      "Tokens of text sent to the model through the OpenAI-compatible API, after tokenization (special tokens "
          + "included, padding not), by model version.",
      "model", "version");
  static final Family CACHE_BYTES = Family.gauge("neutrino_response_cache_bytes", "bytes",
      "Bytes the response cache holds now.");

  static final List<Family> FAMILIES = List.of(REQUESTS, UNROUTED, REQUEST_DURATION, QUEUE_DURATION, COMPUTE_INPUT,
      COMPUTE_INFER, COMPUTE_OUTPUT, BATCH_SIZE, REJECTED, EXPIRED, CANCELLED, INFLIGHT, QUEUE_DEPTH, QUEUE_AGE,
      INSTANCES, MEMORY, STATE, SCALED_TO_ZERO, LOADS, LOAD_FAILURES, UNLOADS, MODEL_CACHE, LOAD_DURATION, CACHE_HITS, CACHE_MISSES, CACHE_HIT_DURATION,
      CACHE_MISS_DURATION, CACHE_BYTES, INPUT_TOKENS);

  /** The latency buckets' bounds as {@code le} values, in seconds. */
  static final List<String> SECONDS_BOUNDS = seconds(LatencyHistogram.BOUNDS_NANOS);
  /** Batch-size buckets: powers of two up to 1024 rows. */
  static final long[] BATCH_BOUNDS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  static final List<String> BATCH_BOUND_LABELS = labels(BATCH_BOUNDS);

  private static final String BODY_TOO_LARGE = "body_too_large";
  /** The optimized-graph cache's results that {@link #MODEL_CACHE} counts. */
  private static final List<GraphCacheResult> CACHE_RESULTS =
      List.of(GraphCacheResult.HIT, GraphCacheResult.MISS, GraphCacheResult.ERROR);

  private final ModelRepository repository;
  private final VersionSeriesTable table;
  private final UnroutedCounts unroutedCounts;

  /** Requests that named no loaded model, by protocol and code. */
  interface UnroutedCounts {
    Map<String, Long> counts(Protocol protocol);
  }

  NeutrinoCollector(ModelRepository repository, VersionSeriesTable table, UnroutedCounts unrouted) {
    super(FAMILIES);
    this.repository = repository;
    this.table = table;
    this.unroutedCounts = unrouted;
  }

  @Override
  void fill(Scrape scrape) {
    List<ModelVersion> serving = repository.servingVersions();
    List<VersionSeries> all = table.refresh(serving);

    for (Protocol protocol : Protocol.values()) {
      unroutedCounts.counts(protocol).forEach((code, count) ->
          scrape.get(UNROUTED).add(count, protocol.label(), code));
    }
    // Gauges per model, over every open instance (a version being swapped out still drains).
    Map<String, long[]> perModel = new TreeMap<>();
    for (VersionSeries series : all) {
      requestSide(scrape, series);
      long tokens = series.inputTokens.sum();
      if (tokens > 0) {
        scrape.get(INPUT_TOKENS).add(tokens, series.model, series.version);
      }
      SchedulerStats stats = series.schedulerStats();
      schedulerSide(scrape, series, stats);
      if (!series.live().isEmpty()) {
        long[] gauges = perModel.computeIfAbsent(series.model, m -> new long[3]);
        gauges[0] += stats.inFlight();
        gauges[1] += stats.queueDepth();
        gauges[2] = Math.max(gauges[2], stats.oldestQueuedAgeNanos());
      }
      ModelVersion newest = series.newest();
      if (newest != null && newest.cached()) {
        ResponseCache.Stats cache = newest.cacheStats();
        scrape.get(CACHE_HITS).add(cache.hits(), series.model, series.version);
        scrape.get(CACHE_MISSES).add(cache.misses(), series.model, series.version);
        scrape.get(CACHE_HIT_DURATION).add(cache.hitNanos() / 1e9, series.model, series.version);
        scrape.get(CACHE_MISS_DURATION).add(cache.missNanos() / 1e9, series.model, series.version);
      }
    }
    perModel.forEach((model, gauges) -> {
      scrape.get(INFLIGHT).add(gauges[0], model);
      scrape.get(QUEUE_DEPTH).add(gauges[1], model);
      scrape.get(QUEUE_AGE).add(gauges[2] / 1e9, model);
    });
    Map<String, Map<String, Integer>> instances = new TreeMap<>();
    for (ModelVersion version : serving) {
      if (version.instanceCount() == 0) {
        continue; // an ensemble: its steps' models have the instances
      }
      instances.computeIfAbsent(version.name(), m -> new TreeMap<>())
          .merge(version.device(), version.instanceCount(), Integer::sum);
      scrape.get(MEMORY).add(version.footprintBytes(), version.name(), version.versionString());
      LoadTimes times = version.loadTimes();
      scrape.get(LOAD_DURATION).add(times.createNanos() / 1e9, version.name(), version.versionString(), "create");
      scrape.get(LOAD_DURATION).add(times.warmupNanos() / 1e9, version.name(), version.versionString(), "warmup");
    }
    instances.forEach((model, devices) ->
        devices.forEach((device, count) -> scrape.get(INSTANCES).add(count, model, device)));
    repositorySide(scrape);
  }

  private static void requestSide(Scrape scrape, VersionSeries series) {
    for (Protocol protocol : Protocol.values()) {
      VersionSeries.Side side = series.side(protocol);
      Map<String, Long> codes = side.codes();
      if (codes.isEmpty()) {
        continue; // no request came this way: no series for this protocol
      }
      codes.forEach((code, count) ->
          scrape.get(REQUESTS).add(count, series.model, series.version, protocol.label(), code));
      histogram(scrape.get(REQUEST_DURATION), side.request.snapshot(), series, protocol);
      histogram(scrape.get(QUEUE_DURATION), side.queue.snapshot(), series, protocol);
      histogram(scrape.get(COMPUTE_INPUT), side.computeInput.snapshot(), series, protocol);
      histogram(scrape.get(COMPUTE_INFER), side.computeInfer.snapshot(), series, protocol);
      histogram(scrape.get(COMPUTE_OUTPUT), side.computeOutput.snapshot(), series, protocol);
    }
  }

  private static void histogram(Family family, LatencyHistogram.Snapshot snapshot, VersionSeries series,
      Protocol protocol) {
    family.addHistogram(SECONDS_BOUNDS, snapshot.cumulative(), snapshot.sumNanos() / 1e9,
        series.model, series.version, protocol.label());
  }

  private static void schedulerSide(Scrape scrape, VersionSeries series, SchedulerStats stats) {
    long[] cumulative = new long[BATCH_BOUNDS.length + 1];
    stats.batchSizes().forEach((size, count) -> {
      int i = 0;
      while (i < BATCH_BOUNDS.length && size > BATCH_BOUNDS[i]) {
        i++;
      }
      cumulative[i] += count;
    });
    for (int i = 1; i < cumulative.length; i++) {
      cumulative[i] += cumulative[i - 1];
    }
    scrape.get(BATCH_SIZE).addHistogram(BATCH_BOUND_LABELS, cumulative, stats.rows(), series.model, series.version);
    for (RejectReason reason : RejectReason.values()) {
      scrape.get(REJECTED).add(stats.rejected(reason), series.model, series.version, reason.label());
    }
    scrape.get(REJECTED).add(series.tooLarge(), series.model, series.version, BODY_TOO_LARGE);
    scrape.get(EXPIRED).add(stats.expired(), series.model, series.version);
    scrape.get(CANCELLED).add(stats.cancelled(), series.model, series.version);
  }

  private void repositorySide(Scrape scrape) {
    java.util.Set<String> models = new java.util.TreeSet<>();
    for (ModelStatus row : repository.knownVersions()) {
      if (!repository.isModelFolder(row.name())) {
        continue;
      }
      if (models.add(row.name())) {
        scrape.get(SCALED_TO_ZERO).add(repository.isScaledToZero(row.name()) ? 1 : 0, row.name());
      }
      for (ModelState state : ModelState.values()) {
        scrape.get(STATE).add(row.state() == state ? 1 : 0, row.name(), row.version(), state.name());
      }
    }
    repository.loadCounts().forEach((model, counts) -> {
      if (repository.isModelFolder(model)) {
        scrape.get(LOADS).add(counts.loaded(), model);
        scrape.get(LOAD_FAILURES).add(counts.failed(), model);
        scrape.get(UNLOADS).add(counts.unloaded(), model);
        if (CACHE_RESULTS.stream().anyMatch(result -> counts.graphCache(result) > 0)) {
          CACHE_RESULTS.forEach(result ->
              scrape.get(MODEL_CACHE).add(counts.graphCache(result), model, result.label()));
        }
      }
    });
    ResponseCache cache = repository.responseCache();
    if (cache != null) {
      scrape.get(CACHE_BYTES).add(cache.weightedSize());
    }
  }

  private static List<String> seconds(long[] nanos) {
    List<String> out = new ArrayList<>();
    for (long n : nanos) {
      out.add(Collector.doubleToGoString(n / 1e9));
    }
    return List.copyOf(out);
  }

  private static List<String> labels(long[] bounds) {
    List<String> out = new ArrayList<>();
    for (long b : bounds) {
      out.add(Collector.doubleToGoString(b));
    }
    return List.copyOf(out);
  }
}
