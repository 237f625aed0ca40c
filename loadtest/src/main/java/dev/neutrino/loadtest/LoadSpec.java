package dev.neutrino.loadtest;

import java.time.Duration;
import java.util.Objects;

/**
 * One level of load: closed loop (a fixed number of clients, each sending its next request when the
 * last one is answered) or open loop (requests sent at scheduled times, whatever the server does).
 *
 * @param mode closed or open loop
 * @param concurrency clients of a closed loop; ignored in open loop
 * @param rate requests per second of an open loop; ignored in closed loop
 * @param distribution how open-loop send times are spaced
 * @param warmup load before measuring, discarded
 * @param duration how long to measure; with {@code maxRequests} an upper bound
 * @param maxRequests stop after sending this many measured requests; 0 for no limit
 * @param drainTimeout how long to wait, after the last send, for the answers still outstanding;
 *     those not answered by then count as errors {@code no_response}
 * @param maxOutstanding open loop only: requests unanswered at once beyond which the generator does
 *     not send but counts an error {@code generator_backlog} (it protects the generator's memory)
 * @param seed seeds the Poisson arrivals
 */
public record LoadSpec(
    Mode mode,
    int concurrency,
    double rate,
    Distribution distribution,
    Duration warmup,
    Duration duration,
    long maxRequests,
    Duration drainTimeout,
    int maxOutstanding,
    long seed) {

  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(15);
  public static final int DEFAULT_MAX_OUTSTANDING = 100_000;

  public enum Mode {
    CLOSED,
    OPEN;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Open-loop send times: evenly spaced, or a Poisson process (exponential gaps) of the same mean rate. */
  public enum Distribution {
    CONSTANT,
    POISSON;

    public static Distribution parse(String name) {
      return switch (name) {
        case "constant" -> CONSTANT;
        case "poisson" -> POISSON;
        default -> throw new IllegalArgumentException("unknown distribution '" + name + "': use constant or poisson");
      };
    }
  }

  public LoadSpec {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(distribution, "distribution");
    Objects.requireNonNull(warmup, "warmup");
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    if (mode == Mode.CLOSED && concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
    }
    if (mode == Mode.OPEN && !(rate > 0 && rate <= 10_000_000)) {
      throw new IllegalArgumentException("rate must be above 0 and at most 10000000 requests/s, got " + rate);
    }
    if (warmup.isNegative() || duration.isNegative() || drainTimeout.isNegative()) {
      throw new IllegalArgumentException("durations must not be negative");
    }
    if (duration.isZero() && maxRequests <= 0) {
      throw new IllegalArgumentException("give a duration or a request count");
    }
    if (maxRequests < 0) {
      throw new IllegalArgumentException("request count must not be negative, got " + maxRequests);
    }
    if (maxOutstanding < 1) {
      throw new IllegalArgumentException("maxOutstanding must be at least 1, got " + maxOutstanding);
    }
  }

  public static LoadSpec closed(int concurrency, Duration warmup, Duration duration) {
    return new LoadSpec(Mode.CLOSED, concurrency, 0, Distribution.CONSTANT, warmup, duration, 0,
        DEFAULT_DRAIN_TIMEOUT, DEFAULT_MAX_OUTSTANDING, 1);
  }

  public static LoadSpec open(double rate, Distribution distribution, Duration warmup, Duration duration) {
    return new LoadSpec(Mode.OPEN, 0, rate, distribution, warmup, duration, 0, DEFAULT_DRAIN_TIMEOUT,
        DEFAULT_MAX_OUTSTANDING, 1);
  }

  /** This level, stopping after {@code count} measured requests (the duration still bounds it when set). */
  public LoadSpec withMaxRequests(long count) {
    return new LoadSpec(mode, concurrency, rate, distribution, warmup, duration, count, drainTimeout,
        maxOutstanding, seed);
  }

  public LoadSpec withDrainTimeout(Duration timeout) {
    return new LoadSpec(mode, concurrency, rate, distribution, warmup, duration, maxRequests, timeout,
        maxOutstanding, seed);
  }

  public LoadSpec withSeed(long newSeed) {
    return new LoadSpec(mode, concurrency, rate, distribution, warmup, duration, maxRequests, drainTimeout,
        maxOutstanding, newSeed);
  }

  /** "concurrency 8" or "rate 1000/s (poisson)", for tables and logs. */
  public String level() {
    return mode == Mode.CLOSED ? "concurrency " + concurrency
        : "rate " + Report.number(rate) + "/s (" + distribution.name().toLowerCase(java.util.Locale.ROOT) + ")";
  }
}
