package dev.neutrino.repo;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The repository tests' model: {@code OUTPUT0 = INPUT0 + 1}, FP32 {@code [-1, 4]}. */
final class AddOneModel {
  private AddOneModel() {
  }

  static void writeTo(Path file) throws IOException {
    new OnnxModelBuilder("add")
        .input("INPUT0", DataType.FP32, -1, 4)
        .output("OUTPUT0", DataType.FP32, -1, 4)
        .initializer("c", new long[] {1}, new float[] {1f})
        .node("Add", List.of("INPUT0", "c"), List.of("OUTPUT0"))
        .writeTo(file);
  }
}
