package dev.neutrino.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;

/**
 * Values of the load tester's flags that need more than a number: durations, sweeps of levels,
 * input shapes. Their errors name the flag and the accepted forms.
 */
final class Flags {
  private Flags() {}

  /** Converts a flag's text to a {@link Duration} for picocli, which names the flag in the error. */
  static final class DurationValue implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String text) {
      try {
        return parseDuration(text);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** {@code 10}, {@code 10s}, {@code 500ms}, {@code 2m}, {@code 1.5s}. A bare number is seconds. */
  static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    double scale = 1e9;
    if (t.endsWith("ms")) {
      scale = 1e6;
      t = t.substring(0, t.length() - 2);
    } else if (t.endsWith("s")) {
      t = t.substring(0, t.length() - 1);
    } else if (t.endsWith("m")) {
      scale = 60e9;
      t = t.substring(0, t.length() - 1);
    }
    try {
      double value = Double.parseDouble(t);
      if (value < 0 || Double.isNaN(value)) {
        throw new NumberFormatException();
      }
      return Duration.ofNanos(Math.round(value * scale));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("needs a duration such as 10s or 500ms, got '" + text + "'");
    }
  }

  /**
   * Levels of a sweep: one value, a list {@code 1,4,16,64}, or a range {@code start:end:step}
   * (end included).
   */
  static List<Double> sweep(String flag, String text) {
    List<Double> levels = new ArrayList<>();
    try {
      if (text.contains(":")) {
        String[] parts = text.split(":");
        if (parts.length != 3) {
          throw new IllegalArgumentException("--" + flag + " range must be start:end:step, got '" + text + "'");
        }
        double start = Double.parseDouble(parts[0]);
        double end = Double.parseDouble(parts[1]);
        double step = Double.parseDouble(parts[2]);
        if (step <= 0 || end < start) {
          throw new IllegalArgumentException("--" + flag + " range needs start <= end and a positive step, got '"
              + text + "'");
        }
        for (double v = start; v <= end + step * 1e-9; v += step) {
          levels.add(v);
        }
        if (levels.size() > 1000) {
          throw new IllegalArgumentException("--" + flag + " range has " + levels.size() + " levels; at most 1000");
        }
      } else {
        for (String part : text.split(",")) {
          levels.add(Double.parseDouble(part.trim()));
        }
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + flag + " needs numbers (1,4,16 or 100:2000:100), got '" + text + "'");
    }
    for (double v : levels) {
      if (!(v > 0)) {
        throw new IllegalArgumentException("--" + flag + " levels must be above 0, got " + Report.number(v));
      }
    }
    return levels;
  }

  /** {@code NAME:d1,d2,...}, as {@code --shape} takes it. */
  static Map.Entry<String, long[]> shape(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("--shape needs NAME:d1,d2,..., got '" + text + "'");
    }
    String[] dims = text.substring(colon + 1).split(",");
    long[] shape = new long[dims.length];
    try {
      for (int i = 0; i < dims.length; i++) {
        shape[i] = Long.parseLong(dims[i].trim());
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--shape needs whole-number dimensions, got '" + text + "'");
    }
    return Map.entry(text.substring(0, colon), shape);
  }
}
