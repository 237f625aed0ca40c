package dev.neutrino.gateway;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Scrapes a gateway's {@code /metrics} with the JDK's client and reads the Prometheus text format
 * into series ({@code name{label="value",...}}, labels sorted) and their values.
 */
final class Scrapes {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private Scrapes() {}

  static HttpResponse<String> get(Gateway gateway, String accept) {
    HttpRequest.Builder request = HttpRequest.newBuilder(
        URI.create("http://" + gateway.host() + ":" + gateway.metricsPort() + "/metrics"))
        .timeout(Duration.ofSeconds(30)).GET();
    if (accept != null) {
      request.header("Accept", accept);
    }
    try {
      return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Every series of a scrape in the 0.0.4 text format, by its sorted-label key. */
  static Map<String, Double> scrape(Gateway gateway) {
    HttpResponse<String> response = get(gateway, null);
    if (response.statusCode() != 200) {
      throw new IllegalStateException("scrape answered " + response.statusCode());
    }
    return parse(response.body());
  }

  static Map<String, Double> parse(String text) {
    Map<String, Double> series = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space;
      String name;
      TreeMap<String, String> labels = new TreeMap<>();
      if (brace >= 0 && brace < line.indexOf(' ')) {
        name = line.substring(0, brace);
        int i = brace + 1;
        while (line.charAt(i) != '}') {
          int eq = line.indexOf('=', i);
          String label = line.substring(i, eq);
          StringBuilder value = new StringBuilder();
          int j = eq + 2; // past ="
          while (line.charAt(j) != '"') {
            char c = line.charAt(j);
            if (c == '\\') {
              char next = line.charAt(++j);
              value.append(next == 'n' ? '\n' : next);
            } else {
              value.append(c);
            }
            j++;
          }
          labels.put(label, value.toString());
          i = j + 1;
          if (line.charAt(i) == ',') {
            i++;
          }
        }
        space = line.indexOf(' ', i);
      } else {
        space = line.indexOf(' ');
        name = line.substring(0, space);
      }
      String rest = line.substring(space + 1).trim();
      int end = rest.indexOf(' ');
      double value = Double.parseDouble(end < 0 ? rest : rest.substring(0, end));
      series.put(key(name, labels), value);
    }
    return series;
  }

  /** The key of a series: {@code name{a="1",b="2"}} with labels sorted, or the bare name. */
  static String key(String name, Map<String, String> labels) {
    if (labels.isEmpty()) {
      return name;
    }
    StringBuilder out = new StringBuilder(name).append('{');
    boolean first = true;
    for (Map.Entry<String, String> label : new TreeMap<>(labels).entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      out.append(label.getKey()).append("=\"").append(label.getValue()).append('"');
    }
    return out.append('}').toString();
  }

  /** {@code key("m", "a", "1", "b", "2")}. */
  static String key(String name, String... labelPairs) {
    Map<String, String> labels = new TreeMap<>();
    for (int i = 0; i < labelPairs.length; i += 2) {
      labels.put(labelPairs[i], labelPairs[i + 1]);
    }
    return key(name, labels);
  }

  /** The metric names of a scrape. */
  static TreeSet<String> names(Map<String, Double> series) {
    TreeSet<String> names = new TreeSet<>();
    for (String key : series.keySet()) {
      int brace = key.indexOf('{');
      names.add(brace < 0 ? key : key.substring(0, brace));
    }
    return names;
  }

  /** A series' value; fails naming the series when it is absent. */
  static double value(Map<String, Double> series, String key) {
    Double value = series.get(key);
    if (value == null) {
      throw new AssertionError("no series " + key);
    }
    return value;
  }

  /** The sum of every series of {@code name} whose labels include all of {@code labelPairs}. */
  static double sum(Map<String, Double> series, String name, String... labelPairs) {
    double total = 0;
    outer:
    for (Map.Entry<String, Double> entry : series.entrySet()) {
      String key = entry.getKey();
      if (!(key.equals(name) || key.startsWith(name + "{"))) {
        continue;
      }
      for (int i = 0; i < labelPairs.length; i += 2) {
        if (!key.contains(labelPairs[i] + "=\"" + labelPairs[i + 1] + "\"")) {
          continue outer;
        }
      }
      total += entry.getValue();
    }
    return total;
  }
}
