package dev.neutrino.repo;

import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * ONNX Runtime, with runs a test can count, hold and fail, per model (the folder name): every run of
 * every instance is counted with its rows; a model named by {@link #hold} blocks its next runs until
 * the test opens the gate (or a bounded time passes, then fails); a model named by {@link #fail}
 * throws on every run from then on.
 */
final class RunGateBackend implements Backend {
  private final Backend runtime = OnnxRuntimeBackend.create();
  private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
  private final Map<String, List<Long>> rows = new ConcurrentHashMap<>();
  private final Map<String, Gate> gates = new ConcurrentHashMap<>();
  private final Set<String> failing = ConcurrentHashMap.newKeySet();

  /** A held model's runs: {@code entered} counts down when one starts, they go on after {@code open}. */
  record Gate(CountDownLatch entered, CountDownLatch release) {
    void open() {
      release.countDown();
    }

    boolean awaitEntered() throws InterruptedException {
      return entered.await(60, TimeUnit.SECONDS);
    }
  }

  Gate hold(String model) {
    Gate gate = new Gate(new CountDownLatch(1), new CountDownLatch(1));
    gates.put(model, gate);
    return gate;
  }

  void fail(String model) {
    failing.add(model);
  }

  /** Runs of {@code model}'s instances so far, warm-up included. */
  int runs(String model) {
    AtomicInteger count = runs.get(model);
    return count == null ? 0 : count.get();
  }

  /** The rows (first dimension of the first input) of each run of {@code model} so far, warm-up included. */
  List<Long> rows(String model) {
    return List.copyOf(rows.getOrDefault(model, List.of()));
  }

  @Override
  public String name() {
    return runtime.name();
  }

  @Override
  public String platform() {
    return runtime.platform();
  }

  @Override
  public String defaultModelFileName() {
    return runtime.defaultModelFileName();
  }

  @Override
  public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
    String model = modelFile.getParent().getParent().getFileName().toString();
    LoadedModel loaded = runtime.load(modelFile, options);
    AtomicInteger count = runs.computeIfAbsent(model, m -> new AtomicInteger());
    List<Long> runRows = rows.computeIfAbsent(model, m -> new CopyOnWriteArrayList<>());
    return new LoadedModel() {
      @Override
      public List<TensorSpec> inputs() {
        return loaded.inputs();
      }

      @Override
      public List<TensorSpec> outputs() {
        return loaded.outputs();
      }

      @Override
      public String device() {
        return loaded.device();
      }

      @Override
      public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
        count.incrementAndGet();
        runRows.add(inputs.values().iterator().next().shape()[0]);
        Gate gate = gates.get(model);
        if (gate != null) {
          gate.entered().countDown();
          try {
            if (!gate.release().await(60, TimeUnit.SECONDS)) {
              throw new InferenceException.BackendFailure("the test never opened the gate of " + model, null);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InferenceException.BackendFailure("interrupted while held", e);
          }
        }
        if (failing.contains(model)) {
          throw new InferenceException.BackendFailure("the runtime failed (as the test asked)", null);
        }
        return loaded.run(inputs, outputs);
      }

      @Override
      public void close() {
        loaded.close();
      }
    };
  }
}
