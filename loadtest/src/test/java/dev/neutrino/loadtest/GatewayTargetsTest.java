package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.neutrino.gateway.Gateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The generator drives the gateway over every protocol it speaks, as {@code bench} does. */
@Timeout(120)
class GatewayTargetsTest {

  @Test
  void drivesTheGatewayOverHttpJsonHttpBinaryAndGrpc(@TempDir Path repository) throws Exception {
    Gateway gateway = IdentityGateway.start(repository, "identity");
    try {
      Map<Protocol, Endpoint> endpoints = Map.of(
          Protocol.HTTP_JSON, Endpoint.http("127.0.0.1", gateway.httpPort()),
          Protocol.HTTP_BINARY, Endpoint.http("127.0.0.1", gateway.httpPort()),
          Protocol.GRPC, Endpoint.grpc("127.0.0.1", gateway.grpcPort()));
      for (Map.Entry<Protocol, Endpoint> target : endpoints.entrySet()) {
        CpuMeter meter = new CpuMeter();
        try (InferenceClient client = InferenceClients.connect(target.getValue(),
            ClientSettings.of("identity", target.getKey(), 4), meter)) {
          LevelResult result = new LoadGenerator(client, meter)
              .run(LoadSpec.closed(4, Duration.ZERO, Duration.ofSeconds(30)).withMaxRequests(100));
          assertEquals(100, result.ok(), target.getKey() + ": " + result.errors());
        }
      }
    } finally {
      IdentityGateway.stop(gateway);
    }
  }
}
