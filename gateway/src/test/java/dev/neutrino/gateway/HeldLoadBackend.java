package dev.neutrino.gateway;

import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * ONNX Runtime whose loads the test can hold: after {@link #hold}, the next loads wait until the test
 * opens the gate (or a bounded time passes, then fail). Counts every instance load.
 */
final class HeldLoadBackend implements Backend {
  private final Backend runtime = OnnxRuntimeBackend.create();
  private final AtomicReference<CountDownLatch> gate = new AtomicReference<>();
  private final AtomicInteger loads = new AtomicInteger();

  /** Holds every load from now on until the returned latch is counted down. */
  CountDownLatch hold() {
    CountDownLatch release = new CountDownLatch(1);
    gate.set(release);
    return release;
  }

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
    CountDownLatch release = gate.get();
    if (release != null) {
      try {
        if (!release.await(60, TimeUnit.SECONDS)) {
          throw new ModelLoadException("the test never released the load of " + modelFile);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ModelLoadException("interrupted while held");
      }
    }
    return runtime.load(modelFile, options);
  }
}
