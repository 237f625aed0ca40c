package dev.neutrino.repo;

import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * ONNX Runtime, with loads that a test can hold: a load of a model named by {@link #hold} signals
 * that it started and waits until the test releases it (or a bounded time passes, then fails). Counts
 * every instance load.
 */
final class GatedBackend implements Backend {
  private final Backend runtime = OnnxRuntimeBackend.create();
  private final Map<String, Gate> gates = new ConcurrentHashMap<>();
  private final AtomicInteger loads = new AtomicInteger();

  /** A held model's load: {@code entered} counts down when it starts, it goes on after {@code release}. */
  record Gate(CountDownLatch entered, CountDownLatch release) {
    void open() {
      release.countDown();
    }

    boolean awaitEntered() throws InterruptedException {
      return entered.await(60, TimeUnit.SECONDS);
    }
  }

  /** Holds every load of {@code model}'s instances until the returned gate is opened. */
  Gate hold(String model) {
    Gate gate = new Gate(new CountDownLatch(1), new CountDownLatch(1));
    gates.put(model, gate);
    return gate;
  }

  /** Instances loaded (or attempted) so far. */
  int loads() {
    return loads.get();
  }

  @Override
  public String name() {
    return runtime.name();
  }

  @Override
  public String platform() {
    return runtime.platform();
  }

  @Override
  public String defaultModelFileName() {
    return runtime.defaultModelFileName();
  }

  @Override
  public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
    loads.incrementAndGet();
    String model = modelFile.getParent().getParent().getFileName().toString();
    Gate gate = gates.get(model);
    if (gate != null) {
      gate.entered().countDown();
      try {
        if (!gate.release().await(60, TimeUnit.SECONDS)) {
          throw new ModelLoadException("the test never released the load of " + model);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ModelLoadException("interrupted while held");
      }
    }
    return runtime.load(modelFile, options);
  }
}
