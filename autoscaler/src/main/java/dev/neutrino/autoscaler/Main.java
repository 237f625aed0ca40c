package dev.neutrino.autoscaler;

import dev.neutrino.autoscaler.internal.Autoscaler;
import dev.neutrino.autoscaler.internal.Flags;
import dev.neutrino.autoscaler.replay.ReplayCommand;
import dev.neutrino.autoscaler.sim.CompareCommand;
import dev.neutrino.autoscaler.sim.GenerateTraceCommand;
import dev.neutrino.autoscaler.sim.SimulateCommand;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./neutrino autoscale}: runs the autoscaler, or the simulator ({@code simulate}), or the trace
 * generator ({@code generate-trace}), or the comparison table ({@code compare}), or a replay against a real
 * gateway ({@code replay}). Its fields are the autoscaler's own flags.
 */
@Command(name = "neutrino autoscale", mixinStandardHelpOptions = true, versionProvider = Flags.Version.class,
    sortOptions = false, usageHelpWidth = 110,
    description = "Sets replica counts from the gateways' metrics (--config FILE), or simulates policies on a "
        + "trace (simulate --help), or writes a synthetic trace (generate-trace --help), or compares policies on "
        + "several generated traces in one table (compare --help), or replays a trace against a real local gateway beside its "
        + "simulation (replay --help).")
public final class Main {

  @Option(names = "--config", paramLabel = "<file>",
      description = "targets, metric sources, policies (YAML; see autoscaler/README.md); required to run")
  Path config;

  @Option(names = "--dry-run", description = "decide and log, but change nothing")
  boolean dryRun;

  @Option(names = "--once", description = "decide every target once, then exit")
  boolean once;

  private Main() {}

  /** The command line: the autoscaler's flags, and the two subcommands with theirs. */
  static CommandLine commandLine() {
    return Flags.commandLine(new Main())
        .addSubcommand("simulate", Flags.commandLine(new SimulateCommand()))
        .addSubcommand("generate-trace", Flags.commandLine(new GenerateTraceCommand()))
        .addSubcommand("compare", Flags.commandLine(new CompareCommand()))
        .addSubcommand("replay", Flags.commandLine(new ReplayCommand()));
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %5$s%6$s%n");
    int status;
    try {
      CommandLine.ParseResult parsed = commandLine().parseArgs(args);
      if (Flags.printedHelp(parsed, System.out)) {
        status = 0;
      } else if (parsed.hasSubcommand()) {
        Object command = parsed.subcommand().commandSpec().userObject();
        status = command instanceof SimulateCommand simulate ? simulate.run(System.out)
            : command instanceof CompareCommand compare ? compare.run(System.out)
            : command instanceof ReplayCommand replay ? replay.run(System.out)
            : ((GenerateTraceCommand) command).run(System.out);
      } else {
        status = ((Main) parsed.commandSpec().userObject()).run();
      }
    } catch (CommandLine.ParameterException | IllegalArgumentException e) {
      System.err.println("neutrino autoscale: " + e.getMessage());
      System.err.println("(./neutrino autoscale --help lists the flags)");
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

  private int run() throws Exception {
    if (config == null) {
      throw new IllegalArgumentException("--config is required");
    }
    AutoscalerConfig config = AutoscalerConfig.load(this.config);
    Logger log = Logger.getLogger("dev.neutrino.autoscaler");
    log.info("configuration: " + config);
    Autoscaler autoscaler = Autoscaler.create(config, InstantSource.system(), dryRun);
    log.info("autoscaler metrics on http://" + config.metricsHost() + ":" + autoscaler.metricsPort() + "/metrics");
    if (once) {
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
