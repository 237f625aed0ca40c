package dev.neutrino.autoscaler.internal;

import dev.neutrino.autoscaler.MetricSample;
import dev.neutrino.autoscaler.MetricSource;
import dev.neutrino.autoscaler.MetricsUnavailableException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Reads a target's metrics straight from the gateways' {@code /metrics}, where no Prometheus runs.
 * Per gateway it reads the model's {@code neutrino_inflight_requests}, {@code neutrino_queue_depth},
 * {@code neutrino_queue_oldest_age_seconds} and {@code neutrino_requests_total}; demand is the in-flight
 * requests (queued ones are among them) summed over gateways, the queue age the maximum, and the answer rate the growth of the
 * summed request counter since the previous scrape (NaN on the first scrape and after a counter
 * reset). Every gateway must answer and at least one must report the model, or the reading fails:
 * a partial sum would look like a drop in demand.
 *
 * <p>Keeps the previous counter total between reads; used by one loop thread at a time.
 */
public final class ScrapeSource implements MetricSource {

  private final HttpClient http;
  private final List<URI> gateways;
  private final String model;
  private final Duration timeout;
  private Instant previousTime;
  private double previousTotal = Double.NaN;

  public ScrapeSource(HttpClient http, List<URI> gateways, String model, Duration timeout) {
    this.http = http;
    this.gateways = List.copyOf(gateways);
    this.model = model;
    this.timeout = timeout;
  }

  @Override
  public MetricSample read(Instant now) throws MetricsUnavailableException {
    double inflight = 0;
    double queued = 0;
    double age = 0;
    double total = 0;
    boolean seen = false;
    for (URI gateway : gateways) {
      List<PrometheusText.Sample> samples = scrape(gateway);
      for (PrometheusText.Sample s : samples) {
        if (!model.equals(s.labels().get("model")) || Double.isNaN(s.value())) {
          continue;
        }
        switch (s.name()) {
          case "neutrino_inflight_requests" -> {
            inflight += s.value();
            seen = true;
          }
          case "neutrino_queue_depth" -> queued += s.value();
          case "neutrino_queue_oldest_age_seconds" -> age = Math.max(age, s.value());
          case "neutrino_requests_total" -> total += s.value();
          default -> { }
        }
      }
    }
    if (!seen) {
      throw new MetricsUnavailableException("no gateway reports neutrino_inflight_requests{model=\"" + model + "\"}");
    }
    double rate = Double.NaN;
    if (previousTime != null && now.isAfter(previousTime) && total >= previousTotal) {
      rate = (total - previousTotal) / (Duration.between(previousTime, now).toNanos() / 1e9);
    }
    previousTime = now;
    previousTotal = total;
    return new MetricSample(now, Math.max(0, inflight), Math.max(0, queued), Math.max(0, age), rate);
  }

  @Override
  public String describe() {
    return "scrape " + gateways + " model=" + model;
  }

  private List<PrometheusText.Sample> scrape(URI gateway) throws MetricsUnavailableException {
    HttpRequest request = HttpRequest.newBuilder(gateway).timeout(timeout)
        .header("Accept", "text/plain; version=0.0.4").GET().build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new MetricsUnavailableException("gateway " + gateway + " answered HTTP " + response.statusCode());
      }
      return PrometheusText.parse(response.body());
    } catch (IOException e) {
      throw new MetricsUnavailableException("gateway " + gateway + " unreachable: " + e);
    } catch (IllegalArgumentException e) {
      throw new MetricsUnavailableException("gateway " + gateway + " metrics unreadable: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MetricsUnavailableException("interrupted while scraping " + gateway);
    }
  }
}
