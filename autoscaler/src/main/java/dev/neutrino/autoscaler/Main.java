package dev.neutrino.autoscaler;

import dev.neutrino.autoscaler.internal.Autoscaler;
import dev.neutrino.autoscaler.internal.Flags;
import dev.neutrino.autoscaler.sim.GenerateTraceCommand;
import dev.neutrino.autoscaler.sim.SimulateCommand;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;

/**
 * {@code ./neutrino autoscale}: runs the autoscaler, or the simulator ({@code simulate}), or the trace
 * generator ({@code generate-trace}).
 */
public final class Main {

  static final String USAGE = """
      usage: ./neutrino autoscale --config FILE [--dry-run] [--once]
             ./neutrino autoscale simulate --trace FILE [--policy kpa,hpa,slo] [FLAGS]   (simulate --help)
             ./neutrino autoscale generate-trace --shape bursty|diurnal|step --out FILE [FLAGS]

        --config FILE   targets, metric sources, policies (YAML; see autoscaler/README.md)
        --dry-run       decide and log, but change nothing
        --once          decide every target once, then exit
      """;

  private Main() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %5$s%6$s%n");
    List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
    String command = args.length == 0 ? "" : args[0];
    int status;
    try {
      status = switch (command) {
        case "simulate" -> rest.contains("--help") ? help(SimulateCommand.USAGE) : SimulateCommand.run(rest, System.out);
        case "generate-trace" ->
            rest.contains("--help") ? help(GenerateTraceCommand.USAGE) : GenerateTraceCommand.run(rest, System.out);
        case "-h", "--help", "help" -> help(USAGE);
        default -> run(Arrays.asList(args));
      };
    } catch (IllegalArgumentException e) {
      System.err.println("neutrino autoscale: " + e.getMessage());
      status = 2;
    } catch (java.nio.file.NoSuchFileException e) {
      System.err.println("neutrino autoscale: no such file: " + e.getFile());
      status = 2;
    } catch (java.io.IOException e) {
      System.err.println("neutrino autoscale: " + e);
      status = 1;
    }
    if (status != 0) {
      System.exit(status);
    }
  }

  private static int help(String text) {
    System.out.print(text);
    return 0;
  }

  private static int run(List<String> args) throws Exception {
    Flags f = Flags.parse(args, Set.of("config"), Set.of("dry-run", "once"));
    AutoscalerConfig config = AutoscalerConfig.load(Path.of(f.required("config")));
    Logger log = Logger.getLogger("dev.neutrino.autoscaler");
    log.info("configuration: " + config);
    Autoscaler autoscaler = Autoscaler.create(config, InstantSource.system(), f.has("dry-run"));
    log.info("autoscaler metrics on http://" + config.metricsHost() + ":" + autoscaler.metricsPort() + "/metrics");
    if (f.has("once")) {
      try (autoscaler) {
        autoscaler.runOnce();
      }
      return 0;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("stopping");
      autoscaler.close();
      stopped.countDown();
    }, "autoscaler-shutdown"));
    autoscaler.start(config);
    stopped.await();
    return 0;
  }
}
