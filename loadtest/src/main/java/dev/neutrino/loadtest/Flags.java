package dev.neutrino.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Command-line flags: {@code --name value}, {@code --name=value}, or {@code --name} alone for a
 * switch. A flag given twice keeps both values ({@code --shape} may repeat). Unknown flags are errors
 * that name the flag.
 */
final class Flags {
  private final Map<String, List<String>> values;

  private Flags(Map<String, List<String>> values) {
    this.values = values;
  }

  /**
   * @param valued flags that take a value
   * @param switches flags that take none
   * @throws IllegalArgumentException naming an unknown flag or a missing value
   */
  static Flags parse(String[] args, Set<String> valued, Set<String> switches) {
    Map<String, List<String>> values = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
      String name = arg.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (switches.contains(name)) {
        values.computeIfAbsent(name, k -> new ArrayList<>()).add(value == null ? "true" : value);
        continue;
      }
      if (!valued.contains(name)) {
        throw new IllegalArgumentException("unknown flag --" + name);
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("flag --" + name + " needs a value");
        }
        value = args[++i];
      }
      values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
    return new Flags(values);
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  String get(String name, String fallback) {
    List<String> v = values.get(name);
    return v == null ? fallback : v.get(v.size() - 1);
  }

  List<String> all(String name) {
    return values.getOrDefault(name, List.of());
  }

  boolean on(String name) {
    return has(name) && !get(name, "true").equalsIgnoreCase("false");
  }

  int integer(String name, int fallback) {
    String v = get(name, null);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " needs a whole number, got '" + v + "'");
    }
  }

  Duration duration(String name, Duration fallback) {
    String v = get(name, null);
    return v == null ? fallback : parseDuration(name, v);
  }

  /** {@code 10}, {@code 10s}, {@code 500ms}, {@code 2m}, {@code 1.5s}. A bare number is seconds. */
  static Duration parseDuration(String flag, String text) {
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
      throw new IllegalArgumentException("--" + flag + " needs a duration such as 10s or 500ms, got '" + text + "'");
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
