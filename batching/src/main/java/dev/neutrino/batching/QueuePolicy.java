package dev.neutrino.batching;

import java.util.Objects;

/**
 * Triton's {@code ModelQueuePolicy}: how many requests one priority level may hold and how long each
 * may wait. Immutable and validated on construction.
 *
 * @param timeoutAction what happens to a request whose timeout passes while it waits
 * @param defaultTimeoutMicros the timeout of a request that names none; 0 means none
 * @param allowTimeoutOverride whether a request may name a shorter timeout than the default
 * @param maxQueueSize requests the level may hold (waiting and delayed); 0 means unbounded
 */
public record QueuePolicy(
    TimeoutAction timeoutAction, long defaultTimeoutMicros, boolean allowTimeoutOverride, int maxQueueSize) {

  /** Triton's defaults: REJECT, no timeout, no override, unbounded. */
  public static final QueuePolicy DEFAULT = new QueuePolicy(TimeoutAction.REJECT, 0, false, 0);

  /** Triton's {@code timeout_action}. */
  public enum TimeoutAction {
    /** A timed-out request fails at once as deadline exceeded and never runs. */
    REJECT,
    /**
     * A timed-out request stays queued, behind every request of its level (and of higher levels) that
     * has not timed out; it runs eventually, possibly much later.
     */
    DELAY
  }

  public QueuePolicy {
    Objects.requireNonNull(timeoutAction, "timeout_action");
    if (defaultTimeoutMicros < 0) {
      throw new IllegalArgumentException("default_timeout_microseconds must be >= 0, got " + defaultTimeoutMicros);
    }
    if (maxQueueSize < 0) {
      throw new IllegalArgumentException("max_queue_size must be >= 0, got " + maxQueueSize);
    }
  }

  /**
   * The timeout that applies to a request asking for {@code requestedMicros} (0 when it asks for
   * none), following Triton: the request may shorten the default when overrides are allowed, never
   * lengthen it. One deliberate difference: where the default is 0 (no timeout), an allowed override
   * sets one, where Triton would ignore it.
   *
   * @return the timeout in microseconds, or 0 for none
   */
  public long timeoutMicrosFor(long requestedMicros) {
    if (allowTimeoutOverride && requestedMicros > 0
        && (defaultTimeoutMicros == 0 || requestedMicros < defaultTimeoutMicros)) {
      return requestedMicros;
    }
    return defaultTimeoutMicros;
  }

  public QueuePolicy withMaxQueueSize(int size) {
    return new QueuePolicy(timeoutAction, defaultTimeoutMicros, allowTimeoutOverride, size);
  }

  public QueuePolicy withTimeout(TimeoutAction action, long defaultMicros, boolean allowOverride) {
    return new QueuePolicy(action, defaultMicros, allowOverride, maxQueueSize);
  }
}
