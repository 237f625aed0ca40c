package dev.neutrino.autoscaler.sim;

import dev.neutrino.autoscaler.internal.Flags;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code autoscale generate-trace}: writes a seeded synthetic trace. */
public final class GenerateTraceCommand {

  public static final String USAGE = """
      usage: ./neutrino autoscale generate-trace --shape bursty|diurnal|step --out FILE [FLAGS]

        --seed N          the seed (default 1); the same flags and seed give the same trace
        --duration D      the trace's length (default 1h)
        --base R          requests/s at rest (default 100)
        --peak R          requests/s at the top (default 1000)
      """;

  private static final Set<String> FLAGS = Set.of("shape", "out", "seed", "duration", "base", "peak");

  private GenerateTraceCommand() {}

  public static int run(List<String> args, PrintStream out) throws IOException {
    Flags f = Flags.parse(args, FLAGS, Set.of());
    TraceGenerator.Shape shape = TraceGenerator.Shape.parse(f.required("shape"));
    Path file = Path.of(f.required("out"));
    long seed = f.longValue("seed", 1);
    Duration duration = f.duration("duration", Duration.ofHours(1));
    Trace trace = TraceGenerator.generate(shape, seed, (int) duration.toSeconds(),
        f.number("base", 100), f.number("peak", 1000));
    trace.write(file);
    double sum = 0;
    for (double r : trace.ratePerSecond()) {
      sum += r;
    }
    out.println(String.format(Locale.ROOT, "wrote %s: %s trace, seed %d, %ds, mean %.0f/s, peak %.0f/s",
        file, shape.name().toLowerCase(Locale.ROOT), seed, trace.seconds(), sum / trace.seconds(), trace.peak()));
    return 0;
  }
}
