package dev.neutrino.gateway;

import dev.neutrino.gateway.logging.LogSetup;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/** {@code neutrino serve}: starts a gateway and serves until the process is stopped. */
public final class Main {
  private static final System.Logger LOG = System.getLogger(Main.class.getName());

  private Main() {}

  public static void main(String[] args) throws Exception {
    CommandLine commandLine = GatewayConfig.commandLine();
    GatewayConfig config;
    try {
      CommandLine.ParseResult parsed = commandLine.parseArgs(args);
      if (CommandLine.printHelpIfRequested(parsed)) {
        return;
      }
      config = GatewayConfig.fromArgs(parsed);
    } catch (CommandLine.ParameterException | IllegalArgumentException e) {
      System.err.println("neutrino serve: " + e.getMessage());
      System.err.println("(./neutrino serve --help lists the flags)");
      System.exit(2);
      return;
    } catch (IOException e) {
      System.err.println("neutrino serve: cannot read the configuration file: " + e);
      System.exit(2);
      return;
    }
    // Process-wide, so here and not in Gateway: several gateways in one JVM (the tests) leave it alone.
    LogSetup logging = LogSetup.install(LogSetup.parseLevel(config.telemetry().logLevel()),
        config.telemetry().accessLog(), System.out);
    LOG.log(System.Logger.Level.INFO, "effective configuration: " + config.describe());
    Gateway gateway = Gateway.create(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        gateway.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "shutdown did not finish cleanly: " + e);
      }
      stopped.countDown();
    }, "neutrino-shutdown"));
    gateway.start().onComplete(result -> {
      if (result.failed()) {
        System.err.println("neutrino: " + result.cause().getMessage());
        System.exit(1);
      }
    });
    // The listening line comes as soon as the port is bound, before the models finish loading.
    gateway.listening().onSuccess(port -> {
      System.out.println("neutrino listening http=" + config.host() + ":" + port
          + " grpc=" + config.host() + ":" + gateway.grpcPort()
          + (gateway.metricsPort() >= 0 ? " metrics=" + config.host() + ":" + gateway.metricsPort() : ""));
      System.out.flush();
    });
    stopped.await();
    logging.level(); // the setup, and the loggers it configured, live as long as the process
  }
}
