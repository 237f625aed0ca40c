package dev.neutrino.autoscaler.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A request-rate trace: the arrival rate (requests per second) for each second, from second 0.
 *
 * <p>File format: CSV with the header {@code second,requests_per_second} and one line per second in
 * order, e.g. {@code 0,102.5}. Blank lines and lines starting with {@code #} are ignored.
 */
public record Trace(double[] ratePerSecond) {

  public static final String HEADER = "second,requests_per_second";

  public Trace {
    if (ratePerSecond.length == 0) {
      throw new IllegalArgumentException("a trace needs at least one second");
    }
    for (int i = 0; i < ratePerSecond.length; i++) {
      if (!(ratePerSecond[i] >= 0) || Double.isInfinite(ratePerSecond[i])) {
        throw new IllegalArgumentException("second " + i + ": rate must be finite and >= 0, got " + ratePerSecond[i]);
      }
    }
    ratePerSecond = ratePerSecond.clone();
  }

  public int seconds() {
    return ratePerSecond.length;
  }

  public double rate(int second) {
    return ratePerSecond[second];
  }

  @Override
  public double[] ratePerSecond() {
    return ratePerSecond.clone();
  }

  public double peak() {
    double m = 0;
    for (double r : ratePerSecond) {
      m = Math.max(m, r);
    }
    return m;
  }

  public static Trace read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    List<Double> rates = new ArrayList<>();
    int lineNo = 0;
    for (String raw : lines) {
      lineNo++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.equals(HEADER)) {
        continue;
      }
      String[] parts = line.split(",");
      if (parts.length != 2) {
        throw new IllegalArgumentException(file + " line " + lineNo + ": expected 'second,requests_per_second'");
      }
      try {
        int second = Integer.parseInt(parts[0].strip());
        if (second != rates.size()) {
          throw new IllegalArgumentException(
              file + " line " + lineNo + ": expected second " + rates.size() + ", got " + second);
        }
        rates.add(Double.parseDouble(parts[1].strip()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(file + " line " + lineNo + ": not a number: " + line);
      }
    }
    double[] r = new double[rates.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = rates.get(i);
    }
    return new Trace(r);
  }

  public void write(Path file) throws IOException {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    for (int i = 0; i < ratePerSecond.length; i++) {
      sb.append(i).append(',').append(String.format(Locale.ROOT, "%.2f", ratePerSecond[i])).append('\n');
    }
    Files.writeString(file, sb);
  }
}
