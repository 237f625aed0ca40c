package dev.neutrino.gateway.metrics;

import io.prometheus.client.Collector;
import java.util.List;

/**
 * A collector of a fixed list of families, described up front and filled afresh on every scrape by
 * {@link #fill}.
 */
abstract class FamilyCollector extends Collector implements Collector.Describable {
  private final List<Family> families;

  FamilyCollector(List<Family> families) {
    this.families = List.copyOf(families);
  }

  /** Adds this scrape's samples to the families of {@code scrape}. */
  abstract void fill(Scrape scrape);

  @Override
  public final List<MetricFamilySamples> describe() {
    return Scrape.describe(families);
  }

  @Override
  public final List<MetricFamilySamples> collect() {
    Scrape scrape = new Scrape(families);
    fill(scrape);
    return scrape.samples();
  }
}
