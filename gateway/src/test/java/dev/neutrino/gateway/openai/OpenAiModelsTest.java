package dev.neutrino.gateway.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.security.AccessSettings;
import dev.neutrino.gateway.security.Restriction;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/models} and the OpenAI error shape, as raw JSON through the JDK's HttpClient against a
 * real gateway serving the example models.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenAiModelsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  Gateway gateway;

  @BeforeAll
  void start(@TempDir Path dir) {
    gateway = TestGateways.start(TestGateways.exampleRepository(dir.resolve("repo")));
  }

  @AfterAll
  void stop() {
    TestGateways.stop(gateway);
  }

  record Reply(int status, JsonNode json) {}

  static Reply send(HttpClient client, Gateway gateway, String method, String path, String body,
      String... headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(
        URI.create("http://" + gateway.host() + ":" + gateway.httpPort() + path)).timeout(Duration.ofSeconds(60))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    try {
      HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(response.statusCode(), JSON.readTree(response.body()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private Reply send(String method, String path) {
    return send(client, gateway, method, path, null);
  }

  /** Asserts OpenAI's error shape: every field present, the type the status calls for. */
  static JsonNode assertOpenAiError(Reply reply, int status, String type) {
    assertEquals(status, reply.status(), reply.json().toString());
    JsonNode error = reply.json().get("error");
    assertTrue(error != null && error.isObject(), reply.json().toString());
    assertTrue(error.get("message").isTextual() && !error.get("message").asText().isEmpty(), error.toString());
    assertEquals(type, error.get("type").asText(), error.toString());
    assertTrue(error.has("param") && error.has("code"), error.toString());
    return error;
  }

  @Test
  void listsOnlyModelsThatServeATask() {
    Reply reply = send("GET", "/v1/models");
    assertEquals(200, reply.status());
    assertEquals("list", reply.json().get("object").asText());
    List<String> ids = new ArrayList<>();
    for (JsonNode model : reply.json().get("data")) {
      assertEquals("model", model.get("object").asText());
      assertEquals("neutrino", model.get("owned_by").asText());
      assertTrue(model.get("created").asLong() > 0, model.toString());
      ids.add(model.get("id").asText());
    }
    assertEquals(List.of("text_encoder", "tiny_lm"), ids, "simple, identity_fp32 and recommender_mlp serve no text task");
  }

  @Test
  void retrievesOneModel() {
    Reply reply = send("GET", "/v1/models/text_encoder");
    assertEquals(200, reply.status());
    assertEquals("text_encoder", reply.json().get("id").asText());
    assertEquals("model", reply.json().get("object").asText());
  }

  @Test
  void unknownModelsAnswer404ModelNotFound() {
    for (String path : List.of("/v1/models/no_such_model", "/v1/models/simple")) {
      JsonNode error = assertOpenAiError(send("GET", path), 404, "not_found_error");
      assertEquals("model_not_found", error.get("code").asText(), path);
    }
  }

  @Test
  void unknownEndpointsAndMethodsAnswerInOpenAiShape() {
    assertOpenAiError(send("GET", "/v1/nothing/here"), 404, "not_found_error");
    assertOpenAiError(send("GET", "/v1"), 404, "not_found_error");
    assertOpenAiError(send("DELETE", "/v1/models"), 405, "invalid_request_error");
  }

  @Test
  void theInferenceRestrictionGuardsV1(@TempDir Path dir) {
    Gateway guarded = TestGateways.start(GatewayConfig.defaults()
        .withModelRepository(TestGateways.exampleRepository(dir.resolve("repo")))
        .withAccess(new AccessSettings(
            List.of(Restriction.parse("inference:api-key=s3cret", "--http-restricted-api")),
            List.of(), List.of(), null)));
    try {
      assertOpenAiError(send(client, guarded, "GET", "/v1/models", null), 401, "authentication_error");
      assertOpenAiError(send(client, guarded, "GET", "/v1/models", null, "api-key", "wrong"), 403,
          "permission_error");
      assertEquals(200, send(client, guarded, "GET", "/v1/models", null, "api-key", "s3cret").status());
      assertEquals(200, send(client, guarded, "GET", "/v2/models/simple", null).status(), "metadata is open");
    } finally {
      TestGateways.stop(guarded);
    }
  }
}
