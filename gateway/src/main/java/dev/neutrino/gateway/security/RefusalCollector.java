package dev.neutrino.gateway.security;

import io.prometheus.client.Collector;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code neutrino_access_refused_total{protocol, group}}: requests refused by access control, read
 * from the front ends' {@link AccessControl}s at scrape time. Labels are bounded: three protocols
 * ({@code http}, {@code grpc}, {@code metrics}) and the {@link ApiGroup}s; a series appears with its
 * first refusal.
 */
public final class RefusalCollector extends Collector implements Collector.Describable {
  static final String NAME = "neutrino_access_refused";
  private static final String HELP =
      "Requests refused by access control (missing or wrong key, non-loopback or browser-origin repository calls).";
  private static final List<String> LABELS = List.of("protocol", "group");

  private final List<AccessControl> controls;

  public RefusalCollector(List<AccessControl> controls) {
    this.controls = List.copyOf(controls);
  }

  @Override
  public List<MetricFamilySamples> collect() {
    List<MetricFamilySamples.Sample> samples = new ArrayList<>();
    for (AccessControl control : controls) {
      for (ApiGroup group : ApiGroup.values()) {
        long refused = control.refusals(group);
        if (refused > 0) {
          samples.add(new MetricFamilySamples.Sample(NAME + "_total", LABELS,
              List.of(control.protocol(), group.label()), refused));
        }
      }
    }
    return List.of(new MetricFamilySamples(NAME, "", Type.COUNTER, HELP, samples));
  }

  @Override
  public List<MetricFamilySamples> describe() {
    return List.of(new MetricFamilySamples(NAME, "", Type.COUNTER, HELP, List.of()));
  }
}
