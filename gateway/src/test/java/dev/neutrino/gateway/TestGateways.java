package dev.neutrino.gateway;

import dev.neutrino.repo.examples.ExampleModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Starts and stops real gateways on 127.0.0.1 with free ports. */
final class TestGateways {
  private TestGateways() {}

  static Gateway start(Path repository) {
    GatewayConfig config = GatewayConfig.defaults().withHttpPort(0).withModelRepository(repository);
    return start(config);
  }

  static Gateway start(GatewayConfig config) {
    return await(Gateway.create(config).start().toCompletionStage().toCompletableFuture());
  }

  static void stop(Gateway gateway) {
    if (gateway != null) {
      await(gateway.stop().toCompletionStage().toCompletableFuture());
    }
  }

  static Path exampleRepository(Path dir) {
    try {
      ExampleModels.writeRepository(dir);
      return dir;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static <T> T await(java.util.concurrent.CompletableFuture<T> future) {
    try {
      return future.get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static TestClient client(Gateway gateway) {
    return new TestClient(gateway.host(), gateway.httpPort());
  }
}
