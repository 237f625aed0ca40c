package dev.neutrino.gateway;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A drain's waits, over when the test says so ({@link #pass}), never by the clock. Thread-safe. */
final class ManualDelays implements Drain.Delays {
  private record Waiting(Duration delay, Promise<Void> over) {}

  private final Set<Duration> passed = new HashSet<>();
  private final List<Waiting> waiting = new ArrayList<>();

  @Override
  public Future<Void> after(Duration delay) {
    Promise<Void> over = Promise.promise();
    synchronized (this) {
      if (!passed.contains(delay)) {
        waiting.add(new Waiting(delay, over));
        return over.future();
      }
    }
    over.complete();
    return over.future();
  }

  /** Every wait for {@code delay}, now and later, is over. */
  void pass(Duration delay) {
    List<Promise<Void>> over = new ArrayList<>();
    synchronized (this) {
      passed.add(delay);
      waiting.removeIf(w -> w.delay().equals(delay) && over.add(w.over()));
    }
    over.forEach(Promise::complete);
  }
}
