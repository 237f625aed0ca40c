package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.admission.AdmissionSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The front door's settings: flags and file keys through GatewayConfig's one mapping. */
class AdmissionConfigTest {
  @Test
  void adaptiveByDefault() throws Exception {
    GatewayConfig config = GatewayConfig.fromArgs(new String[] {});
    assertEquals(AdmissionSettings.DEFAULTS, config.admission());
    assertEquals("adaptive", config.describe().get("admission"));
    assertEquals(128, config.describe().get("admission_limit_min"));
  }

  @Test
  void flagsAndFileKeysSetEveryField(@TempDir Path dir) throws Exception {
    assertEquals(new AdmissionSettings(AdmissionSettings.Mode.FIXED, 2, 5, 3.5), GatewayConfig.fromArgs(new String[] {
        "--admission", "fixed", "--admission-limit-min", "2", "--admission-limit-max=5",
        "--admission-latency-tolerance", "3.5"}).admission());
    Path file = dir.resolve("neutrino.yaml");
    Files.writeString(file, "admission: \"off\"\nadmission_limit_max: 300\n");
    GatewayConfig fromFile = GatewayConfig.fromArgs(new String[] {"--config", file.toString()});
    assertEquals(AdmissionSettings.Mode.OFF, fromFile.admission().mode());
    assertEquals(300, fromFile.admission().limitMax());
    assertEquals(AdmissionSettings.Mode.ADAPTIVE, GatewayConfig.fromArgs(new String[] {
        "--config", file.toString(), "--admission", "adaptive"}).admission().mode());
  }

  @Test
  void badValuesAreRefusedNamingTheSetting() {
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--admission", "maybe"})).getMessage()
        .contains("admission must be adaptive, fixed or off, got 'maybe'"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--admission-limit-min", "100", "--admission-limit-max", "10"}))
        .getMessage().contains("admission_limit_max (10) must be >= admission_limit_min (100)"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--admission-latency-tolerance", "0.5"})).getMessage()
        .contains("admission_latency_tolerance"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--admission-limit-max", "lots"})).getMessage()
        .contains("admission-limit-max"));
  }

  @Test
  void helpListsTheFlagsWithTheirDefaults() {
    java.io.StringWriter help = new java.io.StringWriter();
    GatewayConfig.commandLine().usage(new java.io.PrintWriter(help));
    String text = help.toString().replaceAll("\\s+", " ");
    assertTrue(text.contains("--admission=<admission>"), text);
    assertTrue(text.contains("--admission-limit-min=<min>"), text);
    assertTrue(text.contains("never goes below, and starts at (default 128)"), text);
    assertTrue(text.contains("or off: inference requests over their model's limit get 429 / RESOURCE_EXHAUSTED "
        + "before their body is read (default adaptive)"), text);
    assertTrue(text.contains("the gateway's cap over all models (default 1024)"), text);
  }
}
