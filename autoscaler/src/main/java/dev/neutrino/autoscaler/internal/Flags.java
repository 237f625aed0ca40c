package dev.neutrino.autoscaler.internal;

import dev.neutrino.autoscaler.DurationText;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line flags: {@code --name value}, {@code --name=value}, and switches ({@code --dry-run}) that
 * take no value. A flag not declared, a missing value or a repeated flag is an error naming it.
 */
public final class Flags {

  private final Map<String, String> values = new LinkedHashMap<>();

  private Flags() {}

  /**
   * @param withValue flags that take a value, without the dashes
   * @param switches flags that take none
   */
  public static Flags parse(List<String> args, Set<String> withValue, Set<String> switches) {
    Flags f = new Flags();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'");
      }
      String name = a.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (switches.contains(name)) {
        if (value != null) {
          throw new IllegalArgumentException("--" + name + " takes no value");
        }
        value = "true";
      } else if (withValue.contains(name)) {
        if (value == null) {
          if (i + 1 >= args.size()) {
            throw new IllegalArgumentException("--" + name + " needs a value");
          }
          value = args.get(++i);
        }
      } else {
        throw new IllegalArgumentException("unknown flag --" + name);
      }
      if (f.values.put(name, value) != null) {
        throw new IllegalArgumentException("--" + name + " is given twice");
      }
    }
    return f;
  }

  public boolean has(String name) {
    return values.containsKey(name);
  }

  public String text(String name, String otherwise) {
    return values.getOrDefault(name, otherwise);
  }

  public String required(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return v;
  }

  public int integer(String name, int otherwise) {
    String v = values.get(name);
    try {
      return v == null ? otherwise : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be an integer, got '" + v + "'");
    }
  }

  public long longValue(String name, long otherwise) {
    String v = values.get(name);
    try {
      return v == null ? otherwise : Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be an integer, got '" + v + "'");
    }
  }

  public double number(String name, double otherwise) {
    String v = values.get(name);
    try {
      return v == null ? otherwise : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a number, got '" + v + "'");
    }
  }

  public Duration duration(String name, Duration otherwise) {
    String v = values.get(name);
    try {
      return v == null ? otherwise : DurationText.parse(v);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--" + name + ": " + e.getMessage());
    }
  }
}
