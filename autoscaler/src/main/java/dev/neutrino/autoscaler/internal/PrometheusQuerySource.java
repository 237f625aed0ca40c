package dev.neutrino.autoscaler.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.autoscaler.AutoscalerConfig;
import dev.neutrino.autoscaler.MetricSample;
import dev.neutrino.autoscaler.MetricSource;
import dev.neutrino.autoscaler.MetricsUnavailableException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/**
 * Reads a target's metrics from the Prometheus HTTP API: one instant query ({@code GET /api/v1/query})
 * per expression, evaluated at the server's current time. A vector result is summed over its series, a
 * scalar taken as is; an empty vector, NaN, an error status or a failed request means the value is
 * missing. A missing demand makes the whole reading fail (the autoscaler holds); a missing optional
 * value is NaN in the sample.
 */
public final class PrometheusQuerySource implements MetricSource {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final URI base;
  private final Duration timeout;
  private final AutoscalerConfig.Metrics.Prometheus queries;

  public PrometheusQuerySource(HttpClient http, AutoscalerConfig.PrometheusServer server,
      AutoscalerConfig.Metrics.Prometheus queries) {
    this.http = http;
    this.base = server.url();
    this.timeout = server.timeout();
    this.queries = queries;
  }

  @Override
  public MetricSample read(Instant now) throws MetricsUnavailableException {
    double demand = query(queries.demand());
    if (demand < 0 || Double.isInfinite(demand)) {
      throw new MetricsUnavailableException("demand query returned " + demand + ": " + queries.demand());
    }
    return new MetricSample(now, demand, optional(queries.queueDepth()), optional(queries.queueAge()),
        optional(queries.completionRate()));
  }

  @Override
  public String describe() {
    return "prometheus " + base + " demand=" + queries.demand();
  }

  private double optional(String expression) {
    if (expression.isBlank()) {
      return Double.NaN;
    }
    try {
      double v = query(expression);
      return v >= 0 && !Double.isInfinite(v) ? v : Double.NaN;
    } catch (MetricsUnavailableException e) {
      return Double.NaN;
    }
  }

  /** Evaluates one expression; its value, or an exception saying why there is none. */
  double query(String expression) throws MetricsUnavailableException {
    URI uri = base.resolve("/api/v1/query?query=" + URLEncoder.encode(expression, StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new MetricsUnavailableException("prometheus " + base + " unreachable: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MetricsUnavailableException("interrupted while querying prometheus");
    }
    JsonNode body;
    try {
      body = JSON.readTree(response.body());
    } catch (IOException e) {
      throw new MetricsUnavailableException("prometheus answered HTTP " + response.statusCode() + " with a body that is not JSON");
    }
    if (!"success".equals(body.path("status").asText())) {
      throw new MetricsUnavailableException("prometheus query failed (HTTP " + response.statusCode() + ", "
          + body.path("errorType").asText("?") + "): " + body.path("error").asText("") + " in " + expression);
    }
    JsonNode data = body.path("data");
    String type = data.path("resultType").asText();
    JsonNode result = data.path("result");
    double value;
    switch (type) {
      case "scalar" -> value = sampleValue(result);
      case "vector" -> {
        if (result.size() == 0) {
          throw new MetricsUnavailableException("no series for " + expression);
        }
        value = 0;
        for (JsonNode series : result) {
          value += sampleValue(series.path("value"));
        }
      }
      default -> throw new MetricsUnavailableException(
          "expected an instant vector or scalar, got " + type + " from " + expression);
    }
    if (Double.isNaN(value)) {
      throw new MetricsUnavailableException("NaN from " + expression);
    }
    return value;
  }

  private static double sampleValue(JsonNode pair) throws MetricsUnavailableException {
    if (!pair.isArray() || pair.size() != 2) {
      throw new MetricsUnavailableException("malformed sample in prometheus answer");
    }
    try {
      return PrometheusText.parseValue(pair.get(1).asText());
    } catch (NumberFormatException e) {
      throw new MetricsUnavailableException("malformed sample value " + pair.get(1));
    }
  }
}
