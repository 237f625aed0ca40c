package dev.neutrino.loadtest;

import java.io.PrintStream;
import java.util.Arrays;
import dev.neutrino.gateway.GatewayConfig;
import picocli.AutoComplete;
import picocli.CommandLine;

/**
 * The load tester's entry point: {@code loadtest} (load on any Open Inference Protocol server) and
 * {@code bench} (the side-by-side scenarios of BENCHMARKS.md).
 */
public final class Main {
  static {
    // The naive baseline is the JDK's HTTP server, configured as a competent user would: without
    // TCP_NODELAY it stalls on delayed acknowledgements. The JDK reads this once, when its server
    // classes load, so it is set before anything else runs.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private Main() {}

  /**
   * The command line of one of the load tester's commands, whose fields are its flags: a flag given
   * twice keeps its last value, a repeatable one ({@code --shape}) collects every value.
   */
  static CommandLine commandLine(Object command) {
    return new CommandLine(command).setOverwrittenOptionsAllowed(true);
  }

  /** Prints the help or the version to {@code out} when the command line asked for it. */
  static boolean printedHelp(CommandLine commandLine, CommandLine.ParseResult parsed, PrintStream out) {
    if (parsed.isUsageHelpRequested()) {
      commandLine.usage(out, CommandLine.Help.Ansi.OFF);
      return true;
    }
    if (parsed.isVersionHelpRequested()) {
      commandLine.printVersionHelp(out, CommandLine.Help.Ansi.OFF);
      return true;
    }
    return false;
  }

  /**
   * A bash completion script for {@code ./neutrino serve}, {@code loadtest} and {@code bench}, from
   * their command lines ({@code source <(./neutrino completion)}).
   */
  static String completion() {
    CommandLine neutrino = new CommandLine(CommandLine.Model.CommandSpec.create().name("neutrino"))
        .addSubcommand("serve", GatewayConfig.commandLine())
        .addSubcommand("loadtest", commandLine(new LoadtestCommand()))
        .addSubcommand("bench", commandLine(new BenchCommand()));
    return AutoComplete.bash("neutrino", neutrino);
  }

  /** The version {@code --version} prints: the jar's, or a development build's. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"neutrino-loadtest " + (version != null ? version : "(development build)")};
    }
  }

  public static void main(String[] args) {
    String command = args.length == 0 ? "" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    int status = switch (command) {
      case "loadtest" -> LoadtestCommand.run(rest, System.out, System.err);
      case "bench" -> BenchCommand.run(rest, System.out, System.err);
      case "completion" -> {
        System.out.print(completion());
        yield 0;
      }
      case "-h", "--help", "help" -> {
        System.out.println("usage: neutrino-loadtest loadtest|bench [flags]  (--help after either lists its flags)");
        yield 0;
      }
      default -> {
        System.err.println("usage: neutrino-loadtest loadtest|bench [flags]");
        yield 2;
      }
    };
    System.out.flush();
    System.exit(status);
  }
}
