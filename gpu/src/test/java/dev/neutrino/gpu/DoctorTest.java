package dev.neutrino.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code neutrino doctor} on this machine, which has no usable GPU (the tests assume so and skip otherwise). */
class DoctorTest {
  @TempDir Path dir;
  private Path repository;
  private Path cpuinfo;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void setUp() throws Exception {
    assumeFalse(GpuLibraries.cuda().usable(), "CUDA is usable here");
    repository = Files.createDirectories(dir.resolve("models"));
    cpuinfo = dir.resolve("cpuinfo");
    Files.writeString(cpuinfo, "processor\t: 0\nmodel name\t: Test CPU 9000\n"
        + "flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_vnni\n\nprocessor\t: 1\nflags\t\t: fpu\n");
  }

  private void model(String name, String config, String file) throws Exception {
    Path version = Files.createDirectories(repository.resolve(name).resolve("1"));
    if (config != null) {
      Files.writeString(repository.resolve(name).resolve("config.yaml"), config);
    }
    if (file.endsWith(".onnx")) {
      new OnnxModelBuilder(name)
          .input("x", DataType.FP32, -1, 4)
          .output("y", DataType.FP32, -1, 4)
          .node("Identity", List.of("x"), List.of("y"))
          .writeTo(version.resolve(file));
    } else {
      Files.write(version.resolve(file), new byte[] {0});
    }
  }

  private int run(String... args) {
    return Doctor.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String output() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void printsTheMachineAndWhichProvidersStart() {
    assertEquals(Doctor.OK, run("--cpuinfo", cpuinfo.toString()));
    String text = output();
    assertTrue(text.contains("JVM: "), text);
    assertTrue(text.contains("CPU: Test CPU 9000; features: sse4_2 avx avx2 fma avx512f avx512_vnni\n"), text);
    assertTrue(text.contains("ONNX Runtime CPU provider: starts"), text);
    assertTrue(text.contains("ONNX Runtime CUDA provider: does not start: "), text);
    assertTrue(text.contains("ONNX Runtime TensorRT provider: does not start: "), text);
    assertTrue(text.contains("CUDA: not usable: " + GpuLibraries.cuda().reason()), text);
    assertTrue(text.contains("GPUs: none found ("), text);
    assertTrue(text.contains("TensorRT: not usable: "), text);
  }

  @Test
  void modelsThatCanFallBackPassAndSaySo() throws Exception {
    model("cpu_model", null, "model.onnx");
    model("gpu_model", "instance_group:\n  - kind: KIND_GPU\n    count: 1\n", "model.onnx");
    model("trt_model", "optimization:\n  execution_accelerators:\n    gpu_execution_accelerator:\n"
        + "      - name: tensorrt\n        parameters: {precision_mode: FP16}\n"
        + "instance_group:\n  - kind: KIND_GPU\n", "model.onnx");
    assertEquals(Doctor.OK, run("--model-repository", repository.toString(), "--cpuinfo", cpuinfo.toString()));
    String text = output();
    assertTrue(text.contains("  cpu_model: CPU: runs\n"), text);
    assertTrue(text.contains("  gpu_model: GPU requested: falls back to the CPU (CUDA does not start)"), text);
    assertTrue(text.contains("  trt_model: GPU requested: falls back to the CPU (TensorRT does not start)"), text);
  }

  @Test
  void aStrictGpuModelMakesItExitOne() throws Exception {
    model("cpu_model", null, "model.onnx");
    model("strict_model", "instance_group:\n  - kind: KIND_GPU\nparameters:\n  strict_device: \"true\"\n",
        "model.onnx");
    assertEquals(Doctor.MISSING, run("--model-repository", repository.toString(), "--cpuinfo", cpuinfo.toString()));
    assertTrue(output().contains("  strict_model: MISSING ONNX Runtime's CUDA provider (strict_device): "), output());
  }

  @Test
  void anEngineWithoutOnnxBesideItMakesItExitOneAndWithOneItFallsBack() throws Exception {
    model("engine", "platform: tensorrt_plan\n", "model.plan");
    assertEquals(Doctor.MISSING, run("--model-repository", repository.toString(), "--cpuinfo", cpuinfo.toString()));
    assertTrue(output().contains("  engine: MISSING TensorRT ("), output());
    assertTrue(output().contains("no model.onnx to fall back to"), output());
    model("engine", null, "model.onnx");
    out.reset();
    assertEquals(Doctor.OK, run("--model-repository", repository.toString(), "--cpuinfo", cpuinfo.toString()));
    assertTrue(output().contains("  engine: TensorRT engine: falls back to model.onnx on the CPU"), output());
  }

  @Test
  void aRepositoryThatIsNotADirectoryIsAUsageError() {
    assertEquals(Doctor.USAGE, run("--model-repository", dir.resolve("absent").toString()));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("is not a directory"));
    assertEquals(Doctor.USAGE, run("--no-such-flag"));
  }

  @Test
  void aCpuWithoutVectorFeaturesSaysNoneOfThem() throws Exception {
    Files.writeString(cpuinfo, "model name\t: Old CPU\nflags\t\t: fpu\n");
    assertEquals(Doctor.OK, run("--cpuinfo", cpuinfo.toString()));
    assertTrue(output().contains("CPU: Old CPU; features: none of [sse4_2"), output());
  }
}
