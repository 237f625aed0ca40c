package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.repo.examples.ExampleModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The overload scenario's second gateway: the example model with a latency target set. */
@Timeout(120)
class LatencyTargetConfigTest {

  @Test
  void theRewrittenExampleConfigIsServedWithItsTarget(@TempDir Path repository) throws Exception {
    ExampleModels.writeRepository(repository);
    Path config = repository.resolve("recommender_mlp").resolve("config.yaml");
    String once = Bench.withTargetLatency(Files.readString(config), 80_000);
    Files.writeString(config, Bench.withTargetLatency(once, 50_000)); // a second rewrite replaces the first

    Gateway gateway = Gateway.create(GatewayConfig.fromArgs(new String[] {"--http-port", "0", "--grpc-port", "0",
        "--metrics-port", "0", "--model-repository", repository.toString()}));
    gateway.start().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    try {
      HttpResponse<String> reply = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + gateway.httpPort() + "/v2/models/recommender_mlp/config")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, reply.statusCode(), reply.body());
      JsonNode config = new ObjectMapper().readTree(reply.body());
      JsonNode batching = config.get("dynamic_batching");
      // Triton's JSON form has no field for the target: it travels as a model parameter.
      assertEquals("50000", config.at("/parameters/target_latency_microseconds/string_value").asText());
      assertEquals(3, batching.get("preferred_batch_size").size(), "the rest of the section is kept");
    } finally {
      gateway.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aConfigWithoutDynamicBatchingIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Bench.withTargetLatency("max_batch_size: 8\n", 1000));
    assertEquals("the model's configuration has no dynamic_batching section", e.getMessage());
  }
}
