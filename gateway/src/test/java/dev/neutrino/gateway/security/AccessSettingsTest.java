package dev.neutrino.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Triton's {@code <groups>:<key>=<value>} syntax, values from files, and what is refused. */
class AccessSettingsTest {
  private static final String FLAG = "--http-restricted-api";

  private static String refusal(String spec) {
    return assertThrows(IllegalArgumentException.class, () -> Restriction.parse(spec, FLAG)).getMessage();
  }

  @Test
  void parsesGroupsKeyAndValue() {
    Restriction r = Restriction.parse("model-repository, Statistics:Admin-Key=a=b:c", FLAG);
    assertEquals(EnumSet.of(ApiGroup.MODEL_REPOSITORY, ApiGroup.STATISTICS), r.groups());
    assertEquals("admin-key", r.credential().key());
    assertTrue(r.credential().value().matches("a=b:c"));
    assertFalse(r.credential().value().matches("a=b:C"));
    assertEquals("model-repository,statistics:admin-key=<redacted>", r.toString());
  }

  @Test
  void badSpecsAreRefusedByNameWithoutQuotingTheValue() {
    String unknown = refusal("models:k=topsecret");
    assertTrue(unknown.contains("'models'") && unknown.contains("model-repository") && unknown.contains(FLAG), unknown);
    assertTrue(refusal("metrics:k=v").contains("--metrics-restricted-api"));
    assertTrue(refusal("inference").contains("':'"));
    assertTrue(refusal("inference:topsecret").contains("'='"));
    assertTrue(refusal(":k=v").contains("no API group"));
    assertTrue(refusal("inference:=v").contains("no key"));
    assertTrue(refusal("inference:k=").contains("empty"));
    assertTrue(refusal("inference:k v=x").contains("header name"));
    assertTrue(refusal("health,health:k=v").contains("twice"));
    for (String message : List.of(unknown, refusal("inference:topsecret"))) {
      assertFalse(message.contains("topsecret"), message);
    }
  }

  @Test
  void eachGroupIsRestrictedOnceAcrossRepeats() {
    List<Restriction> twice = List.of(Restriction.parse("model-repository,health:k1=v1", FLAG),
        Restriction.parse("metadata,health:k2=v2", FLAG));
    String message = assertThrows(IllegalArgumentException.class,
        () -> new AccessSettings(twice, List.of(), List.of(), null)).getMessage();
    assertTrue(message.contains("'health'") && message.contains(FLAG), message);
    // The same group on HTTP and on gRPC is fine: they are separate flags.
    new AccessSettings(twice.subList(0, 1), twice.subList(1, 2), List.of(), null);
  }

  @Test
  void valueFromFileDropsTheLineEndingAndPrintsThePath(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("admin.key");
    Files.writeString(file, "from-a-file\n");
    Restriction r = Restriction.parse("model-repository:admin=@" + file, FLAG);
    assertTrue(r.credential().value().matches("from-a-file"));
    assertEquals(file, r.credential().value().file());
    assertEquals("model-repository:admin=@" + file, r.toString());

    Files.writeString(file, "two\nlines\n");
    assertTrue(refusal("model-repository:admin=@" + file).contains("one line"));
    Files.writeString(file, "\n");
    assertTrue(refusal("model-repository:admin=@" + file).contains("empty"));
    String missing = refusal("model-repository:admin=@" + dir.resolve("absent"));
    assertTrue(missing.contains("cannot read") && missing.contains("absent"), missing);
  }

  @Test
  void secretsNeverPrint() {
    Credential credential = Credential.parse("scrape=hunter2", "--metrics-restricted-api");
    AccessSettings settings = new AccessSettings(List.of(Restriction.parse("inference:k=hunter2", FLAG)),
        List.of(), List.of(" https://a.example ", ""), credential);
    assertFalse(settings.toString().contains("hunter2"), settings.toString());
    assertEquals(List.of("https://a.example"), settings.repositoryAllowedOrigins());
    assertNull(AccessSettings.DEFAULTS.metricsCredential());
  }
}
