package dev.neutrino.autoscaler.sim;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Writes synthetic request-rate traces; the same shape, seed and parameters always give the same
 * trace.
 *
 * <ul>
 *   <li>{@code bursty}: the base rate with 10 % noise, plus bursts arriving at random (on average
 *       twelve per trace) that rise in 5 to 20 s to 40 to 100 % of the way to the peak, hold for 30 to
 *       120 s and decay over 20 to 60 s; overlapping bursts add up to at most the peak.
 *   <li>{@code diurnal}: one day compressed into the trace: from the base up to the peak at mid-trace
 *       and back, along a cosine, with 5 % noise.
 *   <li>{@code step}: the base for the first third, the peak for the second, the base again, with 5 %
 *       noise.
 * </ul>
 */
public final class TraceGenerator {

  /** The trace shapes. */
  public enum Shape {
    BURSTY,
    DIURNAL,
    STEP;

    public static Shape parse(String s) {
      try {
        return valueOf(s.strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--shape must be bursty, diurnal or step, got '" + s + "'");
      }
    }
  }

  private TraceGenerator() {}

  public static Trace generate(Shape shape, long seed, int seconds, double base, double peak) {
    if (seconds < 1) {
      throw new IllegalArgumentException("duration must be at least 1s");
    }
    if (!(base >= 0) || !(peak >= base)) {
      throw new IllegalArgumentException("need 0 <= base <= peak, got base=" + base + " peak=" + peak);
    }
    SplittableRandom random = new SplittableRandom(seed);
    double[] r = new double[seconds];
    switch (shape) {
      case STEP -> {
        for (int i = 0; i < seconds; i++) {
          boolean high = i >= seconds / 3 && i < 2 * seconds / 3;
          r[i] = noisy(high ? peak : base, 0.05, random);
        }
      }
      case DIURNAL -> {
        for (int i = 0; i < seconds; i++) {
          double phase = (1 - Math.cos(2 * Math.PI * i / seconds)) / 2;
          r[i] = noisy(base + (peak - base) * phase, 0.05, random);
        }
      }
      case BURSTY -> {
        double[] extra = new double[seconds];
        double meanGap = seconds / 12.0;
        double t = -Math.log(1 - random.nextDouble()) * meanGap;
        while (t < seconds) {
          double height = (peak - base) * (0.4 + 0.6 * random.nextDouble());
          double rise = 5 + 15 * random.nextDouble();
          double hold = 30 + 90 * random.nextDouble();
          double decay = 20 + 40 * random.nextDouble();
          int start = (int) t;
          for (int i = start; i < seconds && i < start + rise + hold + decay; i++) {
            double dt = i - t;
            double f = dt < rise ? dt / rise : dt < rise + hold ? 1 : 1 - (dt - rise - hold) / decay;
            extra[i] += height * Math.max(0, f);
          }
          t += -Math.log(1 - random.nextDouble()) * meanGap;
        }
        for (int i = 0; i < seconds; i++) {
          r[i] = Math.min(peak, noisy(base, 0.10, random) + extra[i]);
        }
      }
      default -> throw new AssertionError(shape);
    }
    return new Trace(r);
  }

  private static double noisy(double rate, double amplitude, SplittableRandom random) {
    return Math.max(0, rate * (1 + amplitude * (2 * random.nextDouble() - 1)));
  }
}
