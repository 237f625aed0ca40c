package dev.neutrino.gpu.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.neutrino.gpu.GpuCheck;
import dev.neutrino.gpu.GpuLibraries;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.Device;
import dev.neutrino.runtime.GpuOptions;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs only where a GPU answers ({@code -Pgpu -Dgroups=gpu -Dneutrino.excluded.groups=none}): TensorRT
 * engines and ORT's GPU providers against ONNX Runtime on the CPU.
 */
@Tag("gpu")
class TensorRtGpuTest {
  private static final int BATCH = 16;
  @TempDir Path dir;
  private final OnnxRuntimeBackend ort = OnnxRuntimeBackend.create();
  private Path onnx;
  private Map<String, Tensor> inputs;
  private Tensor reference;

  @BeforeEach
  void model() throws Exception {
    assumeTrue(GpuLibraries.cuda().usable(), () -> "no GPU: " + GpuLibraries.cuda().reason());
    Random random = new Random(7);
    float[] w = new float[64 * 32];
    float[] b = new float[32];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) random.nextGaussian() * 0.1f;
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) random.nextGaussian() * 0.1f;
    }
    onnx = dir.resolve("1").resolve("model.onnx");
    new OnnxModelBuilder("mlp")
        .input("x", DataType.FP32, -1, 64)
        .output("y", DataType.FP32, -1, 32)
        .initializer("w", new long[] {64, 32}, w)
        .initializer("b", new long[] {32}, b)
        .node("MatMul", List.of("x", "w"), List.of("h"))
        .node("Add", List.of("h", "b"), List.of("a"))
        .node("Relu", List.of("a"), List.of("y"))
        .writeTo(onnx);
    try (LoadedModel cpu = ort.load(onnx, LoadOptions.cpu(1))) {
      inputs = GpuCheck.sampleInputs(cpu.inputs(), BATCH);
      reference = cpu.run(inputs, Set.of("y")).get("y");
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void engineAgreesWithTheCpuAndABatchEqualsItsRows(boolean fp16) throws Exception {
    assumeTrue(GpuLibraries.tensorrt().usable(), () -> "no TensorRT: " + GpuLibraries.tensorrt().reason());
    Path plan = onnx.resolveSibling("model.plan");
    Files.write(plan, EngineBuilder.build(Files.readAllBytes(onnx),
        new EngineBuildOptions(fp16, false, null, 1, 8, 8, 0), 0));
    double tolerance = fp16 ? GpuCheck.FP16_TOLERANCE : GpuCheck.FP32_TOLERANCE;
    try (LoadedModel engine = TensorRtBackend.create(ort, dir.resolve("cache"))
        .load(plan, new LoadOptions(Device.CUDA, 0, 1, true))) {
      assertEquals("tensorrt-plan:0", engine.device());
      // 16 rows on a profile of at most 8: run as two slices
      Tensor out = engine.run(inputs, Set.of("y")).get("y");
      assertTrue(GpuCheck.within(out, reference, tolerance), "max diff " + GpuCheck.maxDiff(out, reference));
      assertTrue(GpuCheck.batchEqualsRows(engine, inputs, "y", out, tolerance));
    }
  }

  @Test
  void ortCudaAgreesWithTheCpu() throws Exception {
    GpuOptions exact = new GpuOptions(false, Map.of(), Map.of("use_tf32", "0"));
    try (LoadedModel cuda = ort.load(onnx, new LoadOptions(Device.CUDA, 0, 1, false, exact))) {
      assumeTrue(cuda.device().equals("cuda:0"), "ORT's CUDA provider does not start here (the CPU ORT jar?)");
      Tensor out = cuda.run(inputs, Set.of("y")).get("y");
      assertTrue(GpuCheck.within(out, reference, GpuCheck.FP32_TOLERANCE), "max diff " + GpuCheck.maxDiff(out, reference));
      assertTrue(GpuCheck.batchEqualsRows(cuda, inputs, "y", out, GpuCheck.FP32_TOLERANCE));
    }
  }
}
