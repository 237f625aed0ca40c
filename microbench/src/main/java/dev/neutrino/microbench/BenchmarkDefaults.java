package dev.neutrino.microbench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Forks, warm-up and measurement shared by every JMH benchmark of Neutrino, which extend it: one fork,
 * three one-second warm-up iterations, five measured, average time in nanoseconds. Flags on the
 * command line ({@code -f}, {@code -wi}, {@code -i}, {@code -w}, {@code -r}) override them.
 *
 * <p>The benchmarks run from the microbench module's own jar (JMH's main class; no product jar holds
 * them), built by {@code ./neutrino build} (or {@code mvn -B -q package -DskipTests -pl microbench -am}):
 *
 * <pre>java -jar microbench/target/neutrino-microbench.jar [BENCHMARK-REGEX] [JMH FLAGS]</pre>
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public abstract class BenchmarkDefaults {
}
