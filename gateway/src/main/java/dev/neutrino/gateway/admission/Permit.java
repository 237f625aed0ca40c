package dev.neutrino.gateway.admission;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One admitted request's place under its model's concurrency limit and the gateway's cap. Whoever
 * holds it releases it exactly once: the front end until it hands the request to an
 * {@link dev.neutrino.gateway.call.InferenceCall}, which then owns it and releases it when the call is
 * observed. Releasing again does nothing, so a path that cannot tell whether another has released it
 * may release it too. Thread-safe.
 */
public final class Permit {
  /** The permit of a gateway that limits nothing; releasing it does nothing. */
  public static final Permit NONE = new Permit(null, 0);

  private static final AtomicIntegerFieldUpdater<Permit> RELEASED =
      AtomicIntegerFieldUpdater.newUpdater(Permit.class, "released");

  /** The limit it holds a place under (and, through it, the gateway's cap); null for {@link #NONE}. */
  private final Admission.Door door;
  private final int inFlight;
  private volatile int released;

  Permit(Admission.Door door, int inFlight) {
    this.door = door;
    this.inFlight = inFlight;
  }

  /** Gives the place back without a latency sample: the request failed, was refused or abandoned. */
  public void release() {
    if (door != null && RELEASED.compareAndSet(this, 0, 1)) {
      door.released(this, -1);
    }
  }

  /**
   * Gives the place back after a successful request, whose latency the limit learns from.
   *
   * @param latencyNanos how long the request took, from its decoding to its answer
   */
  public void succeeded(long latencyNanos) {
    if (door != null && RELEASED.compareAndSet(this, 0, 1)) {
      door.released(this, Math.max(0, latencyNanos));
    }
  }

  /** Whether it is still held. */
  public boolean held() {
    return door != null && released == 0;
  }

  /** Requests of its limit in flight when this one was admitted, itself included. */
  int inFlight() {
    return inFlight;
  }
}
