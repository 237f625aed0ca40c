package dev.neutrino.gpu.tensorrt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.Backends;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.Device;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The native TensorRT backend on a machine where TensorRT cannot run (this one, CI). */
class TensorRtBackendTest {
  @TempDir Path dir;
  private TensorRtBackend backend;
  private Path plan;

  @BeforeEach
  void setUp() throws Exception {
    backend = TensorRtBackend.create(OnnxRuntimeBackend.create(), dir.resolve("engines"));
    assumeFalse(backend.availability().usable(), "TensorRT is usable here: the GPU tests cover it");
    Files.createDirectories(dir.resolve("1"));
    plan = dir.resolve("1").resolve(TensorRtBackend.DEFAULT_MODEL_FILE_NAME);
    Files.write(plan, new byte[] {1, 2, 3, 4});
  }

  private void writeOnnxBeside() throws Exception {
    new OnnxModelBuilder("add")
        .input("a", DataType.FP32, -1, 2)
        .input("b", DataType.FP32, -1, 2)
        .output("sum", DataType.FP32, -1, 2)
        .node("Add", List.of("a", "b"), List.of("sum"))
        .writeTo(plan.resolveSibling(TensorRtBackend.ONNX_SOURCE));
  }

  @Test
  void strictLoadFailsSayingWhyTensorRtIsMissing() throws Exception {
    writeOnnxBeside();
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> backend.load(plan, new LoadOptions(Device.CUDA, 0, 1, true)));
    assertTrue(e.getMessage().startsWith("TensorRT is not available on GPU 0: "), e.getMessage());
    assertTrue(e.getMessage().contains(backend.availability().reason()), e.getMessage());
  }

  @Test
  void fallsBackToTheOnnxModelBesideTheEngineOnTheCpu() throws Exception {
    writeOnnxBeside();
    try (LoadedModel model = backend.load(plan, new LoadOptions(Device.CUDA, 0, 1, false))) {
      assertEquals("cpu", model.device());
      Map<String, Tensor> out = model.run(
          Map.of("a", Tensor.ofFloats(new long[] {1, 2}, 1, 2), "b", Tensor.ofFloats(new long[] {1, 2}, 10, 20)),
          Set.of("sum"));
      assertArrayEquals(new float[] {11, 22}, out.get("sum").toFloatArray());
    }
  }

  @Test
  void withoutAnOnnxModelToFallBackToTheLoadFailsSayingSo() {
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> backend.load(plan, new LoadOptions(Device.CPU, 0, 1, false)));
    assertTrue(e.getMessage().contains("no model.onnx beside the engine"), e.getMessage());
    assertTrue(e.getMessage().startsWith("TensorRT is not available ("), e.getMessage());
  }

  @Test
  void modelsNamingTensorRtPlanGoToThisBackendAndOthersToOnnxRuntime() {
    Backend ort = OnnxRuntimeBackend.create();
    Backend both = Backends.of(ort, backend);
    assertEquals(backend, both.forModel("tensorrt_plan", null));
    assertEquals(backend, both.forModel(null, "tensorrt"));
    assertEquals(ort, both.forModel(null, null));
    assertEquals(ort, both.forModel("onnxruntime_onnx", null));
    assertEquals("model.plan", both.forModel("tensorrt_plan", null).defaultModelFileName());
  }
}
