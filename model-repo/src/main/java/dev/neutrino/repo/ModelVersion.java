package dev.neutrino.repo;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.batching.Scheduler;
import dev.neutrino.batching.SchedulerStats;
import dev.neutrino.batching.Submission;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One loaded version of a model: its configuration, its instances and the scheduler in front of them.
 *
 * <p>Lifecycle: READY from construction until {@link #retire()}, then UNLOADING: it takes no new
 * leases, lets accepted requests finish, and closes its instances (releasing native memory) when the
 * last lease is released. Thread-safety: every method may be called from any thread.
 */
public final class ModelVersion {
  private static final System.Logger LOG = System.getLogger(ModelVersion.class.getName());

  private final ModelConfig config;
  private final long version;
  private final List<LoadedModel> instances;
  private final Scheduler scheduler;
  private final AtomicInteger leases = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
  private final ResponseCache cache;
  private final long footprintBytes;
  private final Map<Integer, Long> gpuMemoryBytes;
  private final LoadTimes loadTimes;
  private volatile ModelState state = ModelState.READY;

  /**
   * @param cache the shared response cache, used when the configuration enables it; may be null
   * @param footprintBytes the memory its instances are estimated to hold
   */
  ModelVersion(ModelConfig config, long version, List<LoadedModel> instances, Scheduler scheduler,
      ResponseCache cache, long footprintBytes) {
    this(config, version, instances, scheduler, cache, footprintBytes, Map.of());
  }

  /**
   * @param gpuMemoryBytes the device memory its load took, by GPU index (NVML's reading before and
   *     after); empty on the CPU
   */
  ModelVersion(ModelConfig config, long version, List<LoadedModel> instances, Scheduler scheduler,
      ResponseCache cache, long footprintBytes, Map<Integer, Long> gpuMemoryBytes) {
    this(config, version, instances, scheduler, cache, footprintBytes, gpuMemoryBytes, LoadTimes.NONE);
  }

  /** @param loadTimes how long creating and warming up its instances took */
  ModelVersion(ModelConfig config, long version, List<LoadedModel> instances, Scheduler scheduler,
      ResponseCache cache, long footprintBytes, Map<Integer, Long> gpuMemoryBytes, LoadTimes loadTimes) {
    this.loadTimes = loadTimes;
    this.gpuMemoryBytes = Map.copyOf(gpuMemoryBytes);
    this.config = config;
    this.version = version;
    this.instances = List.copyOf(instances);
    this.scheduler = scheduler;
    this.cache = config.responseCache() ? cache : null;
    this.footprintBytes = footprintBytes;
  }

  public String name() {
    return config.name();
  }

  public long version() {
    return version;
  }

  public String versionString() {
    return Long.toString(version);
  }

  public ModelConfig config() {
    return config;
  }

  /** How long this version's load took: creating its instances, then warming them up. */
  public LoadTimes loadTimes() {
    return loadTimes;
  }

  public ModelState state() {
    return state;
  }

  /**
   * Where the instances run after any fallback, for example {@code cpu}; {@code none} for an ensemble,
   * which has no instances.
   */
  public String device() {
    return instances.isEmpty() ? "none" : instances.get(0).device();
  }

  /**
   * Validates the request against the configuration and hands it to the scheduler, or answers it
   * from the response cache. The caller must hold a lease on this version until the submission's
   * result completes.
   *
   * @return the submission: its result completes on a scheduler thread (at once when refused or
   *     served from the cache), failures are {@link InferenceException}s; its {@code cancel()}
   *     withdraws the request from the scheduler's queue, through the cache's step too
   */
  public Submission infer(InferenceRequest request) {
    return inferAll(List.of(request)).get(0);
  }

  /**
   * As {@link #infer}, for requests that arrived together: those the cache does not answer reach the
   * scheduler as one arrival ({@link Scheduler#submitAll}), so they may run as one batch.
   *
   * @return a submission per request, in the requests' order
   */
  public List<Submission> inferAll(List<InferenceRequest> requests) {
    Submission[] submissions = new Submission[requests.size()];
    List<InferenceRequest> toSchedule = new ArrayList<>(requests.size());
    int[] slots = new int[requests.size()];
    ResponseCache.Key[] keys = cache == null ? null : new ResponseCache.Key[requests.size()];
    for (int i = 0; i < requests.size(); i++) {
      InferenceRequest request = requests.get(i);
      try {
        RequestValidator.validate(config, request);
      } catch (InferenceException e) {
        submissions[i] = Submission.failed(e);
        continue;
      }
      if (cache != null) {
        // Timed as Triton times its cache: a hit from building the key to the answer in hand, a miss
        // from building the key to the lookup's end plus the insertion of the computed answer.
        long started = System.nanoTime();
        ResponseCache.Key key = ResponseCache.key(config.name(), version, request);
        Map<String, Tensor> hit = cache.get(key);
        if (hit != null) {
          submissions[i] = Submission.completed(InferenceResult.cached(hit));
          cache.addHitNanos(key, System.nanoTime() - started);
          continue;
        }
        cache.addMissNanos(key, System.nanoTime() - started);
        keys[toSchedule.size()] = key;
      }
      slots[toSchedule.size()] = i;
      toSchedule.add(request);
    }
    if (!toSchedule.isEmpty()) {
      List<Submission> scheduled = scheduler.submitAll(toSchedule);
      for (int k = 0; k < scheduled.size(); k++) {
        submissions[slots[k]] = cache == null ? scheduled.get(k) : cached(scheduled.get(k), keys[k]);
      }
    }
    return Arrays.asList(submissions);
  }

  /** The submission with its computed answer put into the cache under {@code key}. */
  private Submission cached(Submission scheduled, ResponseCache.Key key) {
    return scheduled.map(result -> {
      long inserting = System.nanoTime();
      cache.put(key, result.outputs());
      cache.addMissNanos(key, System.nanoTime() - inserting);
      return result;
    });
  }

  /**
   * Response-cache hits and misses of this version and their time (earlier loads of the same version
   * number included); zeros when it has no cache.
   */
  public ResponseCache.Stats cacheStats() {
    return cache == null ? ResponseCache.Stats.NONE : cache.stats(config.name(), version);
  }

  /** Whether its answers go through the response cache. */
  public boolean cached() {
    return cache != null;
  }

  /** Model instances it runs on, all on {@link #device()}; 0 for an ensemble. */
  public int instanceCount() {
    return instances.size();
  }

  /**
   * The memory its instances are estimated to hold: the model's files once per instance (what
   * residency budgets with); 0 when unknown.
   */
  public long footprintBytes() {
    return footprintBytes;
  }

  /** The device memory this version's load took, by GPU index; empty on the CPU or where unmeasured. */
  public Map<Integer, Long> gpuMemoryBytes() {
    return gpuMemoryBytes;
  }

  /** What the scheduler has done so far, for metrics and statistics. */
  public SchedulerStats schedulerStats() {
    return scheduler.stats();
  }

  /** Requests accepted and not yet completed. */
  public int inFlight() {
    return scheduler.inFlight();
  }

  /** Takes a lease, or returns null when this version no longer takes requests. */
  Lease tryLease() {
    leases.incrementAndGet();
    if (state != ModelState.READY) {
      release();
      return null;
    }
    return new Lease(this);
  }

  void release() {
    if (leases.decrementAndGet() == 0 && state == ModelState.UNLOADING) {
      closeWhenIdle();
    }
  }

  /**
   * Closes the instances once the scheduler has nothing running: a request cancelled mid-batch
   * releases its lease before its batch ends, so no lease is no proof that no batch runs.
   */
  private void closeWhenIdle() {
    scheduler.drain().whenComplete((ignored, error) -> closeInstances());
  }

  /**
   * Stops taking new leases; the instances are closed once the last lease is released. Every request
   * holds a lease from before it is submitted until after its response is written, so no request
   * can reach a closed instance, and none that already holds a lease is refused.
   *
   * @return completes once the instances are closed
   */
  CompletionStage<Void> retire() {
    state = ModelState.UNLOADING;
    if (leases.get() == 0) {
      closeWhenIdle();
    }
    return closedFuture;
  }

  /**
   * For shutdown: stops taking leases and fails what is queued; the instances are closed now if no
   * request holds a lease, else when the last one is released (never under a running batch).
   */
  void closeNow() {
    state = ModelState.UNLOADING;
    scheduler.close();
    if (leases.get() == 0) {
      closeWhenIdle();
    }
  }

  /** Whether the native sessions have been released. */
  public boolean isClosed() {
    return closed.get();
  }

  private void closeInstances() {
    if (closed.compareAndSet(false, true)) {
      scheduler.close();
      for (LoadedModel instance : instances) {
        try {
          instance.close();
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "closing an instance of " + name() + " failed", e);
        }
      }
      state = ModelState.UNAVAILABLE;
      closedFuture.complete(null);
    }
  }
}
