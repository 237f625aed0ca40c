package dev.neutrino.batching;

/**
 * A source of monotonic time in nanoseconds, on the {@link System#nanoTime()} scale. Injected into
 * the batcher so that decisions can be tested with a clock moved by hand.
 *
 * <p>Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Ticker {

  /** The current time in nanoseconds; only differences between readings are meaningful. */
  long read();

  /** The system's monotonic clock ({@link System#nanoTime()}). */
  static Ticker system() {
    return SystemTicker.INSTANCE;
  }
}
