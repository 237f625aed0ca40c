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
 * </ul>
 */
final class GeneratorCheck {
  /** The share of its cores above which the generator, not the server, is the limit. */
  static final double MAX_CPU_SHARE = 0.9;
  /** Open loop: sends this late at the 99th percentile mean the schedule was not kept (microseconds). */
  static final long MAX_SEND_LAG_P99_US = 5_000;

  private GeneratorCheck() {}

  /**
   * @param generatorCores the cores the generator may run on
   * @return null when the level is valid, else why it is not
   */
  static String verdict(LoadSpec spec, double generatorCpuCores, int generatorCores, LatencySummary sendLag) {
    List<String> reasons = new ArrayList<>();
    if (generatorCores > 0 && generatorCpuCores >= MAX_CPU_SHARE * generatorCores) {
      reasons.add(String.format(Locale.ROOT, "the generator used %.2f of its %d core(s) (limit %.0f%%)",
          generatorCpuCores, generatorCores, MAX_CPU_SHARE * 100));
    }
    if (spec.mode() == LoadSpec.Mode.OPEN && sendLag.count() > 0 && sendLag.p99() > MAX_SEND_LAG_P99_US) {
      reasons.add("the open loop fell behind its schedule: sends " + sendLag.p99() + " us late at p99 (limit "
          + MAX_SEND_LAG_P99_US + " us)");
    }
    return reasons.isEmpty() ? null : "generator saturated: " + String.join("; ", reasons);
  }

  /** {@code result} with the verdict applied (unchanged when valid). */
  static LevelResult judge(LevelResult result, int generatorCores) {
    String reason = verdict(result.spec(), result.generatorCpuCores(), generatorCores, result.sendLag());
    return reason == null ? result : result.invalid(reason);
  }
}
