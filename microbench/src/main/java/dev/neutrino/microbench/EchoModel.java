package dev.neutrino.microbench;

import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model that returns its input {@code INPUT0} as its output {@code OUTPUT0}, without copying: the
 * test backend the scheduler benchmarks run on, so that they measure the scheduler and not a runtime.
 */
public final class EchoModel implements LoadedModel {
  private final List<TensorSpec> inputs;
  private final List<TensorSpec> outputs;

  /** @param spec the input's datatype and shape (-1 for the batch dimension); the output is the same */
  public EchoModel(TensorSpec spec) {
    this.inputs = List.of(new TensorSpec("INPUT0", spec.datatype(), spec.shape()));
    this.outputs = List.of(new TensorSpec("OUTPUT0", spec.datatype(), spec.shape()));
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
    return "test";
  }

  @Override
  public Map<String, Tensor> run(Map<String, Tensor> in, Set<String> names) {
    Tensor input = in.get("INPUT0");
    Map<String, Tensor> out = new LinkedHashMap<>();
    out.put("OUTPUT0", Tensor.of(input.datatype(), input.shape(), input.data()));
    return out;
  }

  @Override
  public void close() {
  }
}
