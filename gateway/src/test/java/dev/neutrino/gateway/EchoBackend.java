package dev.neutrino.gateway;

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

/**
 * A test backend: every model echoes its FP32 input {@code INPUT0} as {@code OUTPUT0}, and records
 * which threads ran it. A model file holding the text {@code fail} fails every run whose first input
 * element is not zero (so the zero-filled warm-up of a load passes).
 */
final class EchoBackend implements Backend {
  final ConcurrentLinkedQueue<String> runThreads = new ConcurrentLinkedQueue<>();

  @Override
  public String name() {
    return "echo";
  }

  @Override
  public String platform() {
    return "echo_test";
  }

  @Override
  public String defaultModelFileName() {
    return "model.onnx";
  }

  @Override
  public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
    boolean fail;
    try {
      fail = Files.readString(modelFile).trim().equals("fail");
    } catch (Exception e) {
      throw new ModelLoadException("cannot read the model");
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
        boolean warmUp = inputs.get("INPUT0").data().getFloat(0) == 0f;
        if (!warmUp) {
          runThreads.add(Thread.currentThread().getName());
        }
        if (fail && !warmUp) {
          throw new InferenceException.BackendFailure("echo model failed on purpose", null);
        }
        return Map.of("OUTPUT0", inputs.get("INPUT0"));
      }

      @Override
      public void close() {}
    };
  }
}
