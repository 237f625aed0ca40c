package dev.neutrino.loadtest.profile;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Warm-up until the JIT compilers are quiet. A JVM that has just started goes on compiling its request
 * path, and the generator's, for tens of seconds under load (on 2 vCPUs, about 8,000 methods over the
 * first 20 s); a figure measured meanwhile is charged for a compiler thread that takes a good part of a
 * core. So after its warm-up a target gets more rounds of the same load, until one in which the
 * compilers used less than {@link CpuProfiler#JIT_SETTLED_SHARE} of its wall time, or the most rounds
 * have passed (then it is measured anyway, and the report says the JIT had not settled). The bench's
 * warm-ups ({@code Bench}) and the profile's ({@link CpuProfiler#warmUp}) both run through here.
 *
 * <p>A pure loop over what it is handed: the load of a round, the compilers' CPU clock and the wall
 * clock. Not thread-safe; one warm-up at a time.
 */
public final class JitSettling {
  /** The most rounds after the warm-up itself, for the bench's targets. */
  public static final int MAX_EXTRA_ROUNDS = 10;

  /** What to do where the compilers' CPU cannot be read, so that no round can be judged. */
  public enum WhenUnreadable {
    /** Run the warm-up itself and stop. */
    WARM_UP_ONLY,
    /** Run every round. */
    EVERY_ROUND
  }

  /** One round of load: round 1 is the warm-up itself. */
  @FunctionalInterface
  public interface Round<E extends Exception> {
    void run(int number) throws E;
  }

  /**
   * What a warm-up did.
   *
   * @param shares per round, the first being the warm-up itself: the compilers' CPU over the round's
   *     wall time; empty where the compilers' CPU cannot be read
   */
  public record Result(List<Double> shares) {
    public Result {
      shares = List.copyOf(shares);
    }

    /** Whether the last round's share was below the settled share; false when nothing was read. */
    public boolean settled() {
      return !shares.isEmpty() && shares.get(shares.size() - 1) < CpuProfiler.JIT_SETTLED_SHARE;
    }

    /** Rounds run after the warm-up itself, as far as they were read. */
    public int extraRounds() {
      return Math.max(0, shares.size() - 1);
    }
  }

  private JitSettling() {}

  /**
   * Runs {@code round} 1 (the warm-up), then the next while the compilers' share of the last round is
   * at least {@link CpuProfiler#JIT_SETTLED_SHARE}, at most {@code maxExtraRounds} more.
   *
   * @param jitNanos the compilers' CPU nanoseconds so far, negative where it cannot be read
   * @param clock wall-clock nanoseconds
   */
  public static <E extends Exception> Result warm(Round<E> round, LongSupplier jitNanos, LongSupplier clock,
      int maxExtraRounds, WhenUnreadable whenUnreadable) throws E {
    List<Double> shares = new ArrayList<>();
    for (int number = 1; number <= 1 + maxExtraRounds; number++) {
      long jitBefore = jitNanos.getAsLong();
      long start = clock.getAsLong();
      round.run(number);
      long wall = clock.getAsLong() - start;
      long jitAfter = jitNanos.getAsLong();
      if (jitBefore < 0 || jitAfter < 0) {
        if (whenUnreadable == WhenUnreadable.EVERY_ROUND) {
          continue;
        }
        break;
      }
      double share = (double) (jitAfter - jitBefore) / Math.max(1, wall);
      shares.add(share);
      if (share < CpuProfiler.JIT_SETTLED_SHARE) {
        break;
      }
    }
    return new Result(shares);
  }
}
