package dev.neutrino.runtime.testing;

import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.ComputePriority;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The test backend standing in for ONNX Runtime in the modules' tests (shared through the runtime's
 * test-jar). Every model echoes its FP32 input {@code INPUT0} ({@code [-1, -1]}) as {@code OUTPUT0}.
 *
 * <ul>
 *   <li>It records the first element of every row it runs in {@link #ran} (the test's marker for a
 *       request) and the thread of every run in {@link #runThreads} (its nice value in {@link #runNices}). The models' warm-up runs count
 *       too: call {@link #forget()} once the gateway has started.
 *   <li>A run whose first element is {@link #HOLD} blocks until {@link #release()}, keeping the model's
 *       one instance busy so that the requests after it queue: overload, deadlines and cancellation
 *       without timing anything. {@link #holding} counts down when such a run starts.
 *   <li>A run whose first element is {@link #FAIL} fails as the runtime would; so does every run of a
 *       model whose file holds the text {@code fail}, except one whose first element is zero (so that
 *       the zero-filled warm-up of its load passes).
 *   <li>A model file that cannot be read fails the load.
 * </ul>
 *
 * <p>Thread-safe: one object serves every model and instance of a gateway.
 */
public final class TestBackend implements Backend {
  /** A run whose first element is this blocks until {@link #release()}. */
  public static final float HOLD = -1f;
  /** A run whose first element is this fails with a backend failure. */
  public static final float FAIL = -2f;

  /** The first element of every row run, in the order runs happened. */
  public final ConcurrentLinkedQueue<Float> ran = new ConcurrentLinkedQueue<>();
  /** The name of the thread of every run. */
  public final ConcurrentLinkedQueue<String> runThreads = new ConcurrentLinkedQueue<>();
  /** The nice value of the thread of every run (-1 where it cannot be read: not Linux). */
  public final ConcurrentLinkedQueue<Integer> runNices = new ConcurrentLinkedQueue<>();
  /** Counts down when a run holding {@link #HOLD} starts. */
  public final CountDownLatch holding = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);

  /** Lets held runs, and every later one, go on. */
  public void release() {
    released.countDown();
  }

  /** Drops what was recorded so far (the warm-up runs of the models' loads). */
  public void forget() {
    ran.clear();
    runThreads.clear();
    runNices.clear();
  }

  @Override
  public String name() {
    return "test";
  }

  @Override
  public String platform() {
    return "test_backend";
  }

  @Override
  public String defaultModelFileName() {
    return "model.onnx";
  }

  @Override
  public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
    boolean failing;
    try {
      failing = Files.readString(modelFile).trim().equals("fail");
    } catch (IOException e) {
      throw new ModelLoadException("cannot read the model");
    }
    return new EchoModel(failing);
  }

  private final class EchoModel implements LoadedModel {
    private final boolean failing;

    EchoModel(boolean failing) {
      this.failing = failing;
    }

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
      runNices.add(ComputePriority.currentNice().orElse(-1));
      Tensor input = inputs.get("INPUT0");
      float[] values = input.toFloatArray();
      long width = input.dim(1);
      for (int row = 0; row < input.dim(0); row++) {
        ran.add(width == 0 ? Float.NaN : values[(int) (row * width)]);
      }
      float first = values.length > 0 ? values[0] : 0f;
      if (first == FAIL || (failing && first != 0f)) {
        throw new InferenceException.BackendFailure("test model failed on purpose", null);
      }
      if (first == HOLD) {
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
  }
}
