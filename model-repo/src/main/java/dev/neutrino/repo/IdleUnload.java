package dev.neutrino.repo;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * When models scale to zero: a model unused for {@code after} is unloaded but stays known, and its
 * next request loads it again (see {@link ModelRepository#acquireAsync}). A model's configuration may
 * set its own time with the parameter {@value #PARAMETER} (seconds, 0 keeps it loaded).
 *
 * @param after how long a model may go unused before it is unloaded; zero turns it off for models
 *     that do not set {@value #PARAMETER}
 * @param sweepInterval how often idle models are looked for
 * @param clock nanoseconds of a monotonic clock ({@link System#nanoTime} but in tests)
 */
public record IdleUnload(Duration after, Duration sweepInterval, LongSupplier clock) {
  /** The configuration parameter that sets one model's idle time, in seconds. */
  public static final String PARAMETER = "idle_unload_secs";
  public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofSeconds(1);
  /** Models stay loaded unless their configuration says otherwise. */
  public static final IdleUnload OFF = new IdleUnload(Duration.ZERO, DEFAULT_SWEEP_INTERVAL, System::nanoTime);

  public IdleUnload {
    Objects.requireNonNull(after, "after");
    Objects.requireNonNull(sweepInterval, "sweepInterval");
    Objects.requireNonNull(clock, "clock");
    if (after.isNegative()) {
      throw new IllegalArgumentException("idle unload time must be >= 0, got " + after);
    }
    if (sweepInterval.isNegative() || sweepInterval.isZero()) {
      throw new IllegalArgumentException("idle sweep interval must be positive, got " + sweepInterval);
    }
  }

  /** Unloads models unused for {@code seconds} (0: off), on the system clock. */
  public static IdleUnload afterSeconds(long seconds) {
    return new IdleUnload(Duration.ofSeconds(seconds), DEFAULT_SWEEP_INTERVAL, System::nanoTime);
  }

  public IdleUnload withClock(LongSupplier newClock, Duration newSweepInterval) {
    return new IdleUnload(after, newSweepInterval, newClock);
  }
}
