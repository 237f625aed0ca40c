package dev.neutrino.loadtest.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each thread's measured CPU is split by that thread's own samples; the stages add up to the gateway's CPU. */
class StageAttributionTest {
  private static final long MS = 1_000_000;
  private static final long PERIOD = 2 * MS;
  private static final long EVENT_LOOP = 11;
  private static final long MODEL = 12;
  private static final long GENERATOR = 13;
  private static final long QUIET = 14;

  private static final List<Frame> DECODE = frames("dev.neutrino.gateway.http.HttpInferenceCodec.decode",
      "io.netty.channel.nio.NioEventLoop.run");
  private static final List<Frame> ENCODE = frames("dev.neutrino.gateway.http.HttpInferenceCodec.encode",
      "io.netty.channel.nio.NioEventLoop.run");
  private static final List<Frame> SEND = frames("sun.nio.ch.SocketDispatcher.write0",
      "io.netty.channel.nio.NioEventLoop.run");
  private static final List<Frame> COMPUTE = frames("ai.onnxruntime.OrtSession.run",
      "dev.neutrino.batching.DynamicBatcher.execute");
  private static final List<Frame> SPLIT = frames("dev.neutrino.batching.BatchAssembly.slices",
      "dev.neutrino.batching.DynamicBatcher.execute");

  private static List<Frame> frames(String... names) {
    return Arrays.stream(names).map(Frame::parse).toList();
  }

  private static void add(List<Sample> samples, long thread, boolean nativeCode, List<Frame> stack, int count) {
    for (int i = 0; i < count; i++) {
      samples.add(new Sample(thread, nativeCode, stack));
    }
  }

  @Test
  void splitsEachThreadsCpuByItsOwnSamples() {
    List<Sample> samples = new ArrayList<>();
    add(samples, EVENT_LOOP, false, DECODE, 5);
    add(samples, EVENT_LOOP, false, ENCODE, 5);
    add(samples, EVENT_LOOP, true, SEND, 2);
    add(samples, MODEL, false, SPLIT, 1);
    add(samples, MODEL, true, COMPUTE, 1);
    add(samples, GENERATOR, false, SEND, 10);
    Map<Long, Long> cpu = Map.of(EVENT_LOOP, 30 * MS, MODEL, 50 * MS, GENERATOR, 40 * MS, QUIET, 5 * MS);

    StageAttribution a = StageAttribution.of(samples, cpu, Map.of(EVENT_LOOP, 10 * MS),
        Map.of(Stage.GC, 3 * MS, Stage.JIT, 2 * MS), 132 * MS, PERIOD, id -> id == GENERATOR, StageTable.standard());

    // event loop: 20 ms of user time split 5:5 by its Java samples; its 10 ms in the kernel, all send
    assertEquals(10 * MS, a.nanos().get(Stage.DECODE));
    assertEquals(10 * MS, a.nanos().get(Stage.ENCODE));
    assertEquals(10 * MS, a.nanos().get(Stage.SEND));
    // model thread: one Java sample (2 ms) of split, the other 48 ms in ONNX Runtime, however rarely sampled
    assertEquals(2 * MS, a.nanos().get(Stage.SPLIT));
    assertEquals(48 * MS, a.nanos().get(Stage.COMPUTE));
    assertEquals(40 * MS, a.nanos().get(Stage.GENERATOR));
    assertEquals(5 * MS, a.nanos().get(Stage.OTHER), "a thread with CPU and no samples");
    assertEquals(3 * MS, a.nanos().get(Stage.GC));
    assertEquals(2 * MS, a.nanos().get(Stage.JIT));
    assertEquals(2 * MS, a.nanos().get(Stage.UNSAMPLED), "the process beyond its Java, GC and JIT threads");
    assertEquals(92 * MS, a.gatewayNanos(), "the process less the generator");
    long sum = a.nanos().entrySet().stream().filter(e -> e.getKey() != Stage.GENERATOR)
        .mapToLong(Map.Entry::getValue).sum();
    assertEquals(a.gatewayNanos(), sum);
    assertEquals(0, a.samples().get(Stage.GENERATOR), "the generator's samples are not the gateway's");
    assertEquals(5, a.samples().get(Stage.DECODE));
  }

  @Test
  void aThreadsUserTimeGoesByItsJavaSamplesHoweverFewAndItsKernelTimeByItsSystemCalls() {
    List<Sample> samples = new ArrayList<>();
    // An event loop that JFR sampled in Java only 4 times in 20 ms of user time (8 ms by the period).
    add(samples, EVENT_LOOP, false, DECODE, 1);
    add(samples, EVENT_LOOP, false, ENCODE, 3);
    add(samples, EVENT_LOOP, true, SEND, 2);
    // A model thread: its Java part is bounded by its samples, the rest of its user time is the model's.
    add(samples, MODEL, false, SPLIT, 1);
    add(samples, MODEL, true, COMPUTE, 1);
    // A thread seen only in Java: its kernel time goes by its Java samples too.
    add(samples, QUIET, false, DECODE, 1);
    Map<Long, Long> cpu = Map.of(EVENT_LOOP, 30 * MS, MODEL, 50 * MS, QUIET, 6 * MS);
    Map<Long, Long> kernel = Map.of(EVENT_LOOP, 10 * MS, MODEL, 4 * MS, QUIET, 2 * MS);

    StageAttribution a = StageAttribution.of(samples, cpu, kernel, Map.of(), 86 * MS, PERIOD, id -> false,
        StageTable.standard());

    assertEquals(5 * MS + 6 * MS, a.nanos().get(Stage.DECODE),
        "a quarter of the loop's 20 ms, and the quiet thread's 6");
    assertEquals(15 * MS, a.nanos().get(Stage.ENCODE));
    assertEquals(10 * MS, a.nanos().get(Stage.SEND), "the loop's kernel time, by its system-call samples");
    assertEquals(2 * MS, a.nanos().get(Stage.SPLIT), "one Java sample of the period");
    assertEquals(44 * MS + 4 * MS, a.nanos().get(Stage.COMPUTE),
        "the model's user time beyond it, and its kernel time, which has no other native samples to go by");
    assertEquals(86 * MS, a.gatewayNanos());
  }

  @Test
  void kernelTimeAboveTheThreadsCpuIsCappedByIt() {
    List<Sample> samples = new ArrayList<>();
    add(samples, EVENT_LOOP, false, DECODE, 1);
    add(samples, EVENT_LOOP, true, SEND, 1);
    StageAttribution a = StageAttribution.of(samples, Map.of(EVENT_LOOP, 4 * MS), Map.of(EVENT_LOOP, 5 * MS), Map.of(),
        4 * MS, PERIOD, id -> false, StageTable.standard());
    assertEquals(0, a.nanos().get(Stage.DECODE));
    assertEquals(4 * MS, a.nanos().get(Stage.SEND));
  }

  @Test
  void javaSamplesBeyondTheThreadsCpuShareItInProportion() {
    List<Sample> samples = new ArrayList<>();
    add(samples, EVENT_LOOP, false, DECODE, 30); // 60 ms of samples for a thread that was often preempted
    add(samples, EVENT_LOOP, false, ENCODE, 10);
    StageAttribution a = StageAttribution.of(samples, Map.of(EVENT_LOOP, 8 * MS), Map.of(), Map.of(), 8 * MS, PERIOD,
        id -> false, StageTable.standard());
    assertEquals(6 * MS, a.nanos().get(Stage.DECODE));
    assertEquals(2 * MS, a.nanos().get(Stage.ENCODE));
    assertEquals(0, a.nanos().get(Stage.UNSAMPLED));
  }

  @Test
  void aThreadWithoutNativeSamplesSpreadsItsKernelTimeByItsJavaSamples() {
    List<Sample> samples = new ArrayList<>();
    add(samples, EVENT_LOOP, false, DECODE, 3);
    add(samples, EVENT_LOOP, false, ENCODE, 1);
    StageAttribution a = StageAttribution.of(samples, Map.of(EVENT_LOOP, 16 * MS), Map.of(EVENT_LOOP, 4 * MS),
        Map.of(), 16 * MS, PERIOD, id -> false, StageTable.standard());
    assertEquals(12 * MS, a.nanos().get(Stage.DECODE));
    assertEquals(4 * MS, a.nanos().get(Stage.ENCODE));
  }

  @Test
  void aGeneratorStackOnAnotherThreadMovesItsShareToTheGenerator() {
    List<Sample> samples = new ArrayList<>();
    add(samples, QUIET, false, frames("dev.neutrino.loadtest.LoadGenerator.run", "java.lang.Thread.run"), 1);
    add(samples, QUIET, false, DECODE, 1);
    StageAttribution a = StageAttribution.of(samples, Map.of(QUIET, 4 * MS), Map.of(), Map.of(), 4 * MS, PERIOD,
        id -> false, StageTable.standard());
    assertEquals(2 * MS, a.nanos().get(Stage.GENERATOR));
    assertEquals(2 * MS, a.nanos().get(Stage.DECODE));
    assertEquals(2 * MS, a.gatewayNanos());
  }

  @Test
  void collapsedStacksStartWithTheStageThenRunFromTheRoot() {
    List<Sample> samples = new ArrayList<>();
    add(samples, EVENT_LOOP, false, DECODE, 3);
    add(samples, EVENT_LOOP, true, SEND, 1);
    add(samples, GENERATOR, true, SEND, 4);
    StageAttribution a = StageAttribution.of(samples, Map.of(), Map.of(), Map.of(), 0, PERIOD, id -> id == GENERATOR,
        StageTable.standard());
    assertEquals(Map.of(
        "decode;io.netty.channel.nio.NioEventLoop.run;dev.neutrino.gateway.http.HttpInferenceCodec.decode", 3L,
        "send;io.netty.channel.nio.NioEventLoop.run;sun.nio.ch.SocketDispatcher.write0", 1L), a.collapsed());
    assertTrue(a.nanos().values().stream().allMatch(v -> v == 0), "no CPU measured, none attributed");
  }

  @Test
  void waitingSamplesWeighNothingAndStayOutOfTheStacks() {
    List<Sample> samples = new ArrayList<>();
    add(samples, EVENT_LOOP, false, DECODE, 2);
    add(samples, EVENT_LOOP, true, frames("sun.nio.ch.EPoll.wait", "sun.nio.ch.EPollSelectorImpl.doSelect",
        "io.netty.channel.nio.NioEventLoop.run"), 50);
    add(samples, EVENT_LOOP, true, SEND, 1);
    StageAttribution a = StageAttribution.of(samples, Map.of(EVENT_LOOP, 10 * MS), Map.of(EVENT_LOOP, 6 * MS),
        Map.of(), 10 * MS, PERIOD, id -> false, StageTable.standard());
    assertEquals(4 * MS, a.nanos().get(Stage.DECODE));
    assertEquals(6 * MS, a.nanos().get(Stage.SEND), "the native time goes by the working native samples only");
    assertEquals(0, a.nanos().get(Stage.RECEIVE));
    assertEquals(0, a.samples().get(Stage.RECEIVE));
    assertEquals(2, a.collapsed().size());
  }

  @Test
  void rejectsJvmThreadsOtherThanGcAndJit() {
    assertThrows(IllegalArgumentException.class, () -> StageAttribution.of(List.of(), Map.of(), Map.of(),
        Map.of(Stage.DECODE, 1L), 1, PERIOD, id -> false, StageTable.standard()));
  }

  @Test
  void rejectsAPeriodOfZero() {
    assertThrows(IllegalArgumentException.class,
        () -> StageAttribution.of(List.of(), Map.of(), Map.of(), Map.of(), 0, 0, id -> false, StageTable.standard()));
  }
}
