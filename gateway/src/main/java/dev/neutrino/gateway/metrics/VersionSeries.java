package dev.neutrino.gateway.metrics;

import dev.neutrino.batching.InferenceResult;
import dev.neutrino.batching.SchedulerStats;
import dev.neutrino.repo.ModelState;
import dev.neutrino.repo.ModelVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Everything counted about one model version (a name and a version number), for as long as the
 * gateway runs: what the front ends saw of its requests, and the counters of the schedulers that
 * served it.
 *
 * <p>A reload replaces the version's {@link ModelVersion} (and its scheduler) while the number stays;
 * the series outlives them so its counters never go back. It keeps every instance it was shown
 * ({@link #attach}) until that instance is closed, then folds the instance's final counters into
 * {@code retired} and lets it go. So the counters here are the retired sum plus the live instances'.
 *
 * <p>Thread-safety: the request-side counters are lock-free adders written from event loops; the
 * list of live instances is guarded by {@code this} and touched only when an instance is first seen
 * and at scrape time.
 */
final class VersionSeries {
  final String model;
  final String version;
  private final Side[] sides = new Side[Protocol.values().length];
  private final LongAdder failNanos = new LongAdder();
  private final LongAdder tooLarge = new LongAdder();
  /** Tokens of text the OpenAI-compatible API sent to the version, after tokenization. */
  final LongAdder inputTokens = new LongAdder();
  private volatile long lastInferenceMillis;

  /** Guarded by {@code this}. */
  private final List<ModelVersion> live = new ArrayList<>(2);
  /** The final counters of closed instances. Guarded by {@code this}. */
  private SchedulerStats retired = SchedulerStats.EMPTY;
  /** The instance seen most recently, for what belongs to the version rather than an instance. */
  private volatile ModelVersion newest;

  VersionSeries(String model, String version) {
    this.model = model;
    this.version = version;
    for (Protocol protocol : Protocol.values()) {
      sides[protocol.ordinal()] = new Side();
    }
  }

  /** What one front end saw of this version's requests. */
  static final class Side {
    final ConcurrentHashMap<String, LongAdder> codes = new ConcurrentHashMap<>();
    /** Successful requests only, from the request read to the response handed to the connection. */
    final LatencyHistogram request = new LatencyHistogram();
    final LatencyHistogram queue = new LatencyHistogram();
    final LatencyHistogram computeInput = new LatencyHistogram();
    final LatencyHistogram computeInfer = new LatencyHistogram();
    final LatencyHistogram computeOutput = new LatencyHistogram();

    void count(String code) {
      LongAdder counter = codes.get(code);
      if (counter == null) {
        counter = codes.computeIfAbsent(code, c -> new LongAdder());
      }
      counter.increment();
    }

    /** Requests answered, by code, sorted by code. */
    Map<String, Long> codes() {
      Map<String, Long> out = new TreeMap<>();
      codes.forEach((code, count) -> out.put(code, count.sum()));
      return out;
    }
  }

  Side side(Protocol protocol) {
    return sides[protocol.ordinal()];
  }

  void succeeded(Protocol protocol, long durationNanos, InferenceResult result) {
    Side side = sides[protocol.ordinal()];
    side.count(protocol.successCode());
    side.request.observe(durationNanos);
    if (!result.fromCache()) {
      side.queue.observe(result.queueNanos());
      side.computeInput.observe(result.computeInputNanos());
      side.computeInfer.observe(result.computeNanos());
      side.computeOutput.observe(result.computeOutputNanos());
    }
    lastInferenceMillis = System.currentTimeMillis();
  }

  void failed(Protocol protocol, String code, long durationNanos, boolean bodyTooLarge) {
    sides[protocol.ordinal()].count(code);
    failNanos.add(Math.max(0, durationNanos));
    if (bodyTooLarge) {
      tooLarge.increment();
    }
  }

  long failNanos() {
    return failNanos.sum();
  }

  long tooLarge() {
    return tooLarge.sum();
  }

  /** Milliseconds since the epoch of the last successful request; 0 before the first. */
  long lastInferenceMillis() {
    return lastInferenceMillis;
  }

  /** Starts following {@code instance}'s scheduler counters (idempotent). */
  synchronized void attach(ModelVersion instance) {
    newest = instance;
    for (ModelVersion known : live) {
      if (known == instance) {
        return;
      }
    }
    live.add(instance);
  }

  /**
   * Folds the counters of instances that have closed into the retired sum and stops following them.
   *
   * @return the instances let go
   */
  synchronized List<ModelVersion> foldClosed() {
    List<ModelVersion> gone = new ArrayList<>(0);
    live.removeIf(instance -> {
      // UNAVAILABLE comes after the scheduler has closed: its counters are final.
      if (instance.isClosed() && instance.state() == ModelState.UNAVAILABLE) {
        retired = retired.plus(instance.schedulerStats());
        gone.add(instance);
        return true;
      }
      return false;
    });
    return gone;
  }

  /** The counters of every scheduler that served this version, and the live ones' gauges. */
  synchronized SchedulerStats schedulerStats() {
    SchedulerStats total = retired;
    for (ModelVersion instance : live) {
      total = total.plus(instance.schedulerStats());
    }
    return total;
  }

  /** The instances still open. */
  synchronized List<ModelVersion> live() {
    return List.copyOf(live);
  }

  /** The instance seen most recently; null before any. */
  ModelVersion newest() {
    return newest;
  }
}
