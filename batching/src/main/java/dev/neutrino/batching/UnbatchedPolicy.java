package dev.neutrino.batching;

/** Every request runs alone, as soon as an instance is free: models without {@code dynamic_batching}. */
enum UnbatchedPolicy implements BatchPolicy {
  INSTANCE;

  @Override
  public BatchDecision decide(QueueView queue, long nowNanos) {
    return queue.size() == 0 ? BatchDecision.IDLE : BatchDecision.dispatch(1);
  }
}
