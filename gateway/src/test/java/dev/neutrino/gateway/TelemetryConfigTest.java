package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The metrics and logging settings: defaults, flags, the configuration file, and what is refused. */
class TelemetryConfigTest {

  private static GatewayConfig.TelemetrySettings parse(String... args) throws IOException {
    return GatewayConfig.fromArgs(args).telemetry();
  }

  @Test
  void defaultsFollowTriton() throws IOException {
    GatewayConfig.TelemetrySettings defaults = parse();
    assertEquals(8002, defaults.metricsPort());
    assertFalse(defaults.tritonCompatibleMetrics());
    assertEquals("info", defaults.logLevel());
    assertFalse(defaults.accessLog());
    assertTrue(defaults.metricsEnabled());
  }

  @Test
  void readsTheFlags() throws IOException {
    GatewayConfig.TelemetrySettings t = parse("--metrics-port", "0", "--triton-compatible-metrics", "--log-level",
        "debug", "--access-log");
    assertEquals(0, t.metricsPort());
    assertTrue(t.tritonCompatibleMetrics());
    assertEquals("debug", t.logLevel());
    assertTrue(t.accessLog());
    assertFalse(parse("--access-log=false").accessLog());
    assertTrue(parse("--access-log", "true", "--metrics-port", "9100").accessLog());
    assertFalse(parse("--metrics-port", "-1").metricsEnabled(), "-1 turns metrics off");
  }

  @Test
  void readsTheConfigurationFile() {
    GatewayConfig config = GatewayConfig.fromYaml(
        "metrics_port: 9102\ntriton_compatible_metrics: true\nlog_level: warn\naccess_log: true\n",
        GatewayConfig.defaults());
    assertEquals(new GatewayConfig.TelemetrySettings(9102, true, "warn", true), config.telemetry());
    assertEquals(9102, config.describe().get("metrics_port"));
  }

  @Test
  void refusesWhatCannotWork() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--metrics-port", "70000"))
        .getMessage().contains("metrics_port"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--metrics-port", "-2"))
        .getMessage().contains("-2"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--log-level", "loud"))
        .getMessage().contains("loud"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--access-log", "maybe"))
        .getMessage().contains("maybe"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> parse("--triton-compatible-metrics", "--metrics-port", "-1")).getMessage().contains("metrics"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--metrics-port", "8000"))
        .getMessage().contains("8000"), "the metrics port cannot be the HTTP port");
  }
}
