package dev.neutrino.autoscaler;

/**
 * What sets a target's replica count: a Kubernetes Deployment's scale subresource, or a model's
 * instance count on a gateway. Implementations do blocking I/O with bounded timeouts, are used by one
 * loop thread at a time, and report failures as {@link ActuationException}; retrying is the loop's job.
 */
public interface ReplicaActuator extends AutoCloseable {

  /** The target's current and ready replicas. */
  Replicas read() throws ActuationException;

  /** Asks for {@code replicas}; returns once the request is accepted, not when replicas are ready. */
  void apply(int replicas) throws ActuationException;

  /** A short description for logs: the Deployment or the gateway and model. */
  String describe();

  @Override
  default void close() {}
}
