package dev.neutrino.repo;

/**
 * How long a version's load took, in the phases the repository logs: creating its instances (from
 * the first session to the last, in parallel after the first) and warming them up.
 *
 * @param createNanos creating every instance
 * @param warmupNanos running the warm-up samples on every instance
 */
public record LoadTimes(long createNanos, long warmupNanos) {
  /** The times of a version that has no instances of its own (an ensemble). */
  public static final LoadTimes NONE = new LoadTimes(0, 0);

  public LoadTimes {
    if (createNanos < 0 || warmupNanos < 0) {
      throw new IllegalArgumentException(
          "load times cannot be negative: create " + createNanos + " ns, warm-up " + warmupNanos + " ns");
    }
  }
}
