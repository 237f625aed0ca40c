package dev.neutrino.runtime.onnx;

import dev.neutrino.runtime.GraphCacheResult;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One model instance of the adaptive layout: two sessions over the same model, a narrow one (the
 * instance's share of the cores) that {@link #run} uses and a wide one (every core the model may use)
 * that {@link #runWide} uses. The scheduler picks per batch: wide when no other instance of the model
 * is busy, so a lone request is not held to one core while the others idle; narrow otherwise, so that
 * instances under load run side by side instead of fighting over the same cores.
 *
 * <p>Both sessions come from the same file with the same options except their thread counts, so they
 * compute the same outputs (ORT's CPU kernels split work across threads by output blocks). The pair
 * owns both sessions; the wide one has its own copy of the weights.
 *
 * <p>Thread-safety: as {@link LoadedModel} states; both sessions are used from the instance's thread
 * only, one run at a time.
 */
final class AdaptiveSessionModel implements LoadedModel {
  private final LoadedModel narrow;
  private final LoadedModel wide;
  private final int narrowThreads;
  private final int wideThreads;

  /** Takes ownership of both sessions. */
  AdaptiveSessionModel(LoadedModel narrow, int narrowThreads, LoadedModel wide, int wideThreads) {
    this.narrow = narrow;
    this.wide = wide;
    this.narrowThreads = narrowThreads;
    this.wideThreads = wideThreads;
  }

  @Override
  public List<TensorSpec> inputs() {
    return narrow.inputs();
  }

  @Override
  public List<TensorSpec> outputs() {
    return narrow.outputs();
  }

  @Override
  public String device() {
    return narrow.device();
  }

  @Override
  public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
    return narrow.run(inputs, outputs);
  }

  @Override
  public Map<String, Tensor> runWide(Map<String, Tensor> inputs, Set<String> outputs) {
    return wide.run(inputs, outputs);
  }

  @Override
  public boolean hasWideSession() {
    return true;
  }

  /** The narrow session's: the instance's first, which fills the cache the wide one then reads. */
  @Override
  public GraphCacheResult graphCacheResult() {
    return narrow.graphCacheResult();
  }

  @Override
  public void close() {
    try {
      narrow.close();
    } finally {
      wide.close();
    }
  }

  @Override
  public String toString() {
    return "AdaptiveSessionModel[" + device() + ", " + narrowThreads + " intra-op thread(s), " + wideThreads
        + " when alone, inputs=" + inputs() + ", outputs=" + outputs() + "]";
  }
}
