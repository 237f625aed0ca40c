package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.neutrino.repo.ModelControlMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several repository folders served together, as Triton serves several {@code --model-repository}:
 * the models of each are served and indexed, and a name in two folders fails to load naming both.
 */
@Timeout(300)
class MultipleRepositoriesTest {
  private static final String IDENTITY_REQUEST =
      "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}]}";

  private static JsonNode row(JsonNode index, String name) {
    for (JsonNode row : index) {
      if (row.get("name").asText().equals(name)) {
        return row;
      }
    }
    throw new AssertionError("no index row for " + name + " in " + index);
  }

  private static void copyModel(Path onnx, Path repository, String name) throws Exception {
    Files.createDirectories(repository.resolve(name).resolve("1"));
    Files.copy(onnx, repository.resolve(name).resolve("1/model.onnx"));
  }

  @Test
  void twoFoldersAreServedAndIndexedAndANameInBothIsRefusedNamingBoth(@TempDir Path dir) throws Exception {
    Path first = TestGateways.exampleRepository(dir.resolve("first"));
    Path second = Files.createDirectories(dir.resolve("second"));
    Path identity = first.resolve("identity_fp32/1/model.onnx");
    copyModel(identity, second, "other");
    copyModel(identity, first, "dup");
    copyModel(identity, second, "dup");
    Gateway gateway = TestGateways.start(GatewayConfig.defaults().withHttpPort(0)
        .withModelRepositories(List.of(first, second))
        .withRepository(new GatewayConfig.RepositorySettings(ModelControlMode.EXPLICIT, 15, List.of("simple"), 0, 0)));
    try {
      TestClient client = TestGateways.client(gateway);
      JsonNode index = client.post("/v2/repository/index", "").json();
      assertEquals("READY", row(index, "simple").get("state").asText());
      assertEquals("UNAVAILABLE", row(index, "other").get("state").asText());
      assertEquals("UNAVAILABLE", row(index, "dup").get("state").asText());

      // Explicit mode loads from either folder.
      assertEquals(200, client.post("/v2/repository/models/other/load", "").status());
      assertEquals(200, client.post("/v2/models/other/infer", IDENTITY_REQUEST).status());
      assertEquals(200, client.post("/v2/repository/models/identity_fp32/load", "").status());
      assertEquals(3, client.post("/v2/repository/index", "{\"ready\":true}").json().size(),
          "simple, identity_fp32 (first folder) and other (second folder) are ready");

      String both = "model 'dup' is in more than one model repository: " + first.toRealPath() + " and "
          + second.toRealPath();
      TestClient.Reply refused = client.post("/v2/repository/models/dup/load", "");
      assertEquals(400, refused.status());
      assertTrue(refused.error().contains(both), refused.error());
      assertTrue(row(client.post("/v2/repository/index", "").json(), "dup").get("reason").asText().contains(both));

      // Once one folder no longer holds it, it loads from the other.
      try (Stream<Path> files = Files.walk(second.resolve("dup"))) {
        for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(file);
        }
      }
      assertEquals(200, client.post("/v2/repository/models/dup/load", "").status());
      assertEquals(200, client.post("/v2/models/dup/infer", IDENTITY_REQUEST).status());
    } finally {
      TestGateways.stop(gateway);
    }
  }
}
