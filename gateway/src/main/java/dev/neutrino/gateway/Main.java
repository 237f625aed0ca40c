package dev.neutrino.gateway;

import dev.neutrino.gateway.logging.LogSetup;
import dev.neutrino.runtime.ComputePriority;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine;
import sun.misc.Signal;

/**
 * {@code neutrino serve}: starts a gateway and serves until the process is stopped. SIGTERM or SIGINT
 * drains it ({@link Drain}) and the process exits with the drain's code: 0 when every request was
 * answered, 1 when the exit timeout ran out first.
 */
public final class Main {
  private static final System.Logger LOG = System.getLogger(Main.class.getName());
  /** The signals that drain the gateway: what Kubernetes sends, and Ctrl-C. */
  static final String[] STOP_SIGNALS = {"TERM", "INT"};
  /** A first argument that makes the rest {@code tritonserver}'s command line ({@link TritonCommandLine}). */
  static final String TRITONSERVER = "tritonserver";

  private Main() {}

  public static void main(String[] args) throws Exception {
    System.exit(serve(args, Gateway::create));
  }

  /**
   * Serves the gateway {@code gateways} makes from the command line until a stop signal has drained
   * it (tests pass a gateway on a test backend).
   *
   * @return the process's exit code: 2 for a bad command line
   */
  static int serve(String[] args, Function<GatewayConfig, Gateway> gateways) throws Exception {
    CommandLine commandLine = GatewayConfig.commandLine();
    GatewayConfig config;
    if (args.length > 0 && args[0].equals(TRITONSERVER)) {
      // Triton's command line (neutrino tritonserver --model-repository=...), as serve's flags.
      try {
        args = TritonCommandLine.translate(java.util.Arrays.copyOfRange(args, 1, args.length)).toArray(String[]::new);
      } catch (IllegalArgumentException e) {
        System.err.println("neutrino tritonserver: " + e.getMessage());
        return 2;
      }
    }
    try {
      CommandLine.ParseResult parsed = commandLine.parseArgs(args);
      if (CommandLine.printHelpIfRequested(parsed)) {
        return 0;
      }
      config = GatewayConfig.fromArgs(parsed);
    } catch (CommandLine.ParameterException | IllegalArgumentException e) {
      System.err.println("neutrino serve: " + e.getMessage());
      System.err.println("(./neutrino serve --help lists the flags)");
      return 2;
    } catch (IOException e) {
      System.err.println("neutrino serve: cannot read the configuration file: " + e);
      return 2;
    }
    // Process-wide, so here and not in Gateway: several gateways in one JVM (the tests) leave it alone.
    LogSetup logging = LogSetup.install(LogSetup.parseLevel(config.telemetry().logLevel()),
        config.telemetry().accessLog(), System.out);
    LOG.log(System.Logger.Level.INFO, "effective configuration: " + config.describe());
    logComputePriority(config.repository().computeNice());
    Gateway gateway = gateways.apply(config);
    CompletableFuture<Integer> exitCode = new CompletableFuture<>();
    for (String name : STOP_SIGNALS) {
      // Handling the signal ourselves (instead of in a shutdown hook) keeps the JVM, its logging
      // included, fully alive while the drain runs, and lets the process choose its exit code.
      Signal.handle(new Signal(name), signal -> {
        LOG.log(System.Logger.Level.INFO, "received SIG" + signal.getName() + ": draining");
        gateway.drain().onComplete(drained -> exitCode.complete(
            drained.succeeded() ? drained.result().exitCode() : Drain.Outcome.TIMED_OUT));
      });
    }
    // Any other way out (System.exit elsewhere, SIGHUP) still releases the models and the ports.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        gateway.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "shutdown did not finish cleanly: " + e);
      }
    }, "neutrino-shutdown"));
    gateway.start().onComplete(result -> {
      if (result.failed()) {
        System.err.println("neutrino: " + result.cause().getMessage());
        exitCode.complete(1);
      }
    });
    // The listening line comes as soon as the port is bound, before the models finish loading.
    gateway.listening().onSuccess(port -> {
      System.out.println("neutrino listening http=" + config.host() + ":" + port
          + " grpc=" + config.host() + ":" + gateway.grpcPort()
          + (gateway.metricsPort() >= 0 ? " metrics=" + config.host() + ":" + gateway.metricsPort() : "")
          + " transport=" + gateway.transport() + " grpc_transport=" + gateway.grpcTransport());
      System.out.flush();
    });
    int code = exitCode.get();
    logging.level(); // the setup, and the loggers it configured, live as long as the process
    System.out.flush();
    return code;
  }

  /** Says once, at start, whether the model threads will run below the event loops' priority. */
  static void logComputePriority(int nice) throws Exception {
    if (nice == ComputePriority.UNCHANGED) {
      return;
    }
    ComputePriority.Result probe = ComputePriority.probe(nice);
    int eventLoops = ComputePriority.currentNice().orElse(0); // the event loops start at the process's value
    if (probe.lowered() && probe.nice() > eventLoops) {
      LOG.log(System.Logger.Level.INFO, "model threads run at nice " + probe.nice() + ", below the event loops' "
          + eventLoops + ": a saturated CPU serves the front door first (--compute-nice)");
    } else if (probe.lowered()) {
      LOG.log(System.Logger.Level.WARNING, "the whole process already runs at nice " + eventLoops
          + ": model threads cannot run below the event loops' priority; --compute-nice " + nice + " has no effect");
    } else {
      LOG.log(System.Logger.Level.WARNING, "model threads cannot run below the event loops' priority here ("
          + probe.reason() + "): --compute-nice " + nice + " has no effect");
    }
  }
}
