package dev.neutrino.repo;

import dev.neutrino.runtime.GraphCacheResult;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model that forwards everything to another, for tests that watch or hold some of its calls: they
 * override only what they watch. Forwards the methods {@link LoadedModel} has defaults for too (the wide
 * session, the batch limit, the cache result), so a wrapped adaptive instance stays adaptive.
 */
class ForwardingModel implements LoadedModel {
  protected final LoadedModel model;

  ForwardingModel(LoadedModel model) {
    this.model = model;
  }

  @Override
  public List<TensorSpec> inputs() {
    return model.inputs();
  }

  @Override
  public List<TensorSpec> outputs() {
    return model.outputs();
  }

  @Override
  public String device() {
    return model.device();
  }

  @Override
  public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
    return model.run(inputs, outputs);
  }

  @Override
  public Map<String, Tensor> runWide(Map<String, Tensor> inputs, Set<String> outputs) {
    return model.runWide(inputs, outputs);
  }

  @Override
  public boolean hasWideSession() {
    return model.hasWideSession();
  }

  @Override
  public long maxBatchRows() {
    return model.maxBatchRows();
  }

  @Override
  public GraphCacheResult graphCacheResult() {
    return model.graphCacheResult();
  }

  @Override
  public void close() {
    model.close();
  }
}
