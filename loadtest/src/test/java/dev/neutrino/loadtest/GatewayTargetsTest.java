package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The generator drives the gateway over every protocol it speaks, as {@code bench} does. */
@Timeout(120)
class GatewayTargetsTest {

  @Test
  void drivesTheGatewayOverHttpJsonHttpBinaryAndGrpc(@TempDir Path repository) throws Exception {
    Path version = Files.createDirectories(repository.resolve("identity").resolve("1"));
    Files.write(version.resolve("model.onnx"), new OnnxModelBuilder("identity")
        .input("INPUT0", DataType.FP32, -1, 16)
        .output("OUTPUT0", DataType.FP32, -1, 16)
        .node("Identity", List.of("INPUT0"), List.of("OUTPUT0"))
        .toByteArray());
    Gateway gateway = Gateway.create(GatewayConfig.fromArgs(new String[] {"--http-port", "0", "--grpc-port", "0",
        "--metrics-port", "0", "--model-repository", repository.toString()}));
    gateway.start().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
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
      gateway.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
