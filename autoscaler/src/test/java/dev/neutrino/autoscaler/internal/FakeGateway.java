package dev.neutrino.autoscaler.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the gateway's HTTP surface that the autoscaler uses, on loopback, until the real
 * gateway exports these metrics and accepts configuration overrides (issues 6 and 7):
 *
 * <ul>
 *   <li>{@code GET /metrics}: the gateway's metric names in the Prometheus text format, with values the
 *       test sets (or HTTP 500 while "down");
 *   <li>{@code GET /v2/models/{m}/ready}: 200 for a known model;
 *   <li>{@code GET /v2/models/{m}/config}: Triton's model configuration with the model's instance count;
 *   <li>{@code POST /v2/repository/models/{m}/load}: records the body, applies the instance count of
 *       the configuration override, or fails with HTTP 503 as often as the test asks.
 * </ul>
 */
final class FakeGateway implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private record Values(double inflight, double queued, double oldestAge, double requestsTotal) {}

  private final HttpServer server;
  private final Map<String, Values> metrics = new ConcurrentHashMap<>();
  private final Map<String, Integer> instances = new ConcurrentHashMap<>();
  private final List<String> loads = new CopyOnWriteArrayList<>();
  private final AtomicInteger failingLoads = new AtomicInteger();
  private volatile boolean metricsDown;

  private FakeGateway(HttpServer server) {
    this.server = server;
  }

  static FakeGateway start() throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    FakeGateway g = new FakeGateway(server);
    server.createContext("/metrics", g::metrics);
    server.createContext("/v2/models/", g::config);
    server.createContext("/v2/repository/models/", g::load);
    server.start();
    return g;
  }

  void set(String model, double inflight, double queued, double oldestAge, double requestsTotal) {
    metrics.put(model, new Values(inflight, queued, oldestAge, requestsTotal));
    instances.putIfAbsent(model, 1);
  }

  void instances(String model, int count) {
    instances.put(model, count);
  }

  int instances(String model) {
    return instances.getOrDefault(model, 0);
  }

  List<String> loads() {
    return List.copyOf(loads);
  }

  void failNextLoads(int n) {
    failingLoads.set(n);
  }

  void metricsDown(boolean down) {
    metricsDown = down;
  }

  String hostPort() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  URI base() {
    return URI.create("http://" + hostPort());
  }

  URI metricsUri() {
    return URI.create("http://" + hostPort() + "/metrics");
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void metrics(HttpExchange ex) throws IOException {
    if (metricsDown) {
      respond(ex, 500, "text/plain", "down\n");
      return;
    }
    StringBuilder sb = new StringBuilder();
    family(sb, "neutrino_inflight_requests", "gauge", "Requests accepted, not yet answered.");
    metrics.forEach((m, v) -> sample(sb, "neutrino_inflight_requests", "model=\"" + m + "\"", v.inflight()));
    family(sb, "neutrino_queue_depth", "gauge", "Requests queued.");
    metrics.forEach((m, v) -> sample(sb, "neutrino_queue_depth", "model=\"" + m + "\"", v.queued()));
    family(sb, "neutrino_queue_oldest_age_seconds", "gauge", "Age of the oldest queued request.");
    metrics.forEach((m, v) -> sample(sb, "neutrino_queue_oldest_age_seconds", "model=\"" + m + "\"", v.oldestAge()));
    family(sb, "neutrino_requests_total", "counter", "Requests answered.");
    metrics.forEach((m, v) -> sample(sb, "neutrino_requests_total",
        "model=\"" + m + "\",version=\"1\",protocol=\"http\",code=\"200\"", v.requestsTotal()));
    family(sb, "neutrino_model_instances", "gauge", "Model instances.");
    instances.forEach((m, n) -> sample(sb, "neutrino_model_instances", "model=\"" + m + "\",device=\"cpu\"", n));
    respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", sb.toString());
  }

  private static void family(StringBuilder sb, String name, String type, String help) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void sample(StringBuilder sb, String name, String labels, double value) {
    sb.append(name).append('{').append(labels).append("} ").append(String.format(Locale.ROOT, "%s", value)).append('\n');
  }

  /** {@code GET /v2/models/{m}/config}. */
  private void config(HttpExchange ex) throws IOException {
    String[] parts = ex.getRequestURI().getPath().split("/");
    if (parts.length == 5 && "ready".equals(parts[4]) && instances.containsKey(parts[3])) {
      respond(ex, 200, "application/json", "");
      return;
    }
    if (parts.length != 5 || !"config".equals(parts[4]) || !instances.containsKey(parts[3])) {
      respond(ex, 404, "application/json", "{\"error\":\"unknown model\"}");
      return;
    }
    String m = parts[3];
    respond(ex, 200, "application/json", "{\"name\":\"" + m + "\",\"max_batch_size\":8,\"instance_group\":"
        + "[{\"name\":\"" + m + "_0\",\"count\":" + instances.get(m) + ",\"kind\":\"KIND_CPU\"}]}");
  }

  /** {@code POST /v2/repository/models/{m}/load}. */
  private void load(HttpExchange ex) throws IOException {
    String[] parts = ex.getRequestURI().getPath().split("/");
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    if (!"POST".equals(ex.getRequestMethod()) || parts.length != 6 || !"load".equals(parts[5])) {
      respond(ex, 404, "application/json", "{\"error\":\"not found\"}");
      return;
    }
    loads.add(body);
    if (failingLoads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      respond(ex, 503, "application/json", "{\"error\":\"repository busy\"}");
      return;
    }
    JsonNode override = JSON.readTree(JSON.readTree(body).path("parameters").path("config").asText());
    instances.put(parts[4], override.path("instance_group").path(0).path("count").asInt());
    respond(ex, 200, "application/json", "{}");
  }

  private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }
}
