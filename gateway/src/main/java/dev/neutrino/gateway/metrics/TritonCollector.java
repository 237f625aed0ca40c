package dev.neutrino.gateway.metrics;

import dev.neutrino.batching.SchedulerStats;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.repo.ResponseCache;
import java.util.List;

/**
 * The same facts as {@link NeutrinoCollector}, under Triton's names and units
 * ({@code --triton-compatible-metrics}): cumulative counters in microseconds labelled by
 * {@code model} and {@code version}, so that dashboards and alerts written for Triton work unchanged.
 * Summed over protocols, as Triton has no protocol label.
 *
 * <p>Triton's counters lack the {@code _total} suffix, which the exposition library reserves for
 * counters, so they go out untyped; PromQL's {@code rate()} treats them alike.
 */
final class TritonCollector extends FamilyCollector {
  static final Family SUCCESS = Family.untyped("nv_inference_request_success",
      "Number of successful inference requests, all batch sizes", "model", "version");
  static final Family FAILURE = Family.untyped("nv_inference_request_failure",
      "Number of failed inference requests, all batch sizes", "model", "version");
  static final Family COUNT = Family.untyped("nv_inference_count",
      "Number of inferences performed (does not include cached requests)", "model", "version");
  static final Family EXEC_COUNT = Family.untyped("nv_inference_exec_count",
      "Number of model executions performed (does not include cached requests)", "model", "version");
  static final Family REQUEST_DURATION = Family.untyped("nv_inference_request_duration_us",
      "Cumulative inference request duration in microseconds (includes cached requests)", "model", "version");
  static final Family QUEUE_DURATION = Family.untyped("nv_inference_queue_duration_us",
      "Cumulative inference queuing duration in microseconds (does not include cached requests)", "model", "version");
  static final Family COMPUTE_INPUT = Family.untyped("nv_inference_compute_input_duration_us",
      "Cumulative compute input duration in microseconds (does not include cached requests)", "model", "version");
  static final Family COMPUTE_INFER = Family.untyped("nv_inference_compute_infer_duration_us",
      "Cumulative compute inference duration in microseconds (does not include cached requests)", "model", "version");
  static final Family COMPUTE_OUTPUT = Family.untyped("nv_inference_compute_output_duration_us",
      "Cumulative inference compute output duration in microseconds (does not include cached requests)",
      "model", "version");
  static final Family PENDING = Family.gauge("nv_inference_pending_request_count", "",
      "Instantaneous number of pending requests awaiting execution per-model.", "model", "version");
  static final Family CACHE_HITS = Family.untyped("nv_cache_num_hits_per_model",
      "Number of cache hits per model", "model", "version");
  static final Family CACHE_MISSES = Family.untyped("nv_cache_num_misses_per_model",
      "Number of cache misses per model", "model", "version");
  static final Family CACHE_HIT_DURATION = Family.untyped("nv_cache_hit_duration_per_model",
      "Cumulative time requests spend retrieving a cached response per model on cache hits, in microseconds",
      "model", "version");
  static final Family CACHE_MISS_DURATION = Family.untyped("nv_cache_miss_duration_per_model",
      "Cumulative time requests spend looking up and inserting responses into the cache on cache misses, "
          + "in microseconds", "model", "version");

  static final List<Family> FAMILIES = List.of(SUCCESS, FAILURE, COUNT, EXEC_COUNT, REQUEST_DURATION, QUEUE_DURATION,
      COMPUTE_INPUT, COMPUTE_INFER, COMPUTE_OUTPUT, PENDING, CACHE_HITS, CACHE_MISSES, CACHE_HIT_DURATION,
      CACHE_MISS_DURATION);

  private final ModelRepository repository;
  private final VersionSeriesTable table;

  TritonCollector(ModelRepository repository, VersionSeriesTable table) {
    super(FAMILIES);
    this.repository = repository;
    this.table = table;
  }

  @Override
  void fill(Scrape scrape) {
    for (VersionSeries series : table.refresh(repository.servingVersions())) {
      ModelStatistics stats = Statistics.of(series);
      String m = series.model;
      String v = series.version;
      scrape.get(SUCCESS).add(stats.inferenceStats().success().count(), m, v);
      scrape.get(FAILURE).add(stats.inferenceStats().fail().count(), m, v);
      scrape.get(COUNT).add(stats.inferenceCount(), m, v);
      scrape.get(EXEC_COUNT).add(stats.executionCount(), m, v);
      scrape.get(REQUEST_DURATION).add(micros(stats.inferenceStats().success()), m, v);
      scrape.get(QUEUE_DURATION).add(micros(stats.inferenceStats().queue()), m, v);
      scrape.get(COMPUTE_INPUT).add(micros(stats.inferenceStats().computeInput()), m, v);
      scrape.get(COMPUTE_INFER).add(micros(stats.inferenceStats().computeInfer()), m, v);
      scrape.get(COMPUTE_OUTPUT).add(micros(stats.inferenceStats().computeOutput()), m, v);
      if (!series.live().isEmpty()) {
        SchedulerStats scheduler = series.schedulerStats();
        scrape.get(PENDING).add(scheduler.queueDepth(), m, v);
      }
      ModelVersion newest = series.newest();
      if (newest != null && newest.cached()) {
        ResponseCache.Stats cache = newest.cacheStats();
        scrape.get(CACHE_HITS).add(cache.hits(), m, v);
        scrape.get(CACHE_MISSES).add(cache.misses(), m, v);
        scrape.get(CACHE_HIT_DURATION).add(cache.hitNanos() / 1000.0, m, v);
        scrape.get(CACHE_MISS_DURATION).add(cache.missNanos() / 1000.0, m, v);
      }
    }
  }

  private static double micros(ModelStatistics.Duration duration) {
    return duration.ns() / 1000.0;
  }
}
