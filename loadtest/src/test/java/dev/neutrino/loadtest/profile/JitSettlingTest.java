package dev.neutrino.loadtest.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/** The warm-up's extra rounds, on a scripted compiler clock and wall clock: nothing here waits. */
class JitSettlingTest {
  private static final long SECOND = 1_000_000_000L;

  /** Rounds of one wall second each, in which the compilers use the given nanoseconds in turn. */
  private static final class ScriptedRounds {
    final AtomicLong wall = new AtomicLong();
    final AtomicLong jit = new AtomicLong();
    final List<String> ran = new ArrayList<>();
    private final long[] jitPerRound;
    private int index;

    ScriptedRounds(long... jitPerRound) {
      this.jitPerRound = jitPerRound;
    }

    /** The warm-up and its rounds over these rounds' clocks, with the compilers' clock given. */
    JitSettling.Result warm(LongSupplier jitNanos, int maxExtraRounds, JitSettling.WhenUnreadable whenUnreadable) {
      return JitSettling.warm(this::run, jitNanos, wall::get, maxExtraRounds, whenUnreadable);
    }

    JitSettling.Result warm(int maxExtraRounds) {
      return warm(jit::get, maxExtraRounds, JitSettling.WhenUnreadable.WARM_UP_ONLY);
    }

    private void run(int number) {
      ran.add(number == 1 ? "warmup" : "round");
      wall.addAndGet(SECOND);
      jit.addAndGet(jitPerRound[Math.min(index++, jitPerRound.length - 1)]);
    }
  }

  @Test
  void runsMoreRoundsUntilTheCompilersUseUnderTwoPercentOfOne() {
    ScriptedRounds rounds = new ScriptedRounds(400_000_000L, 150_000_000L, 30_000_000L, 10_000_000L, 0);
    JitSettling.Result result = rounds.warm(JitSettling.MAX_EXTRA_ROUNDS);
    assertEquals(List.of("warmup", "round", "round", "round"), rounds.ran);
    assertEquals(List.of(0.4, 0.15, 0.03, 0.01), result.shares());
    assertEquals(3, result.extraRounds());
    assertTrue(result.settled());
  }

  @Test
  void aQuietWarmUpNeedsNoMoreRounds() {
    ScriptedRounds rounds = new ScriptedRounds(10_000_000L);
    JitSettling.Result result = rounds.warm(JitSettling.MAX_EXTRA_ROUNDS);
    assertEquals(List.of("warmup"), rounds.ran);
    assertEquals(0, result.extraRounds());
    assertTrue(result.settled());
  }

  @Test
  void stopsAfterTheMostRoundsAndSaysTheCompilersHadNotSettled() {
    ScriptedRounds rounds = new ScriptedRounds(300_000_000L);
    JitSettling.Result result = rounds.warm(4);
    assertEquals(5, rounds.ran.size(), "the warm-up and 4 more rounds");
    assertEquals(4, result.extraRounds());
    assertFalse(result.settled());
  }

  @Test
  void whereTheCompilersCannotBeReadOnlyTheWarmUpRuns() {
    ScriptedRounds rounds = new ScriptedRounds(300_000_000L);
    JitSettling.Result result = rounds.warm(() -> -1, JitSettling.MAX_EXTRA_ROUNDS,
        JitSettling.WhenUnreadable.WARM_UP_ONLY);
    assertEquals(List.of("warmup"), rounds.ran);
    assertTrue(result.shares().isEmpty());
    assertFalse(result.settled());
  }

  @Test
  void whereTheCompilersCannotBeReadTheProfileRunsEveryRound() {
    ScriptedRounds rounds = new ScriptedRounds(300_000_000L);
    JitSettling.Result result = rounds.warm(() -> -1, 2, JitSettling.WhenUnreadable.EVERY_ROUND);
    assertEquals(List.of("warmup", "round", "round"), rounds.ran);
    assertTrue(result.shares().isEmpty());
    assertFalse(result.settled());
  }
}
