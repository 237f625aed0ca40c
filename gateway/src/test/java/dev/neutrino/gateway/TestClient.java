package dev.neutrino.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;

/** A small independent client over the JDK's HttpClient, for end-to-end tests. */
final class TestClient {
  static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();
  private final String base;

  TestClient(String host, int port) {
    this.base = "http://" + host + ":" + port;
  }

  record Reply(int status, byte[] body, java.net.http.HttpHeaders headers) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + new String(body), e);
      }
    }

    String error() {
      return json().path("error").asText();
    }

    /** The JSON header of a binary response. */
    JsonNode header() {
      int length = Integer.parseInt(headers.firstValue("Inference-Header-Content-Length").orElseThrow());
      try {
        return JSON.readTree(Arrays.copyOf(body, length));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The bytes after the JSON header of a binary response. */
    byte[] binary() {
      int length = Integer.parseInt(headers.firstValue("Inference-Header-Content-Length").orElseThrow());
      return Arrays.copyOfRange(body, length, body.length);
    }
  }

  Reply get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET().build());
  }

  Reply post(String path, String json) {
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  /** Posts a binary-extension body: {@code header} JSON followed by {@code binary}. */
  Reply postBinary(String path, String header, byte[] binary) {
    byte[] head = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] body = new byte[head.length + binary.length];
    System.arraycopy(head, 0, body, 0, head.length);
    System.arraycopy(binary, 0, body, head.length, binary.length);
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/octet-stream")
        .header("Inference-Header-Content-Length", Integer.toString(head.length))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
  }

  Reply send(HttpRequest request) {
    try {
      HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(response.statusCode(), response.body(), response.headers());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
