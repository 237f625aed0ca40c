package dev.neutrino.autoscaler.replay;

import dev.neutrino.autoscaler.ActuationException;
import dev.neutrino.autoscaler.ReplicaActuator;
import dev.neutrino.autoscaler.Replicas;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Wraps the replay's actuator and records every change it is asked for, with when it began and ended
 * on the wall clock: the real cold start of each change (the gateway's load answers once the new
 * instances serve) and the replicas asked for and ready at any moment. Written by the loop thread, read
 * by the replay once the loop has stopped; the list is guarded by its own lock.
 */
final class RecordingActuator implements ReplicaActuator {

  /**
   * One change.
   *
   * @param startNanos when it was asked for (wall)
   * @param endNanos when the gateway answered (wall)
   * @param from instances before
   * @param to instances asked for
   * @param ok whether the gateway applied it
   */
  record Change(long startNanos, long endNanos, int from, int to, boolean ok) {
    double wallSeconds() {
      return (endNanos - startNanos) / 1e9;
    }
  }

  private final ReplicaActuator actuator;
  private final LongSupplier nanos;
  private final List<Change> changes = new ArrayList<>();
  private volatile int current = -1;

  RecordingActuator(ReplicaActuator actuator, LongSupplier nanos) {
    this.actuator = actuator;
    this.nanos = nanos;
  }

  @Override
  public Replicas read() throws ActuationException {
    Replicas r = actuator.read();
    current = r.current();
    return r;
  }

  @Override
  public void apply(int replicas) throws ActuationException {
    int from = current;
    long start = nanos.getAsLong();
    try {
      actuator.apply(replicas);
      record(new Change(start, nanos.getAsLong(), from, replicas, true));
      current = replicas;
    } catch (ActuationException e) {
      record(new Change(start, nanos.getAsLong(), from, replicas, false));
      throw e;
    }
  }

  private void record(Change c) {
    synchronized (changes) {
      changes.add(c);
    }
  }

  List<Change> changes() {
    synchronized (changes) {
      return List.copyOf(changes);
    }
  }

  @Override
  public String describe() {
    return actuator.describe();
  }

  @Override
  public void close() {
    actuator.close();
  }
}
