package dev.neutrino.loadtest;

import java.util.Arrays;

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

  public static void main(String[] args) {
    String command = args.length == 0 ? "" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    int status = switch (command) {
      case "loadtest" -> LoadtestCommand.run(rest, System.out, System.err);
      case "bench" -> BenchCommand.run(rest, System.out, System.err);
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
