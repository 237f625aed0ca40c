package dev.neutrino.gpu.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.neutrino.gpu.GpuLibraries;
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

class TrtCommandTest {
  @TempDir Path dir;
  private Path onnx;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void setUp() throws Exception {
    onnx = dir.resolve("model.onnx");
    new OnnxModelBuilder("identity")
        .input("x", DataType.FP32, -1, 4)
        .output("y", DataType.FP32, -1, 4)
        .node("Identity", List.of("x"), List.of("y"))
        .writeTo(onnx);
  }

  private int run(String... args) {
    return TrtCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), GpuLibraries.tensorrt());
  }

  private String errors() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void withoutTensorRtTheBuildExitsThreeSayingWhy() {
    assumeFalse(GpuLibraries.tensorrt().usable(), "TensorRT is usable here");
    Path plan = dir.resolve("model.plan");
    assertEquals(TrtCommand.UNAVAILABLE, run("build", onnx.toString(), "--fp16", "--batch", "1:8:64", "--out",
        plan.toString()));
    assertTrue(errors().contains("TensorRT is not usable here: " + GpuLibraries.tensorrt().reason()), errors());
    assertFalse(Files.exists(plan));
  }

  @Test
  void int8WithoutCalibrationIsAUsageError() {
    assertEquals(TrtCommand.USAGE, run("build", onnx.toString(), "--int8", "--out", "x.plan"));
    assertTrue(errors().contains("--int8 needs --calibration"), errors());
  }

  @Test
  void aBadBatchProfileIsAUsageErrorNamingIt() {
    assertEquals(TrtCommand.USAGE, run("build", onnx.toString(), "--batch", "64:8:1", "--out", "x.plan"));
    assertTrue(errors().contains("--batch must be MIN:OPT:MAX"), errors());
  }

  @Test
  void missingOutOrModelIsAUsageError() {
    assertEquals(TrtCommand.USAGE, run("build", onnx.toString()));
    assertTrue(errors().contains("--out"), errors());
    assertEquals(TrtCommand.USAGE, run("build", dir.resolve("absent.onnx").toString(), "--out", "x.plan"));
    assertTrue(errors().contains("is not a file"), errors());
    assertEquals(TrtCommand.USAGE, run());
  }

  @Test
  void aMissingCalibrationFileIsAUsageError() {
    assertEquals(TrtCommand.USAGE, run("build", onnx.toString(), "--int8", "--calibration",
        dir.resolve("absent.cache").toString(), "--out", "x.plan"));
    assertTrue(errors().contains("--calibration"), errors());
  }
}
