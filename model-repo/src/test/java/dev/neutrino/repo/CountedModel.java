package dev.neutrino.repo;

import dev.neutrino.runtime.LoadedModel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link ForwardingModel} counted in {@code open} from its creation until its first close, so that a
 * test can check that every instance a load created was closed.
 */
class CountedModel extends ForwardingModel {
  private final AtomicInteger open;
  private boolean closed;

  CountedModel(LoadedModel model, AtomicInteger open) {
    super(model);
    this.open = open;
    open.incrementAndGet();
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      open.decrementAndGet();
      model.close();
    }
  }
}
