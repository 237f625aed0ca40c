package dev.neutrino.batching;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Triton's {@code dynamic_batching} settings, plus Neutrino's latency target. Immutable and validated
 * on construction; {@link #checkMaxBatchSize} checks what depends on the model's
 * {@code max_batch_size}.
 *
 * @param preferredBatchSizes batch sizes (in rows) worth dispatching at once; sorted, distinct
 * @param maxQueueDelayMicros how long the oldest request of a forming batch may wait for more; 0
 *     dispatches what is there as soon as an instance is free
 * @param preserveOrdering complete requests in the order their batches were dispatched, even when a
 *     later batch finishes first on another instance
 * @param priorityLevels number of priority levels, 1 the highest; 0 disables priorities
 * @param defaultPriorityLevel the level of requests that name none (priority 0) or one out of range;
 *     in 1..priorityLevels when priorities are enabled, else 0
 * @param defaultQueuePolicy the queue policy of every level without its own
 * @param priorityQueuePolicy queue policies of particular levels
 * @param targetLatencyMicros Neutrino's latency target ({@code target_latency_microseconds}, inside
 *     {@code dynamic_batching} in config.yaml; see {@link LatencyTargetPolicy}'s design note):
 *     when above 0, the batcher learns what batches cost on this model and machine, sizes batches so
 *     that each request finishes within this long of its arrival where it can, and refuses at once a
 *     request it predicts cannot; 0 turns the mode off
 */
public record DynamicBatching(
    List<Integer> preferredBatchSizes,
    long maxQueueDelayMicros,
    boolean preserveOrdering,
    int priorityLevels,
    int defaultPriorityLevel,
    QueuePolicy defaultQueuePolicy,
    Map<Integer, QueuePolicy> priorityQueuePolicy,
    long targetLatencyMicros) {

  /** Triton's default for {@code max_queue_delay_microseconds}. */
  public static final long DEFAULT_MAX_QUEUE_DELAY_MICROS = 0;
  /** {@link #targetLatencyMicros} when the latency-target mode is off. */
  public static final long NO_LATENCY_TARGET = 0;

  public DynamicBatching {
    Objects.requireNonNull(preferredBatchSizes, "preferred_batch_size");
    Objects.requireNonNull(defaultQueuePolicy, "default_queue_policy");
    Objects.requireNonNull(priorityQueuePolicy, "priority_queue_policy");
    TreeSet<Integer> sizes = new TreeSet<>();
    for (Integer size : preferredBatchSizes) {
      if (size == null || size < 1) {
        throw new IllegalArgumentException("preferred_batch_size values must be >= 1, got " + size);
      }
      sizes.add(size);
    }
    preferredBatchSizes = Collections.unmodifiableList(new ArrayList<>(sizes));
    if (maxQueueDelayMicros < 0) {
      throw new IllegalArgumentException("max_queue_delay_microseconds must be >= 0, got " + maxQueueDelayMicros);
    }
    if (priorityLevels < 0) {
      throw new IllegalArgumentException("priority_levels must be >= 0, got " + priorityLevels);
    }
    if (priorityLevels > 0 && (defaultPriorityLevel < 1 || defaultPriorityLevel > priorityLevels)) {
      throw new IllegalArgumentException("default_priority_level must be in [1, " + priorityLevels
          + "] when priority_levels is " + priorityLevels + ", got " + defaultPriorityLevel);
    }
    if (priorityLevels == 0 && defaultPriorityLevel != 0) {
      throw new IllegalArgumentException(
          "default_priority_level " + defaultPriorityLevel + " needs priority_levels of at least that");
    }
    TreeMap<Integer, QueuePolicy> policies = new TreeMap<>();
    for (Map.Entry<Integer, QueuePolicy> entry : priorityQueuePolicy.entrySet()) {
      Integer level = entry.getKey();
      if (level == null || level < 1 || level > priorityLevels) {
        throw new IllegalArgumentException("priority_queue_policy level " + level + " is not in [1, "
            + priorityLevels + "] (priority_levels is " + priorityLevels + ")");
      }
      policies.put(level, Objects.requireNonNull(entry.getValue(), "priority_queue_policy " + level));
    }
    priorityQueuePolicy = Collections.unmodifiableMap(policies);
    if (targetLatencyMicros < 0) {
      throw new IllegalArgumentException("target_latency_microseconds must be >= 0, got " + targetLatencyMicros);
    }
  }

  /** Triton's defaults: no preferred sizes, no delay, no priorities, the default queue policy. */
  public static DynamicBatching defaults() {
    return new DynamicBatching(List.of(), DEFAULT_MAX_QUEUE_DELAY_MICROS, false, 0, 0, QueuePolicy.DEFAULT,
        Map.of(), NO_LATENCY_TARGET);
  }

  /**
   * Checks the settings against the model's {@code max_batch_size}.
   *
   * @throws IllegalArgumentException naming the setting at fault
   */
  public void checkMaxBatchSize(int maxBatchSize) {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("dynamic_batching needs max_batch_size >= 1, got " + maxBatchSize);
    }
    for (int size : preferredBatchSizes) {
      if (size > maxBatchSize) {
        throw new IllegalArgumentException(
            "preferred_batch_size " + size + " exceeds max_batch_size " + maxBatchSize);
      }
    }
  }

  /** Queues the batcher keeps: one per priority level, or one when priorities are off. */
  public int levels() {
    return Math.max(1, priorityLevels);
  }

  /** The level (1-based) a request of {@code requestPriority} (0: none given) queues at. */
  public int levelOf(int requestPriority) {
    if (priorityLevels == 0) {
      return 1;
    }
    return requestPriority < 1 || requestPriority > priorityLevels ? defaultPriorityLevel : requestPriority;
  }

  /** The queue policy of {@code level} (1-based). */
  public QueuePolicy queuePolicy(int level) {
    return priorityQueuePolicy.getOrDefault(level, defaultQueuePolicy);
  }

  public boolean hasLatencyTarget() {
    return targetLatencyMicros > 0;
  }

  public DynamicBatching withPreferredBatchSizes(Integer... sizes) {
    return new DynamicBatching(List.of(sizes), maxQueueDelayMicros, preserveOrdering, priorityLevels,
        defaultPriorityLevel, defaultQueuePolicy, priorityQueuePolicy, targetLatencyMicros);
  }

  public DynamicBatching withMaxQueueDelayMicros(long micros) {
    return new DynamicBatching(preferredBatchSizes, micros, preserveOrdering, priorityLevels,
        defaultPriorityLevel, defaultQueuePolicy, priorityQueuePolicy, targetLatencyMicros);
  }

  public DynamicBatching withPreserveOrdering(boolean preserve) {
    return new DynamicBatching(preferredBatchSizes, maxQueueDelayMicros, preserve, priorityLevels,
        defaultPriorityLevel, defaultQueuePolicy, priorityQueuePolicy, targetLatencyMicros);
  }

  public DynamicBatching withPriorityLevels(int levels, int defaultLevel) {
    return new DynamicBatching(preferredBatchSizes, maxQueueDelayMicros, preserveOrdering, levels,
        defaultLevel, defaultQueuePolicy, priorityQueuePolicy, targetLatencyMicros);
  }

  public DynamicBatching withDefaultQueuePolicy(QueuePolicy policy) {
    return new DynamicBatching(preferredBatchSizes, maxQueueDelayMicros, preserveOrdering, priorityLevels,
        defaultPriorityLevel, policy, priorityQueuePolicy, targetLatencyMicros);
  }

  public DynamicBatching withPriorityQueuePolicy(int level, QueuePolicy policy) {
    Map<Integer, QueuePolicy> policies = new TreeMap<>(priorityQueuePolicy);
    policies.put(level, policy);
    return new DynamicBatching(preferredBatchSizes, maxQueueDelayMicros, preserveOrdering, priorityLevels,
        defaultPriorityLevel, defaultQueuePolicy, policies, targetLatencyMicros);
  }

  public DynamicBatching withTargetLatencyMicros(long micros) {
    return new DynamicBatching(preferredBatchSizes, maxQueueDelayMicros, preserveOrdering, priorityLevels,
        defaultPriorityLevel, defaultQueuePolicy, priorityQueuePolicy, micros);
  }
}
