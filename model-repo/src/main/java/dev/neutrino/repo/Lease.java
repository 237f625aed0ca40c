package dev.neutrino.repo;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps one model version alive for one request. Take it before submitting, release it after the
 * response is written: the version's instances are not closed while any lease is held, whatever
 * reload or unload happens meanwhile. Releasing twice is harmless.
 */
public final class Lease implements AutoCloseable {
  private final ModelVersion version;
  private final AtomicBoolean released = new AtomicBoolean();

  Lease(ModelVersion version) {
    this.version = version;
  }

  public ModelVersion version() {
    return version;
  }

  @Override
  public void close() {
    if (released.compareAndSet(false, true)) {
      version.release();
    }
  }
}
