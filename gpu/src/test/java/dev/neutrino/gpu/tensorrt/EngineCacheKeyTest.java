package dev.neutrino.gpu.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EngineCacheKeyTest {
  private static final String ONNX = EngineCacheKey.sha256("model bytes".getBytes(StandardCharsets.UTF_8));
  private static final EngineCacheKey BASE =
      new EngineCacheKey("NVIDIA H100 80GB HBM3", "9.0", "10.15.1", ONNX, EngineBuildOptions.defaults());

  @Test
  void sameInputsGiveTheSameFile() {
    EngineCacheKey again =
        new EngineCacheKey("NVIDIA H100 80GB HBM3", "9.0", "10.15.1", ONNX, EngineBuildOptions.defaults());
    assertEquals(BASE.fileName(), again.fileName());
  }

  @Test
  void fileNameSaysWhichGpuAndTensorRtItIsFor() {
    assertTrue(BASE.fileName().startsWith("nvidia-h100-80gb-hbm3-sm9.0-trt10.15.1-"), BASE.fileName());
    assertTrue(BASE.fileName().endsWith(".plan"));
  }

  @Test
  void everyPartOfTheKeyChangesTheFile() {
    List<EngineCacheKey> others = List.of(
        new EngineCacheKey("NVIDIA A100-SXM4-40GB", "9.0", "10.15.1", ONNX, EngineBuildOptions.defaults()),
        new EngineCacheKey("NVIDIA H100 80GB HBM3", "8.0", "10.15.1", ONNX, EngineBuildOptions.defaults()),
        new EngineCacheKey("NVIDIA H100 80GB HBM3", "9.0", "10.16.0", ONNX, EngineBuildOptions.defaults()),
        new EngineCacheKey("NVIDIA H100 80GB HBM3", "9.0", "10.15.1",
            EngineCacheKey.sha256("other bytes".getBytes(StandardCharsets.UTF_8)), EngineBuildOptions.defaults()),
        new EngineCacheKey("NVIDIA H100 80GB HBM3", "9.0", "10.15.1", ONNX,
            new EngineBuildOptions(true, false, null, 1, 8, 64, 0)),
        new EngineCacheKey("NVIDIA H100 80GB HBM3", "9.0", "10.15.1", ONNX,
            EngineBuildOptions.defaults().withBatch("1:16:64")),
        new EngineCacheKey("NVIDIA H100 80GB HBM3", "9.0", "10.15.1", ONNX,
            new EngineBuildOptions(false, true, Path.of("calibration.cache"), 1, 8, 64, 0)));
    for (EngineCacheKey other : others) {
      assertNotEquals(BASE.fileName(), other.fileName(), other.canonical());
    }
  }

  @Test
  void batchProfileIsReadAsMinOptMax() {
    EngineBuildOptions options = EngineBuildOptions.defaults().withBatch("2:8:32");
    assertEquals(2, options.minBatch());
    assertEquals(8, options.optBatch());
    assertEquals(32, options.maxBatch());
  }

  @Test
  void badBatchProfilesAndInt8WithoutCalibrationAreRefusedByName() {
    assertThrows(IllegalArgumentException.class, () -> EngineBuildOptions.defaults().withBatch("8:1:64"));
    assertThrows(IllegalArgumentException.class, () -> EngineBuildOptions.defaults().withBatch("1:8"));
    assertThrows(IllegalArgumentException.class, () -> EngineBuildOptions.defaults().withBatch("1:x:64"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new EngineBuildOptions(false, true, null, 1, 8, 64, 0));
    assertTrue(e.getMessage().contains("--calibration"), e.getMessage());
  }
}
