package dev.neutrino.gateway.grpc;

import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A test backend whose models echo FP32 {@code INPUT0} as {@code OUTPUT0}. It records the first
 * element of every row it runs (the test's marker for a request) and the thread that ran it; a run
 * whose first element is {@link #HOLD} blocks until {@link #release()}, holding the model's one
 * instance busy so that later requests queue behind it; a run whose first element is {@link #FAIL}
 * fails as the runtime would. Call {@link #forget()} once the gateway has started, to drop what the
 * models' warm-up ran.
 */
final class HoldingBackend implements Backend {
  static final float HOLD = -1f;
  static final float FAIL = -2f;

  final ConcurrentLinkedQueue<Float> ran = new ConcurrentLinkedQueue<>();
  final ConcurrentLinkedQueue<String> runThreads = new ConcurrentLinkedQueue<>();
  final CountDownLatch holding = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);

  void release() {
    released.countDown();
  }

  void forget() {
    ran.clear();
    runThreads.clear();
  }

  @Override
  public String name() {
    return "holding";
  }

  @Override
  public String platform() {
    return "holding_test";
  }

  @Override
  public String defaultModelFileName() {
    return "model.onnx";
  }

  @Override
  public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
    if (!Files.isRegularFile(modelFile)) {
      throw new ModelLoadException("no model file");
    }
    return new LoadedModel() {
      @Override
      public List<TensorSpec> inputs() {
        return List.of(new TensorSpec("INPUT0", DataType.FP32, new long[] {-1, -1}));
      }

      @Override
      public List<TensorSpec> outputs() {
        return List.of(new TensorSpec("OUTPUT0", DataType.FP32, new long[] {-1, -1}));
      }

      @Override
      public String device() {
        return "cpu";
      }

      @Override
      public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
        runThreads.add(Thread.currentThread().getName());
        Tensor input = inputs.get("INPUT0");
        float[] values = input.toFloatArray();
        long width = input.dim(1);
        for (int row = 0; row < input.dim(0); row++) {
          ran.add(values[(int) (row * width)]);
        }
        if (values.length > 0 && values[0] == FAIL) {
          throw new InferenceException.BackendFailure("holding model failed on purpose", null);
        }
        if (values.length > 0 && values[0] == HOLD) {
          holding.countDown();
          try {
            if (!released.await(60, TimeUnit.SECONDS)) {
              throw new IllegalStateException("the test never released the held run");
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return Map.of("OUTPUT0", input);
      }

      @Override
      public void close() {}
    };
  }
}
