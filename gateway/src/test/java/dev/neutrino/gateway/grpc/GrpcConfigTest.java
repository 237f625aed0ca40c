package dev.neutrino.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.GatewayConfig;
import org.junit.jupiter.api.Test;

/** The gRPC port and message limit in the process configuration: flags, YAML, defaults. */
class GrpcConfigTest {
  @Test
  void defaultsFollowTriton() {
    GatewayConfig config = GatewayConfig.defaults();
    assertEquals(8001, config.grpcPort());
    assertEquals(64L * 1024 * 1024, config.frontEndOptions().maxRequestBytes());
    assertEquals(8001, config.describe().get("grpc_port"));
  }

  @Test
  void flagSetsThePortAndZeroPicksAFreeOne() throws Exception {
    assertEquals(9001, GatewayConfig.fromArgs(new String[] {"--grpc-port", "9001"}).grpcPort());
    assertEquals(0, GatewayConfig.fromArgs(new String[] {"--grpc-port=0"}).grpcPort());
  }

  @Test
  void oneLimitBoundsHttpBodiesAndGrpcMessages() throws Exception {
    GatewayConfig config = GatewayConfig.fromArgs(new String[] {"--max-request-bytes", "1048576"});
    assertEquals(1048576, config.frontEndOptions().maxRequestBytes());
  }

  @Test
  void yamlKeySetsThePort() {
    assertEquals(7001, GatewayConfig.fromYaml("grpc_port: 7001\n", GatewayConfig.defaults()).grpcPort());
  }

  @Test
  void badPortsAreRefusedWithTheKeyNamed() throws Exception {
    IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--grpc-port", "70000"}));
    assertTrue(range.getMessage().contains("grpc_port"), range.getMessage());
    IllegalArgumentException clash = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--http-port", "9000", "--grpc-port", "9000"}));
    assertTrue(clash.getMessage().contains("grpc_port"), clash.getMessage());
    assertEquals(8001, GatewayConfig.fromArgs(new String[] {"--http-port", "8001", "--grpc-port", "9000"})
        .httpPort(), "flags are checked together, not one by one");
    IllegalArgumentException notNumber = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--grpc-port", "x"}));
    assertTrue(notNumber.getMessage().contains("--grpc-port"), notNumber.getMessage());
  }
}
