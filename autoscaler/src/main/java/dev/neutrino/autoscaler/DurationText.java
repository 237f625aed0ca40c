package dev.neutrino.autoscaler;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as configuration and logs write them: one or more {@code <number><unit>} parts with units
 * {@code ms}, {@code s}, {@code m}, {@code h}, for example {@code 250ms}, {@code 60s}, {@code 1m30s}.
 * A bare number is rejected: a unit is always written.
 */
public final class DurationText {

  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  private DurationText() {}

  public static Duration parse(String text) {
    String t = text == null ? "" : text.strip();
    Matcher m = PART.matcher(t);
    int at = 0;
    double millis = 0;
    while (at < t.length() && m.find(at) && m.start() == at) {
      double n = Double.parseDouble(m.group(1));
      millis += switch (m.group(2)) {
        case "ms" -> n;
        case "s" -> n * 1_000;
        case "m" -> n * 60_000;
        default -> n * 3_600_000;
      };
      at = m.end();
    }
    if (t.isEmpty() || at != t.length()) {
      throw new IllegalArgumentException(
          "not a duration: '" + text + "' (write a number and a unit: 250ms, 60s, 5m, 1h, 1m30s)");
    }
    return Duration.ofNanos(Math.round(millis * 1_000_000));
  }

  /** A short form for logs and reports: {@code 250ms}, {@code 6s}, {@code 1.5s}, {@code 5m}, {@code 1m30s}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms < 1_000) {
      return ms + "ms";
    }
    if (ms % 1_000 != 0) {
      return trim(ms / 1_000.0) + "s";
    }
    long s = ms / 1_000;
    if (s < 60 || (s % 60 != 0 && s < 600)) {
      return s < 60 ? s + "s" : (s / 60) + "m" + (s % 60) + "s";
    }
    if (s % 3_600 == 0) {
      return (s / 3_600) + "h";
    }
    return s % 60 == 0 ? (s / 60) + "m" : s + "s";
  }

  private static String trim(double v) {
    String s = String.format(java.util.Locale.ROOT, "%.3f", v);
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }
}
