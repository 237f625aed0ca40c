package dev.neutrino.autoscaler.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.neutrino.autoscaler.ActuationException;
import dev.neutrino.autoscaler.ReplicaActuator;
import dev.neutrino.autoscaler.Replicas;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Sets the instance count of one model on one gateway through the repository API, as Triton's load
 * accepts a configuration override.
 *
 * <p>Reading: {@code GET /v2/models/{model}/config}, the sum of {@code instance_group[].count} (a group
 * without a count counts one; no groups, one instance). Applying:
 * {@code POST /v2/repository/models/{model}/load} with
 * {@code {"parameters":{"config":"{\"instance_group\":[{\"count\":N,\"kind\":K}]}"}}}: the override is
 * a JSON string, its kind the configured one, else the kind the model had at the last read, else
 * {@code KIND_AUTO}. Instances of a local gateway are all counted ready.
 *
 * <p>Zero is a model scaled to zero: applying 0 unloads it ({@code POST .../unload}), and a model that
 * is not ready reads as 0 unless the repository index shows it still loading (then the read fails and
 * the loop tries again). Applying a count above 0 loads it again.
 *
 * <p>Keeps the last kind read; used by one loop thread at a time.
 */
public final class LocalGatewayActuator implements ReplicaActuator {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final URI gateway;
  private final String model;
  private final String instanceKind;
  private final Duration timeout;
  private String lastKind;

  /**
   * @param instanceKind the kind to ask for, or null to keep the model's
   */
  public LocalGatewayActuator(HttpClient http, URI gateway, String model, String instanceKind, Duration timeout) {
    this.http = http;
    this.gateway = gateway;
    this.model = model;
    this.instanceKind = instanceKind;
    this.timeout = timeout;
  }

  @Override
  public Replicas read() throws ActuationException {
    HttpResponse<String> ready = send(HttpRequest.newBuilder(uri("/v2/models/" + segment(model) + "/ready"))
        .timeout(timeout).GET().build());
    if (ready.statusCode() != 200) {
      return unloadedOrLoading();
    }
    HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/v2/models/" + segment(model) + "/config"))
        .timeout(timeout).GET().build());
    if (response.statusCode() != 200) {
      throw new ActuationException("gateway " + gateway + ": reading the configuration of " + model
          + " answered HTTP " + response.statusCode() + errorOf(response.body()));
    }
    JsonNode config;
    try {
      config = JSON.readTree(response.body());
    } catch (IOException e) {
      throw new ActuationException("gateway " + gateway + ": the configuration of " + model + " is not JSON");
    }
    JsonNode groups = config.path("instance_group");
    if (!groups.isArray() || groups.isEmpty()) {
      return Replicas.allReady(1);
    }
    int count = 0;
    for (JsonNode group : groups) {
      count += group.path("count").asInt(1);
    }
    String kind = groups.get(0).path("kind").asText("");
    lastKind = kind.isEmpty() ? lastKind : kind;
    return Replicas.allReady(count);
  }

  /**
   * A model that is not ready: zero replicas when the repository index says it is not loading (scaled
   * to zero, unloaded, or failed); a load still under way is not a count to decide on.
   */
  private Replicas unloadedOrLoading() throws ActuationException {
    HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/v2/repository/index"))
        .timeout(timeout).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
    if (response.statusCode() != 200) {
      throw new ActuationException("gateway " + gateway + ": reading the repository index answered HTTP "
          + response.statusCode() + errorOf(response.body()));
    }
    JsonNode rows;
    try {
      rows = JSON.readTree(response.body());
    } catch (IOException e) {
      throw new ActuationException("gateway " + gateway + ": the repository index is not JSON");
    }
    boolean listed = false;
    for (JsonNode row : rows) {
      if (model.equals(row.path("name").asText())) {
        listed = true;
        if ("LOADING".equals(row.path("state").asText())) {
          throw new ActuationException("gateway " + gateway + ": " + model + " is still loading");
        }
      }
    }
    if (!listed) {
      throw new ActuationException("gateway " + gateway + ": " + model + " is not in the repository");
    }
    return Replicas.allReady(0);
  }

  @Override
  public void apply(int replicas) throws ActuationException {
    if (replicas == 0) {
      HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/v2/repository/models/" + segment(model)
              + "/unload"))
          .timeout(timeout).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
      if (response.statusCode() != 200) {
        throw new ActuationException("gateway " + gateway + ": unloading " + model + " (zero instances) answered HTTP "
            + response.statusCode() + errorOf(response.body()));
      }
      return;
    }
    String kind = instanceKind != null ? instanceKind : lastKind != null ? lastKind : "KIND_AUTO";
    ObjectNode override = JSON.createObjectNode();
    ArrayNode groups = override.putArray("instance_group");
    groups.addObject().put("count", replicas).put("kind", kind);
    ObjectNode body = JSON.createObjectNode();
    body.putObject("parameters").put("config", override.toString());
    HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/v2/repository/models/" + segment(model) + "/load"))
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
        .build());
    if (response.statusCode() != 200) {
      throw new ActuationException("gateway " + gateway + ": loading " + model + " with " + replicas
          + " instances answered HTTP " + response.statusCode() + errorOf(response.body()));
    }
  }

  @Override
  public String describe() {
    return "gateway " + gateway + " model " + model;
  }

  private URI uri(String path) {
    String base = gateway.toString();
    return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
  }

  private HttpResponse<String> send(HttpRequest request) throws ActuationException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new ActuationException("gateway " + gateway + " unreachable: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ActuationException("interrupted while calling gateway " + gateway);
    }
  }

  private static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String errorOf(String body) {
    try {
      String error = JSON.readTree(body).path("error").asText("");
      return error.isEmpty() ? "" : ": " + error;
    } catch (IOException e) {
      return "";
    }
  }
}
