package dev.neutrino.loadtest.profile;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongPredicate;

/**
 * Splits the CPU time measured over a window into {@link Stage stages}, thread by thread.
 *
 * <p>Design note. Samples alone cannot be summed across threads: JFR samples at most a few threads
 * running Java and a single thread in native code per period, so a model-instance thread inside ONNX
 * Runtime is sampled far less often than the time it burns. So each Java thread's CPU time (measured,
 * exact) is divided by that thread's own samples:
 * <ul>
 *   <li>the part the kernel spent for the thread (system calls, as the OS accounts them) goes to the
 *       stages of its native samples outside ONNX Runtime (socket reads and writes), else of its other
 *       native samples, else of its Java samples;
 *   <li>its user-mode part goes to the stages of its Java samples, except that a thread with samples in
 *       ONNX Runtime gives those the user time beyond (Java samples x period): under load JFR records far
 *       fewer samples than one per period per busy thread (a few hundred in a 3 s window where the
 *       periods number thousands), so the sample count only bounds the Java part where native user code
 *       (the model) competes for the time;
 *   <li>a thread with CPU time and no samples goes to {@link Stage#OTHER}.
 * </ul>
 * Native samples of a thread waiting (a readiness wait, a sleep: {@link StageTable#waiting}) say
 * where it idles, not where it works: they weigh nothing and stay out of the collapsed stacks.
 * Threads of the generator (known by id) count as {@link Stage#GENERATOR} whole; a sample of another
 * thread whose stack shows the generator moves its share there too. The garbage collector's and the
 * JIT compilers' threads, which are not Java threads, are measured from the OS ({@link VmThreads}); what
 * the process used beyond all of these (the recorder, native threads, threads that ended) is
 * {@link Stage#UNSAMPLED}. The gateway's CPU is the process's minus the generator's, and the stages
 * add up to it exactly.
 *
 * <p>A pure function of its inputs.
 *
 * @param nanos CPU nanoseconds by stage, every stage present
 * @param samples gateway samples by stage (the generator's are left out)
 * @param collapsed the gateway's samples as collapsed stacks: {@code stage;outermost;...;innermost}
 *     to the number of samples
 */
public record StageAttribution(Map<Stage, Long> nanos, Map<Stage, Long> samples, Map<String, Long> collapsed) {
  public StageAttribution {
    nanos = Collections.unmodifiableMap(new EnumMap<>(nanos));
    samples = Collections.unmodifiableMap(new EnumMap<>(samples));
    collapsed = Collections.unmodifiableMap(new TreeMap<>(collapsed));
  }

  /**
   * @param samples the window's samples
   * @param threadCpuNanos each Java thread's CPU time over the window, by thread id
   * @param threadKernelNanos the part of it the kernel spent for the thread, by thread id (a thread
   *     missing here spent none)
   * @param vmCpuNanos the CPU time of the JVM's threads that are not Java threads, over the window, as
   *     {@link Stage#GC} and {@link Stage#JIT}
   * @param processCpuNanos the process's CPU time over the window
   * @param periodNanos the sampling period
   * @param generator which thread ids belong to the load generator
   */
  public static StageAttribution of(List<Sample> samples, Map<Long, Long> threadCpuNanos,
      Map<Long, Long> threadKernelNanos, Map<Stage, Long> vmCpuNanos, long processCpuNanos, long periodNanos,
      LongPredicate generator, StageTable table) {
    if (periodNanos <= 0) {
      throw new IllegalArgumentException("the sampling period must be above 0, got " + periodNanos + " ns");
    }
    Map<Long, long[][]> byThread = new HashMap<>(); // thread -> {java counts by stage, native counts by stage}
    Map<Stage, Long> sampleCounts = zeros();
    Map<String, Long> collapsed = new HashMap<>();
    for (Sample sample : samples) {
      if (sample.nativeCode() && table.waiting(sample.frames())) {
        continue;
      }
      Stage stage = generator.test(sample.threadId()) ? Stage.GENERATOR : table.classify(sample.frames());
      long[][] counts = byThread.computeIfAbsent(sample.threadId(), id -> new long[2][Stage.values().length]);
      counts[sample.nativeCode() ? 1 : 0][stage.ordinal()]++;
      if (stage != Stage.GENERATOR) {
        sampleCounts.merge(stage, 1L, Long::sum);
        collapsed.merge(collapse(stage, sample.frames()), 1L, Long::sum);
      }
    }
    Map<Stage, Long> nanos = zeros();
    long javaThreads = 0;
    for (Map.Entry<Long, Long> thread : threadCpuNanos.entrySet()) {
      long cpu = thread.getValue();
      javaThreads += cpu;
      if (generator.test(thread.getKey())) {
        nanos.merge(Stage.GENERATOR, cpu, Long::sum);
        continue;
      }
      long[][] counts = byThread.get(thread.getKey());
      if (counts == null) {
        nanos.merge(Stage.OTHER, cpu, Long::sum);
        continue;
      }
      long javaSamples = sum(counts[0]);
      long kernelPart = Math.min(cpu, Math.max(0, threadKernelNanos.getOrDefault(thread.getKey(), 0L)));
      long user = cpu - kernelPart;
      // The thread's native samples apart: in the model (ONNX Runtime's user-mode code), and in system calls.
      long[] inModel = new long[counts[1].length];
      long[] systemCalls = counts[1].clone();
      inModel[Stage.COMPUTE.ordinal()] = systemCalls[Stage.COMPUTE.ordinal()];
      systemCalls[Stage.COMPUTE.ordinal()] = 0;
      if (javaSamples > 0 && sum(inModel) > 0) {
        long javaPart = Math.min(user, javaSamples * periodNanos);
        spread(nanos, javaPart, counts[0]);
        spread(nanos, user - javaPart, inModel);
      } else {
        spread(nanos, user, javaSamples > 0 ? counts[0] : counts[1]);
      }
      spread(nanos, kernelPart, sum(systemCalls) > 0 ? systemCalls : sum(counts[1]) > 0 ? counts[1] : counts[0]);
    }
    long accounted = javaThreads;
    for (Map.Entry<Stage, Long> vm : vmCpuNanos.entrySet()) {
      if (vm.getKey() != Stage.GC && vm.getKey() != Stage.JIT) {
        throw new IllegalArgumentException("the JVM's own threads are gc or jit, got " + vm.getKey().label());
      }
      nanos.merge(vm.getKey(), vm.getValue(), Long::sum);
      accounted += vm.getValue();
    }
    nanos.merge(Stage.UNSAMPLED, Math.max(0, processCpuNanos - accounted), Long::sum);
    return new StageAttribution(nanos, sampleCounts, collapsed);
  }

  /** The gateway's CPU nanoseconds: every stage but the generator. */
  public long gatewayNanos() {
    long total = 0;
    for (Map.Entry<Stage, Long> e : nanos.entrySet()) {
      if (e.getKey().gateway()) {
        total += e.getValue();
      }
    }
    return total;
  }

  /** A sample's line in collapsed-stack form, without its count: the stage, then the frames from the root. */
  static String collapse(Stage stage, List<Frame> frames) {
    List<Frame> rootFirst = new ArrayList<>(frames);
    Collections.reverse(rootFirst);
    StringBuilder line = new StringBuilder(stage.label());
    for (Frame frame : rootFirst) {
      line.append(';').append(frame.toString().replace(';', ':').replace(' ', '_'));
    }
    return line.toString();
  }

  /** Adds {@code amount} to the stages in proportion to {@code weights} (by ordinal); rounding goes to the largest. */
  private static void spread(Map<Stage, Long> nanos, long amount, long[] weights) {
    long total = sum(weights);
    if (amount <= 0) {
      return;
    }
    if (total == 0) {
      nanos.merge(Stage.OTHER, amount, Long::sum);
      return;
    }
    long given = 0;
    int largest = 0;
    for (int i = 0; i < weights.length; i++) {
      if (weights[i] == 0) {
        continue;
      }
      long share = (long) ((double) amount * weights[i] / total);
      nanos.merge(Stage.values()[i], share, Long::sum);
      given += share;
      if (weights[i] > weights[largest]) {
        largest = i;
      }
    }
    nanos.merge(Stage.values()[largest], amount - given, Long::sum);
  }

  private static long sum(long[] values) {
    long total = 0;
    for (long v : values) {
      total += v;
    }
    return total;
  }

  private static Map<Stage, Long> zeros() {
    Map<Stage, Long> map = new EnumMap<>(Stage.class);
    for (Stage stage : Stage.values()) {
      map.put(stage, 0L);
    }
    return map;
  }
}
