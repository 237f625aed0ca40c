package dev.neutrino.loadtest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Tells a level that measured the load generator from one that measured the server. A saturated
 * generator sends late and answers its callbacks late, and both delays land in the latencies as if
 * the server had caused them; such a level is reported {@code "valid": false} with the reason instead.
 *
 * <ul>
 *   <li>CPU: the generator's threads used at least {@link #MAX_CPU_SHARE} of the cores it may run on
 *       (all of the machine's, or those it was pinned to).
 *   <li>Schedule (open loop): the 99th percentile of how late requests left after their scheduled
 *       time is above {@link #MAX_SEND_LAG_P99_US}: the open loop did not offer the rate it planned.
 *   <li>Pauses (open loop): the generator's JVM was paused for garbage collection ({@link GcPauses})
 *       for more than {@link #MAX_GC_PAUSED_SHARE} of the measured time. Answers that arrive during a
 *       pause are timed when it ends, so about that share of the requests is charged the pause: past
 *       1 %, the 99th percentile may be the generator's. A closed loop is not judged on this: it sends
 *       nothing while paused, and its throughput, what it is read for, stays true.
 * </ul>
 */
final class GeneratorCheck {
  /** The share of its cores above which the generator, not the server, is the limit. */
  static final double MAX_CPU_SHARE = 0.9;
  /** Open loop: sends this late at the 99th percentile mean the schedule was not kept (microseconds). */
  static final long MAX_SEND_LAG_P99_US = 5_000;
  /** Open loop: the share of the measured time the generator's JVM may spend paused for collections. */
  static final double MAX_GC_PAUSED_SHARE = 0.01;

  private GeneratorCheck() {}

  /**
   * @param generatorCores the cores the generator may run on
   * @param gcPausedShare the share of the measured time the generator's JVM was paused for collections
   * @return null when the level is valid, else why it is not
   */
  static String verdict(LoadSpec spec, double generatorCpuCores, int generatorCores, LatencySummary sendLag,
      double gcPausedShare) {
    List<String> reasons = new ArrayList<>();
    if (generatorCores > 0 && generatorCpuCores >= MAX_CPU_SHARE * generatorCores) {
      reasons.add(String.format(Locale.ROOT, "the generator used %.2f of its %d core(s) (limit %.0f%%)",
          generatorCpuCores, generatorCores, MAX_CPU_SHARE * 100));
    }
    if (spec.mode() == LoadSpec.Mode.OPEN && sendLag.count() > 0 && sendLag.p99() > MAX_SEND_LAG_P99_US) {
      reasons.add("the open loop fell behind its schedule: sends " + sendLag.p99() + " us late at p99 (limit "
          + MAX_SEND_LAG_P99_US + " us)");
    }
    if (spec.mode() == LoadSpec.Mode.OPEN && gcPausedShare > MAX_GC_PAUSED_SHARE) {
      reasons.add(String.format(Locale.ROOT, "the generator's JVM was paused for garbage collection %.1f%% of the "
          + "measured time (limit %.0f%%), and answers arriving meanwhile were timed late", 100 * gcPausedShare,
          100 * MAX_GC_PAUSED_SHARE));
    }
    return reasons.isEmpty() ? null : "generator saturated: " + String.join("; ", reasons);
  }

  /** {@code result} with the verdict applied (unchanged when valid). */
  static LevelResult judge(LevelResult result, int generatorCores, double gcPausedShare) {
    String reason = verdict(result.spec(), result.generatorCpuCores(), generatorCores, result.sendLag(),
        gcPausedShare);
    return reason == null ? result : result.invalid(reason);
  }
}
