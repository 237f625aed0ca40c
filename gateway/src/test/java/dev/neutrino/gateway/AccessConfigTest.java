package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.security.ApiGroup;
import dev.neutrino.gateway.security.Restriction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The access-control flags and keys: repeatable, read from files, redacted in the start-up log. */
class AccessConfigTest {
  @Test
  void restrictedApiFlagsRepeatAndSecretsAreRedacted(@TempDir Path dir) throws Exception {
    Path key = dir.resolve("admin.key");
    Files.writeString(key, "file-secret\n");
    GatewayConfig config = GatewayConfig.fromArgs(new String[] {
        "--http-restricted-api", "inference,model-config:infer-key=inline-secret",
        "--http-restricted-api=model-repository:admin-key=@" + key,
        "--grpc-restricted-protocol", "model-repository:admin-key=@" + key,
        "--repository-allowed-origins", "https://a.example,https://b.example",
        "--repository-allowed-origins=https://c.example",
        "--metrics-restricted-api", "scrape=metrics-secret"});
    List<Restriction> http = config.access().httpRestrictions();
    assertEquals(2, http.size());
    assertEquals(EnumSet.of(ApiGroup.INFERENCE, ApiGroup.MODEL_CONFIG), http.get(0).groups());
    assertTrue(http.get(1).credential().value().matches("file-secret"));
    assertEquals(EnumSet.of(ApiGroup.MODEL_REPOSITORY), config.access().grpcRestrictions().get(0).groups());
    assertEquals(List.of("https://a.example", "https://b.example", "https://c.example"),
        config.access().repositoryAllowedOrigins());
    assertTrue(config.access().metricsCredential().value().matches("metrics-secret"));

    String logged = config.describe().toString();
    for (String secret : List.of("inline-secret", "file-secret", "metrics-secret")) {
      assertFalse(logged.contains(secret), logged);
    }
    assertTrue(logged.contains("inference,model-config:infer-key=<redacted>"), logged);
    assertTrue(logged.contains("model-repository:admin-key=@" + key), logged);
    assertTrue(logged.contains("scrape=<redacted>"), logged);
  }

  @Test
  void theFileTakesListsAndTheFlagsOverrideThem(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("neutrino.yaml");
    Files.writeString(file, "http_restricted_api: ['health:k=v', 'inference:k2=v2']\n"
        + "repository_allowed_origins: [https://a.example]\n");
    GatewayConfig fromFile = GatewayConfig.fromArgs(new String[] {"--config", file.toString()});
    assertEquals(2, fromFile.access().httpRestrictions().size());
    assertEquals(List.of("https://a.example"), fromFile.access().repositoryAllowedOrigins());
    GatewayConfig overridden = GatewayConfig.fromArgs(new String[] {"--config", file.toString(),
        "--http-restricted-api", "statistics:k=v"});
    assertEquals(EnumSet.of(ApiGroup.STATISTICS), overridden.access().httpRestrictions().get(0).groups());
    assertEquals(1, overridden.access().httpRestrictions().size());
  }

  @Test
  void aGroupNamedTwiceIsRefusedAtStart() {
    String message = assertThrows(IllegalArgumentException.class, () -> GatewayConfig.fromArgs(new String[] {
        "--http-restricted-api", "model-repository,health:k1=v1",
        "--http-restricted-api", "metadata,health:k2=v2"})).getMessage();
    assertTrue(message.contains("'health'"), message);
    String unknown = assertThrows(IllegalArgumentException.class, () -> GatewayConfig.fromArgs(new String[] {
        "--grpc-restricted-protocol", "everything:k=v"})).getMessage();
    assertTrue(unknown.contains("--grpc-restricted-protocol") && unknown.contains("'everything'"), unknown);
  }

  @Test
  void helpListsTheAccessFlags() {
    for (String flag : List.of("http-restricted-api", "grpc-restricted-protocol", "repository-allowed-origins",
        "metrics-restricted-api")) {
      assertTrue(GatewayConfig.FLAGS.containsKey(flag), flag);
    }
  }
}
