package dev.neutrino.repo;

import dev.neutrino.batching.InferenceResult;

/**
 * Told of every ensemble step that ran or failed, so that a step's model counts the request as
 * Triton counts it: as a request of its own. The ensemble's own request is observed by whoever
 * called the ensemble, as any other. Called on the thread that completes the step (a model
 * instance's thread, or the caller's when refused at once): it must be quick and must not block.
 */
public interface StepObserver {
  /** Observes nothing. */
  StepObserver NONE = new StepObserver() {
    @Override
    public void succeeded(ModelVersion step, long durationNanos, InferenceResult result) {}

    @Override
    public void failed(ModelVersion step, long durationNanos, Throwable failure) {}
  };

  /**
   * A step succeeded.
   *
   * @param step the version of the step's model it ran on
   * @param durationNanos from its submission to its result
   */
  void succeeded(ModelVersion step, long durationNanos, InferenceResult result);

  /**
   * A step failed, was refused, or was withdrawn because its ensemble request failed or was cancelled.
   *
   * @param failure an {@link dev.neutrino.runtime.InferenceException}, unwrapped
   */
  void failed(ModelVersion step, long durationNanos, Throwable failure);
}
