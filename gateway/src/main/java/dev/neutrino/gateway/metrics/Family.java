package dev.neutrino.gateway.metrics;

import io.prometheus.client.Collector;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.Collector.MetricFamilySamples.Sample;
import java.util.ArrayList;
import java.util.List;

/**
 * One metric family, declared once with its type, unit and help, and the samples a scrape collects
 * into it. Counters are named without {@code _total} (the exposition writes it on their samples).
 */
final class Family {
  final String name;
  final Collector.Type type;
  final String unit;
  final String help;
  final List<String> labelNames;
  private final List<Sample> samples = new ArrayList<>();

  private Family(String name, Collector.Type type, String unit, String help, List<String> labelNames) {
    this.name = name;
    this.type = type;
    this.unit = unit;
    this.help = help;
    this.labelNames = List.copyOf(labelNames);
  }

  static Family counter(String name, String help, String... labels) {
    return new Family(name, Collector.Type.COUNTER, "", help, List.of(labels));
  }

  /** A counter of a quantity in a base unit, such as seconds spent; {@code name} ends with the unit. */
  static Family counterOf(String name, String unit, String help, String... labels) {
    return new Family(name, Collector.Type.COUNTER, unit, help, List.of(labels));
  }

  static Family gauge(String name, String unit, String help, String... labels) {
    return new Family(name, Collector.Type.GAUGE, unit, help, List.of(labels));
  }

  static Family histogram(String name, String unit, String help, String... labels) {
    return new Family(name, Collector.Type.HISTOGRAM, unit, help, List.of(labels));
  }

  /**
   * A family written as Triton writes it: a counter without the {@code _total} suffix, which the
   * exposition library reserves for counters, so it goes out untyped (PromQL treats it alike).
   */
  static Family untyped(String name, String help, String... labels) {
    return new Family(name, Collector.Type.UNKNOWN, "", help, List.of(labels));
  }

  /** A fresh, empty family like this one, for one scrape. */
  Family fresh() {
    return new Family(name, type, unit, help, labelNames);
  }

  /** Adds the family's one sample for these label values (a counter's {@code _total}). */
  void add(double value, String... labelValues) {
    String sampleName = type == Collector.Type.COUNTER ? name + "_total" : name;
    samples.add(new Sample(sampleName, labelNames, List.of(labelValues), value));
  }

  /**
   * Adds a histogram's series for these label values: cumulative buckets under {@code le}, then
   * {@code _count} and {@code _sum}.
   *
   * @param bounds the buckets' upper bounds as {@code le} values, without +Inf
   * @param cumulative observations at or below each bound, then the total count
   */
  void addHistogram(List<String> bounds, long[] cumulative, double sum, String... labelValues) {
    List<String> values = List.of(labelValues);
    List<String> bucketLabels = new ArrayList<>(labelNames);
    bucketLabels.add("le");
    for (int i = 0; i <= bounds.size(); i++) {
      List<String> bucketValues = new ArrayList<>(values);
      bucketValues.add(i < bounds.size() ? bounds.get(i) : "+Inf");
      samples.add(new Sample(name + "_bucket", bucketLabels, bucketValues, cumulative[i]));
    }
    samples.add(new Sample(name + "_count", labelNames, values, cumulative[bounds.size()]));
    samples.add(new Sample(name + "_sum", labelNames, values, sum));
  }

  MetricFamilySamples toSamples() {
    return new MetricFamilySamples(name, unit, type, help, samples);
  }

  /** The family with no samples, for {@link Collector.Describable}. */
  MetricFamilySamples describe() {
    return new MetricFamilySamples(name, unit, type, help, List.of());
  }
}
