package dev.neutrino.loadtest;

import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Recorder;

/**
 * The limit of BENCHMARKS.md: the same model run in-process by ONNX Runtime, with no network, no codec
 * and no queue. Each of {@code instances} sessions has its own caller thread running batches back to
 * back; a batch is the prepared request's rows repeated. Throughput counts rows per second (one row is
 * one gateway request); latency is per call, of a whole batch.
 */
final class InProcessLimit implements AutoCloseable {

  /**
   * How the sessions are laid out.
   *
   * @param instances sessions, each with one caller thread
   * @param intraOpThreads ONNX Runtime threads inside each run
   */
  record Layout(int instances, int intraOpThreads) {
    @Override
    public String toString() {
      return instances + " x " + intraOpThreads + " thread" + (intraOpThreads == 1 ? "" : "s");
    }
  }

  private final Layout layout;
  private final List<LoadedModel> models;

  private InProcessLimit(Layout layout, List<LoadedModel> models) {
    this.layout = layout;
    this.models = models;
  }

  static InProcessLimit load(Backend backend, Path modelFile, Layout layout) throws ModelLoadException {
    List<LoadedModel> models = new ArrayList<>();
    try {
      for (int i = 0; i < layout.instances(); i++) {
        models.add(backend.load(modelFile, LoadOptions.cpu(layout.intraOpThreads())));
      }
    } catch (ModelLoadException | RuntimeException e) {
      models.forEach(LoadedModel::close);
      throw e;
    }
    return new InProcessLimit(layout, models);
  }

  Layout layout() {
    return layout;
  }

  /** Where the sessions run: {@code cpu}, {@code cuda:0}. */
  String device() {
    return models.get(0).device();
  }

  /** Whether the model takes batches (every input's first dimension is variable). */
  boolean batchable() {
    for (TensorSpec spec : models.get(0).inputs()) {
      if (spec.rank() == 0 || spec.dim(0) != -1) {
        return false;
      }
    }
    return true;
  }

  /**
   * Runs batches of {@code batch} rows from every instance's thread for the warm-up and the
   * duration, and measures the duration.
   *
   * @param row one request's inputs, first dimension 1
   */
  LevelResult measure(List<TensorData> row, int batch, Duration warmup, Duration duration) {
    Map<String, Tensor> inputs = batchOf(row, batch);
    Set<String> outputs = new LinkedHashSet<>();
    models.get(0).outputs().forEach(spec -> outputs.add(spec.name()));
    Recorder calls = new Recorder(3);
    LongAdder rows = new LongAdder();
    AtomicLong failures = new AtomicLong();
    long start = System.nanoTime();
    long measureStart = start + warmup.toNanos();
    long end = measureStart + duration.toNanos();
    List<Thread> threads = new ArrayList<>();
    for (LoadedModel model : models) {
      Thread t = new Thread(() -> {
        long now;
        while ((now = System.nanoTime()) < end) {
          try {
            model.run(inputs, outputs);
          } catch (InferenceException e) {
            failures.incrementAndGet();
          }
          long done = System.nanoTime();
          if (now >= measureStart) {
            calls.recordValue((done - now) / 1000);
            rows.add(batch);
          }
        }
      }, "neutrino-limit");
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      while (t.isAlive()) {
        try {
          t.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          LockSupport.parkNanos(1_000_000);
        }
      }
    }
    var histogram = calls.getIntervalHistogram();
    LatencySummary latency = LatencySummary.of(histogram);
    long n = rows.sum();
    double seconds = duration.toNanos() / 1e9;
    return new LevelResult(LoadSpec.closed(layout.instances(), warmup, duration), seconds, seconds, n, n,
        failures.get() == 0 ? Map.of() : Map.of("backend_failure", failures.get()), latency, LatencySummary.EMPTY,
        LatencySummary.EMPTY, new ServerStats((double) batch, 0.0, latency.count() == 0 ? null : latency.mean()), 0);
  }

  /** The row's tensors repeated {@code batch} times along the first dimension. */
  static Map<String, Tensor> batchOf(List<TensorData> row, int batch) {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    for (TensorData t : row) {
      long[] shape = t.shape();
      if (batch > 1 && (shape.length == 0 || shape[0] != 1)) {
        throw new IllegalArgumentException("input '" + t.name() + "' has no batch dimension of 1 to repeat");
      }
      ByteBuffer data = Tensor.allocate((long) t.data().length * batch);
      for (int i = 0; i < batch; i++) {
        data.put(t.data());
      }
      data.flip();
      if (shape.length > 0) {
        shape[0] = shape[0] * batch;
      }
      inputs.put(t.name(), Tensor.of(t.datatype(), shape, data));
    }
    return inputs;
  }

  @Override
  public void close() {
    models.forEach(LoadedModel::close);
  }
}
