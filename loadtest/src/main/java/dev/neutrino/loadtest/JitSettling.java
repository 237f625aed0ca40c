package dev.neutrino.loadtest;

import dev.neutrino.loadtest.profile.CpuProfiler;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Warm-up until the JIT compilers are quiet. A gateway that has just started goes on compiling its
 * request path, and the generator's, for tens of seconds under load (on 2 vCPUs, about 8,000 methods
 * over the first 20 s); a level measured meanwhile is charged for a compiler thread that takes a good
 * part of a core. So after its warm-up a target gets more rounds of the same load, until one in which
 * the compilers used less than {@link #SETTLED_SHARE} of its wall time, or {@link #MAX_EXTRA_ROUNDS}
 * rounds have passed (then the level is measured anyway, and the report says the JIT had not settled).
 *
 * <p>A pure loop over what it is handed: the load of a round, the compilers' CPU clock and the wall
 * clock. Not thread-safe; one warm-up at a time.
 */
final class JitSettling {
  /** The compilers' share of a round's wall time below which compilation counts as done: 2 % of a core. */
  static final double SETTLED_SHARE = CpuProfiler.JIT_SETTLED_SHARE;
  /** The most rounds after the warm-up itself. */
  static final int MAX_EXTRA_ROUNDS = 10;

  /**
   * What a warm-up did.
   *
   * @param shares per round, the first being the warm-up itself: the compilers' CPU over the round's
   *     wall time; empty where the compilers' CPU cannot be read (only the warm-up itself ran)
   */
  record Result(List<Double> shares) {
    Result {
      shares = List.copyOf(shares);
    }

    /** Whether the last round's share was below {@link #SETTLED_SHARE}; false when nothing was read. */
    boolean settled() {
      return !shares.isEmpty() && shares.get(shares.size() - 1) < SETTLED_SHARE;
    }

    /** Rounds run after the warm-up itself. */
    int extraRounds() {
      return Math.max(0, shares.size() - 1);
    }
  }

  private JitSettling() {}

  /**
   * Runs {@code warmup}, then {@code round} again and again while the compilers' share of the last
   * round is at least {@link #SETTLED_SHARE}, at most {@code maxExtraRounds} times.
   *
   * @param jitNanos the compilers' CPU nanoseconds so far, negative where it cannot be read
   * @param clock wall-clock nanoseconds
   */
  static Result warm(Runnable warmup, Runnable round, LongSupplier jitNanos, LongSupplier clock, int maxExtraRounds) {
    List<Double> shares = new ArrayList<>();
    Runnable next = warmup;
    for (int i = 0; i <= maxExtraRounds; i++) {
      long jitBefore = jitNanos.getAsLong();
      long start = clock.getAsLong();
      next.run();
      long wall = clock.getAsLong() - start;
      long jitAfter = jitNanos.getAsLong();
      if (jitBefore < 0 || jitAfter < 0) {
        break; // unreadable: the warm-up alone, as before
      }
      double share = (double) (jitAfter - jitBefore) / Math.max(1, wall);
      shares.add(share);
      if (share < SETTLED_SHARE) {
        break;
      }
      next = round;
    }
    return new Result(shares);
  }
}
