package dev.neutrino.gateway;

import dev.neutrino.repo.examples.ExampleModels;
import dev.neutrino.runtime.Backend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Starts and stops real gateways on 127.0.0.1 with free ports. Public for the tests of the front-end
 * packages ({@code dev.neutrino.gateway.grpc}).
 */
public final class TestGateways {
  private TestGateways() {}

  public static Gateway start(Path repository) {
    GatewayConfig config = GatewayConfig.defaults().withHttpPort(0).withModelRepository(repository);
    return start(config);
  }

  public static Gateway start(GatewayConfig config) {
    return await(Gateway.create(freePorts(config)).start().toCompletionStage().toCompletableFuture());
  }

  /** A gateway running its models on a test backend. */
  public static Gateway start(GatewayConfig config, Backend backend) {
    return await(Gateway.create(freePorts(config), backend).start().toCompletionStage().toCompletableFuture());
  }

  /**
   * Tests bind no fixed port: a configuration left at a default port gets a free one, so that
   * gateways of several tests (and a gateway serving on this machine) never collide.
   */
  public static GatewayConfig freePorts(GatewayConfig config) {
    GatewayConfig free = config.httpPort() == GatewayConfig.DEFAULT_HTTP_PORT ? config.withHttpPort(0) : config;
    free = free.grpcPort() == GatewayConfig.DEFAULT_GRPC_PORT ? free.withGrpcPort(0) : free;
    GatewayConfig.TelemetrySettings telemetry = free.telemetry();
    return telemetry.metricsPort() == GatewayConfig.TelemetrySettings.DEFAULT_METRICS_PORT
        ? free.withTelemetry(new GatewayConfig.TelemetrySettings(0, telemetry.tritonCompatibleMetrics(),
            telemetry.logLevel(), telemetry.accessLog()))
        : free;
  }

  public static void stop(Gateway gateway) {
    if (gateway != null) {
      await(gateway.stop().toCompletionStage().toCompletableFuture());
    }
  }

  public static Path exampleRepository(Path dir) {
    try {
      ExampleModels.writeRepository(dir);
      return dir;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static <T> T await(java.util.concurrent.CompletableFuture<T> future) {
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
