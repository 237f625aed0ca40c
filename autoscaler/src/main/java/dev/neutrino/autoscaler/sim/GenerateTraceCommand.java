package dev.neutrino.autoscaler.sim;

import dev.neutrino.autoscaler.internal.Flags;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code autoscale generate-trace}: writes a seeded synthetic trace. Its fields are its flags. */
@Command(name = "generate-trace", mixinStandardHelpOptions = true, versionProvider = Flags.Version.class,
    sortOptions = false, description = "Writes a seeded synthetic request-rate trace (CSV) for the simulator.")
public final class GenerateTraceCommand {
  @Option(names = "--shape", paramLabel = "<shape>", required = true,
      description = "bursty | diurnal | step (required)")
  TraceGenerator.Shape shape;

  @Option(names = "--out", paramLabel = "<file>", required = true, description = "the trace to write (required)")
  Path out;

  @Option(names = "--seed", paramLabel = "<n>", defaultValue = "1",
      description = "the seed (default ${DEFAULT-VALUE}); the same flags and seed give the same trace")
  long seed;

  @Option(names = "--duration", paramLabel = "<duration>", defaultValue = "1h", converter = Flags.DurationValue.class,
      description = "the trace's length (default ${DEFAULT-VALUE})")
  Duration duration;

  @Option(names = "--base", paramLabel = "<rate>", defaultValue = "100",
      description = "requests/s at rest (default ${DEFAULT-VALUE})")
  double base;

  @Option(names = "--peak", paramLabel = "<rate>", defaultValue = "1000",
      description = "requests/s at the top (default ${DEFAULT-VALUE})")
  double peak;

  /** Writes the trace; returns the exit status. */
  public int run(PrintStream stdout) throws IOException {
    Trace trace = TraceGenerator.generate(shape, seed, (int) duration.toSeconds(), base, peak);
    trace.write(out);
    double sum = 0;
    for (double r : trace.ratePerSecond()) {
      sum += r;
    }
    stdout.println(String.format(Locale.ROOT, "wrote %s: %s trace, seed %d, %ds, mean %.0f/s, peak %.0f/s",
        out, shape.name().toLowerCase(Locale.ROOT), seed, trace.seconds(), sum / trace.seconds(), trace.peak()));
    return 0;
  }
}
