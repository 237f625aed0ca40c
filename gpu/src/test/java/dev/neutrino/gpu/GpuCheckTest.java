package dev.neutrino.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The device check's own logic, on this machine: the CPU target agrees with itself, GPU targets do not load. */
class GpuCheckTest {
  @TempDir Path repository;

  private Path scaleModel() throws Exception {
    Path file = repository.resolve("scale").resolve("1").resolve("model.onnx");
    new OnnxModelBuilder("scale")
        .input("x", DataType.FP32, -1, 8)
        .output("y", DataType.FP32, -1, 8)
        .initializer("k", new long[] {1}, new float[] {3f})
        .node("Mul", List.of("x", "k"), List.of("y"))
        .writeTo(file);
    return file;
  }

  @Test
  void withoutAGpuTheCpuRowAgreesAndEveryGpuTargetIsReportedAsNotLoaded() throws Exception {
    assumeFalse(GpuLibraries.cuda().usable(), "CUDA is usable here");
    scaleModel();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = GpuCheck.run(repository, List.of("scale"), 4, 0.01, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(1, code, text);
    assertTrue(text.matches("(?s).*onnxruntime-cpu\\s+cpu\\s+agrees\\s+0\\.00+\\s+yes.*"), text);
    assertTrue(text.contains("onnxruntime-cuda       did not load: CUDA execution provider is not available"), text);
    assertTrue(text.contains("tensorrt-plan          not run: "), text);
    assertTrue(text.contains("target(s) failed"), text);
  }

  @Test
  void toleranceIsAbsolutePlusRelative() {
    Tensor reference = Tensor.ofFloats(new long[] {3}, 0f, 100f, -1f);
    assertTrue(GpuCheck.within(Tensor.ofFloats(new long[] {3}, 5e-6f, 100.0005f, -1.000009f), reference, 1e-5));
    assertFalse(GpuCheck.within(Tensor.ofFloats(new long[] {3}, 5e-5f, 100f, -1f), reference, 1e-5));
    assertEquals(0.5, GpuCheck.maxDiff(Tensor.ofFloats(new long[] {3}, 0f, 100.5f, -1f), reference), 1e-6);
  }

  @Test
  void batchOfNEqualsNBatchesOfOneOnTheCpu() throws Exception {
    Path file = scaleModel();
    try (LoadedModel model = OnnxRuntimeBackend.create().load(file, LoadOptions.cpu(1))) {
      Map<String, Tensor> inputs = GpuCheck.sampleInputs(model.inputs(), 5);
      Tensor batched = model.run(inputs, Set.of("y")).get("y");
      assertEquals(5, batched.dim(0));
      assertTrue(GpuCheck.batchEqualsRows(model, inputs, "y", batched, GpuCheck.FP32_TOLERANCE));
      Tensor wrong = Tensor.ofFloats(batched.shape(), new float[40]);
      assertFalse(GpuCheck.batchEqualsRows(model, inputs, "y", wrong, GpuCheck.FP32_TOLERANCE));
    }
  }
}
