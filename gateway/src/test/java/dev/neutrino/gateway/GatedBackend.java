package dev.neutrino.gateway;

import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A test backend whose models echo FP32 {@code INPUT0} as {@code OUTPUT0}. A run whose first element
 * is {@link #HOLD} blocks until {@link #release()}, keeping the model's one instance busy so that the
 * requests after it queue: overload and deadlines without timing anything.
 */
final class GatedBackend implements Backend {
  static final float HOLD = -1f;

  final CountDownLatch holding = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);

  void release() {
    released.countDown();
  }

  @Override
  public String name() {
    return "gated";
  }

  @Override
  public String platform() {
    return "gated_test";
  }

  @Override
  public String defaultModelFileName() {
    return "model.onnx";
  }

  @Override
  public LoadedModel load(Path modelFile, LoadOptions options) {
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
        if (inputs.get("INPUT0").data().getFloat(0) == HOLD) {
          holding.countDown();
          try {
            if (!released.await(60, TimeUnit.SECONDS)) {
              throw new IllegalStateException("the test never released the held run");
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return Map.of("OUTPUT0", inputs.get("INPUT0"));
      }

      @Override
      public void close() {}
    };
  }
}
