package dev.neutrino.autoscaler;

import java.util.Locale;

/** Number formatting for decision reasons: short, locale-independent. */
final class Fmt {

  private Fmt() {}

  static String num(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e9) {
      return Long.toString((long) v);
    }
    return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 10 ? "%.1f" : "%.2f", v);
  }
}
