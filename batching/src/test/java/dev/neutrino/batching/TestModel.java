package dev.neutrino.batching;

import dev.neutrino.runtime.ComputePriority;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToLongFunction;

/**
 * A test backend standing in for ONNX Runtime. {@link #floats} doubles an FP32 input ({@code y = 2x},
 * plus {@code rows}: the batch's row count in every row); {@link #strings} appends "!" to each element
 * of a BYTES input. It records what it ran, can hold runs at a gate (all of them, or only those
 * holding a marker value), fails runs holding a failure marker, and can advance a {@link FakeTicker}
 * by a cost per batch. Thread-safe, so one object may serve as several instances.
 */
final class TestModel implements LoadedModel {
  private final List<TensorSpec> inputs;
  private final List<TensorSpec> outputs;
  private final boolean strings;

  /** Rows of each batch, in the order runs started. */
  final List<Integer> batchRows = Collections.synchronizedList(new ArrayList<>());
  /** The first value of every row the model saw (floats), or every element (strings), in run order. */
  final List<Object> seen = Collections.synchronizedList(new ArrayList<>());
  /** The threads runs happened on. */
  final Set<String> threads = Collections.synchronizedSet(new java.util.TreeSet<>());
  /** The nice value of the thread of every run (-1 where it cannot be read: not Linux). */
  final List<Integer> nices = Collections.synchronizedList(new ArrayList<>());
  /** For each run, in the order runs started, whether it was {@link #runWide}. */
  final List<Boolean> wide = Collections.synchronizedList(new ArrayList<>());
  /** Released once when each run starts. */
  final Semaphore started = new Semaphore(0);
  /** Released once when each run ends (before the batcher completes its requests). */
  final Semaphore finished = new Semaphore(0);

  private volatile CountDownLatch gate;
  private volatile CountDownLatch held = new CountDownLatch(1);
  private volatile float holdMarker = Float.NaN;
  private volatile float failMarker = Float.NaN;
  private volatile FakeTicker clock;
  private volatile IntToLongFunction costNanos;
  private volatile boolean wideSession;

  private TestModel(List<TensorSpec> inputs, List<TensorSpec> outputs, boolean strings) {
    this.inputs = inputs;
    this.outputs = outputs;
    this.strings = strings;
  }

  /** Input {@code x} FP32 [-1, width] (-1: any width); outputs {@code y} = 2x and {@code rows}. */
  static TestModel floats(long width) {
    return new TestModel(
        List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, width})),
        List.of(new TensorSpec("y", DataType.FP32, new long[] {-1, width}),
            new TensorSpec("rows", DataType.INT32, new long[] {-1, 1})),
        false);
  }

  /** Input {@code s} BYTES [-1, 2]; output {@code t}: each element with "!" appended. */
  static TestModel strings() {
    return new TestModel(
        List.of(new TensorSpec("s", DataType.BYTES, new long[] {-1, 2})),
        List.of(new TensorSpec("t", DataType.BYTES, new long[] {-1, 2})),
        true);
  }

  /** From now on runs wait at a gate until {@link #open()}. */
  TestModel hold() {
    holdMarker = Float.NaN;
    held = new CountDownLatch(1);
    gate = new CountDownLatch(1);
    return this;
  }

  /** From now on only runs holding {@code marker} wait at a gate until {@link #open()}. */
  TestModel holdRunsWith(float marker) {
    held = new CountDownLatch(1);
    gate = new CountDownLatch(1);
    holdMarker = marker;
    return this;
  }

  /** Waits until a run is held at the gate set by the last {@link #hold} or {@link #holdRunsWith}. */
  void awaitHeld() throws InterruptedException {
    if (!held.await(10, TimeUnit.SECONDS)) {
      throw new AssertionError("no run was held");
    }
  }

  /** Lets held runs go, and later runs run freely. */
  void open() {
    CountDownLatch g = gate;
    gate = null;
    if (g != null) {
      g.countDown();
    }
  }

  /** Says it has a wide session ({@link LoadedModel#hasWideSession()}). */
  TestModel withWideSession() {
    wideSession = true;
    return this;
  }

  /** Runs holding {@code marker} throw. */
  TestModel failRunsWith(float marker) {
    failMarker = marker;
    return this;
  }

  /** Each run advances {@code clock} by {@code cost.applyAsLong(rows)}. */
  TestModel costing(FakeTicker clock, IntToLongFunction cost) {
    this.costNanos = cost;
    this.clock = clock;
    return this;
  }

  /** Waits for {@code count} more runs to start. */
  void awaitStarted(int count) throws InterruptedException {
    if (!started.tryAcquire(count, 10, TimeUnit.SECONDS)) {
      throw new AssertionError("runs did not start");
    }
  }

  /** Waits for {@code count} more runs to end. */
  void awaitFinished(int count) throws InterruptedException {
    if (!finished.tryAcquire(count, 10, TimeUnit.SECONDS)) {
      throw new AssertionError("runs did not finish");
    }
  }

  @Override
  public List<TensorSpec> inputs() {
    return inputs;
  }

  @Override
  public List<TensorSpec> outputs() {
    return outputs;
  }

  @Override
  public String device() {
    return "cpu";
  }

  @Override
  public boolean hasWideSession() {
    return wideSession;
  }

  @Override
  public Map<String, Tensor> runWide(Map<String, Tensor> in, Set<String> wanted) {
    return run(in, wanted, true);
  }

  @Override
  public Map<String, Tensor> run(Map<String, Tensor> in, Set<String> wanted) {
    return run(in, wanted, false);
  }

  private Map<String, Tensor> run(Map<String, Tensor> in, Set<String> wanted, boolean onWide) {
    Tensor input = in.get(strings ? "s" : "x");
    int rows = (int) input.dim(0);
    wide.add(onWide);
    batchRows.add(rows);
    threads.add(Thread.currentThread().getName());
    nices.add(ComputePriority.currentNice().orElse(-1));
    List<Object> values = new ArrayList<>();
    if (strings) {
      input.toByteElements().forEach(e -> values.add(new String(e, StandardCharsets.UTF_8)));
    } else {
      float[] x = input.toFloatArray();
      int width = x.length / rows;
      for (int row = 0; row < rows; row++) {
        values.add(width == 0 ? Float.NaN : x[row * width]);
      }
    }
    seen.addAll(values);
    started.release();
    try {
      CountDownLatch g = gate;
      if (g != null && (Float.isNaN(holdMarker) || values.contains(holdMarker))) {
        held.countDown();
        try {
          if (!g.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("test gate never opened");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
      if (values.contains(failMarker)) {
        throw new IllegalStateException("boom: this batch fails");
      }
      FakeTicker c = clock;
      if (c != null) {
        c.advance(costNanos.applyAsLong(rows));
      }
      return strings ? echoStrings(input, wanted) : doubled(input, rows, wanted);
    } finally {
      finished.release();
    }
  }

  private static Map<String, Tensor> doubled(Tensor input, int rows, Set<String> wanted) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    if (wanted.contains("y")) {
      float[] x = input.toFloatArray();
      ByteBuffer y = Tensor.allocate(4L * x.length);
      FloatBuffer floats = y.asFloatBuffer();
      for (float v : x) {
        floats.put(2 * v);
      }
      out.put("y", Tensor.of(DataType.FP32, input.shape(), y));
    }
    if (wanted.contains("rows")) {
      int[] counts = new int[rows];
      java.util.Arrays.fill(counts, rows);
      out.put("rows", Tensor.ofInts(new long[] {rows, 1}, counts));
    }
    return out;
  }

  private static Map<String, Tensor> echoStrings(Tensor input, Set<String> wanted) {
    List<byte[]> elements = input.toByteElements();
    String[] values = new String[elements.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = new String(elements.get(i), StandardCharsets.UTF_8) + "!";
    }
    return wanted.contains("t") ? Map.of("t", Tensor.ofStrings(input.shape(), values)) : Map.of();
  }

  @Override
  public void close() {}
}
