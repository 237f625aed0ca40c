package dev.neutrino.gateway.edge;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway-wide budget of bytes of request bodies being received: HTTP/1.1 bodies, h2c streams and
 * gRPC messages alike. Bytes are reserved as they arrive, never as a header declares them, and
 * released when the body is handed on, dropped, or its connection closes; when a chunk would pass the
 * budget, its body is refused (503 with Retry-After, or RESOURCE_EXHAUSTED) and the memory it would
 * have taken never exists.
 *
 * <p>Thread-safety: the budget is shared by every event loop and is lock-free. A {@link Reservation}
 * belongs to one body and is confined to that body's event loop.
 */
public final class BodyBudget {
  private final long capacityBytes;
  private final AtomicLong reserved = new AtomicLong();

  /** @param capacityBytes bytes of bodies that may be in flight together; at least 1 */
  public BodyBudget(long capacityBytes) {
    if (capacityBytes < 1) {
      throw new IllegalArgumentException("the body budget must be at least 1 byte, got " + capacityBytes);
    }
    this.capacityBytes = capacityBytes;
  }

  public long capacityBytes() {
    return capacityBytes;
  }

  /** Bytes reserved now, by every body being received. */
  public long reservedBytes() {
    return reserved.get();
  }

  /** A new, empty reservation for one body. */
  public Reservation open() {
    return new Reservation();
  }

  private boolean tryReserve(long bytes) {
    long now;
    do {
      now = reserved.get();
      if (now + bytes > capacityBytes) {
        return false;
      }
    } while (!reserved.compareAndSet(now, now + bytes));
    return true;
  }

  /**
   * The bytes one body holds of the budget. Confined to the body's event loop; {@link #release()}
   * may be called any number of times, from any of the paths that end a body, and gives the bytes
   * back once.
   */
  public final class Reservation {
    private long held;
    private boolean released;

    private Reservation() {}

    /**
     * Reserves {@code bytes} more, just arrived.
     *
     * @return false, reserving nothing, when the budget cannot take them (or this was released)
     */
    public boolean grow(long bytes) {
      if (released || !tryReserve(bytes)) {
        return false;
      }
      held += bytes;
      return true;
    }

    /** Gives {@code bytes} back early, as a message is handed on while its stream goes on. */
    public void shrink(long bytes) {
      long give = Math.min(bytes, held);
      held -= give;
      reserved.addAndGet(-give);
    }

    /** Gives back everything this reservation holds; it takes no more after this. */
    public void release() {
      if (!released) {
        released = true;
        reserved.addAndGet(-held);
        held = 0;
      }
    }

    public long heldBytes() {
      return held;
    }
  }
}
