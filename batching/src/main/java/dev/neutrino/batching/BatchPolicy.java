package dev.neutrino.batching;

/**
 * When to dispatch a batch and how many requests it takes: a pure function of the queue and the time.
 *
 * <p>The batcher asks only when a model instance is free and the queue is not empty. A dispatch
 * takes the first {@code n} requests of the queue in dispatch order; a policy never answers more
 * requests than the queue holds, more rows than the model's {@code max_batch_size} (unless the first
 * request alone has more), or requests whose shape keys differ from the first one's.
 *
 * <p>Implementations hold only immutable configuration, read the clock only through {@code nowNanos},
 * and are therefore thread-safe and testable with a clock moved by hand.
 */
interface BatchPolicy {

  BatchDecision decide(QueueView queue, long nowNanos);
}
