package dev.neutrino.batching;

/**
 * Queue limits for models without {@code dynamic_batching}, which run each request as it comes
 * ({@link DirectScheduler}).
 *
 * @param maxQueueSize requests that may wait for an instance; 0 means unbounded
 * @param defaultTimeoutMicros how long a request may wait when it names no timeout; 0 means forever.
 *     A request may name a shorter timeout, never a longer one (see {@link #queuePolicy()}).
 */
public record SchedulerOptions(int maxQueueSize, long defaultTimeoutMicros) {
  public static final SchedulerOptions DEFAULT = new SchedulerOptions(0, 0);

  public SchedulerOptions {
    if (maxQueueSize < 0) {
      throw new IllegalArgumentException("max_queue_size must be >= 0, got " + maxQueueSize);
    }
    if (defaultTimeoutMicros < 0) {
      throw new IllegalArgumentException("default_timeout_microseconds must be >= 0, got " + defaultTimeoutMicros);
    }
  }

  /** These limits as a queue policy: REJECT on timeout, requests may shorten the timeout. */
  public QueuePolicy queuePolicy() {
    return new QueuePolicy(QueuePolicy.TimeoutAction.REJECT, defaultTimeoutMicros, true, maxQueueSize);
  }
}
