package dev.neutrino.runtime;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One loaded instance of a model: a session that runs one batch at a time.
 *
 * <p>Thread-safety: {@link #run} may be called from one thread at a time per instance (each model
 * instance owns a thread); {@link #inputs()}, {@link #outputs()} and {@link #device()} from any thread.
 * {@link #close()} releases native memory and must only be called once no run is in progress.
 */
public interface LoadedModel extends AutoCloseable {

  /** The inputs the model declares, in its order; -1 marks a variable dimension. */
  List<TensorSpec> inputs();

  /** The outputs the model declares, in its order; -1 marks a variable dimension. */
  List<TensorSpec> outputs();

  /** Where this instance actually runs, after any fallback: {@code cpu}, {@code cuda:0}, ... */
  String device();

  /**
   * Runs one batch.
   *
   * @param inputs every declared input, by name; the caller keeps ownership of the tensors
   * @param outputs the names of the outputs to compute; never empty
   * @return the requested outputs, by name, in newly allocated buffers owned by the caller
   * @throws InferenceException.BackendFailure when the runtime fails
   */
  Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs);

  /**
   * Runs one batch as {@link #run} does, on the instance's wide session where it has one
   * ({@link #hasWideSession()}): for a batch that runs while no other instance of the model is busy.
   * The outputs are the same as {@link #run}'s. Called from the instance's thread, as {@link #run}.
   */
  default Map<String, Tensor> runWide(Map<String, Tensor> inputs, Set<String> outputs) {
    return run(inputs, outputs);
  }

  /**
   * Whether {@link #runWide} runs on a session with more threads than {@link #run}
   * ({@link LoadOptions#wideIntraOpThreads()}).
   */
  default boolean hasWideSession() {
    return false;
  }

  /**
   * The most rows one {@link #run} takes at once on this instance's engine (a TensorRT engine's
   * optimisation profile maximum), 0 when it has no such limit; how a larger batch is handled is the
   * model's {@link OversizedBatch} choice.
   */
  default long maxBatchRows() {
    return 0;
  }

  /** What the backend's cache of optimized graphs did for this instance's load. */
  default GraphCacheResult graphCacheResult() {
    return GraphCacheResult.NOT_USED;
  }

  /** Releases the instance's native resources. Idempotent. */
  @Override
  void close();
}
