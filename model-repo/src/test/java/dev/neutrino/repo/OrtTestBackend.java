package dev.neutrino.repo;

import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;

/**
 * ONNX Runtime under a test's own {@code load}: names, platform and file name are ORT's, and
 * {@link #ort} loads the real sessions the test wraps (with a {@link ForwardingModel}).
 */
abstract class OrtTestBackend implements Backend {
  protected final Backend ort = OnnxRuntimeBackend.create();

  @Override
  public String name() {
    return ort.name();
  }

  @Override
  public String platform() {
    return ort.platform();
  }

  @Override
  public String defaultModelFileName() {
    return ort.defaultModelFileName();
  }
}
