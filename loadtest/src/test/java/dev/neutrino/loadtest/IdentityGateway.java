package dev.neutrino.loadtest;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real gateway on free ports serving one identity model of 1 x 16 FP32, for tests that drive it. */
final class IdentityGateway {
  private IdentityGateway() {
  }

  /**
   * Writes model {@code name} (version 1) into {@code repository} and starts a gateway over it.
   *
   * @param flags more flags of {@code ./neutrino serve}
   */
  static Gateway start(Path repository, String name, String... flags) throws Exception {
    Path version = Files.createDirectories(repository.resolve(name).resolve("1"));
    Files.write(version.resolve("model.onnx"), new OnnxModelBuilder(name)
        .input("INPUT0", DataType.FP32, -1, 16)
        .output("OUTPUT0", DataType.FP32, -1, 16)
        .node("Identity", List.of("INPUT0"), List.of("OUTPUT0"))
        .toByteArray());
    List<String> args = new java.util.ArrayList<>(List.of("--http-port", "0", "--grpc-port", "0",
        "--metrics-port", "0", "--model-repository", repository.toString()));
    args.addAll(List.of(flags));
    Gateway gateway = Gateway.create(GatewayConfig.fromArgs(args.toArray(String[]::new)));
    gateway.start().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    return gateway;
  }

  /**
   * What a gateway serving model {@code name} answers ({@link TransportFloor#capture}): over HTTP JSON
   * and binary, and over gRPC when {@code grpc}; the gateway is stopped before this returns.
   */
  static TransportFloor.Answers answers(Path repository, String name, boolean grpc) throws Exception {
    Gateway gateway = start(repository, name);
    try {
      return TransportFloor.capture(Endpoint.http("127.0.0.1", gateway.httpPort()),
          grpc ? Endpoint.grpc("127.0.0.1", gateway.grpcPort()) : null, name, Map.of());
    } finally {
      stop(gateway);
    }
  }

  static void stop(Gateway gateway) throws Exception {
    gateway.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
