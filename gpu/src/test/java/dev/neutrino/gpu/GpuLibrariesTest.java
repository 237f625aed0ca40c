package dev.neutrino.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.List;
import org.junit.jupiter.api.Test;

class GpuLibrariesTest {

  @Test
  void absentCudaIsProbedOnceAndAnsweredWithAReason() {
    GpuLibraries.Availability cuda = GpuLibraries.cuda();
    assumeFalse(cuda.usable(), "CUDA is usable here");
    assertSame(cuda, GpuLibraries.cuda(), "the probe's answer is kept, not repeated");
    assertFalse(cuda.reason().isBlank());
    assertFalse(cuda.reason().contains("java.library.path"), cuda.reason());
    assertEquals(cuda.reason(), cuda.whyNot().orElseThrow());
  }

  @Test
  void tensorRtWithoutCudaSaysItNeedsCuda() {
    assumeFalse(GpuLibraries.cuda().usable(), "CUDA is usable here");
    GpuLibraries.Availability tensorrt = GpuLibraries.tensorrt();
    assertFalse(tensorrt.usable());
    assertTrue(tensorrt.reason().startsWith("TensorRT needs CUDA: "), tensorrt.reason());
  }

  @Test
  void monitorWithoutNvmlReadsNothingAndSaysWhy() {
    GpuMonitor monitor = GpuMonitor.nvml();
    assumeFalse(monitor.present(), "NVML is usable here");
    assertEquals(List.of(), monitor.read());
    assertFalse(monitor.whyAbsent().isBlank());
  }

  @Test
  void aMissingPresetClassMeansTheCpuBuild() {
    GpuLibraries.Availability missing = GpuLibraries.probe("CUDA", () -> {
      throw new NoClassDefFoundError("org/bytedeco/cuda/global/cudart");
    });
    assertFalse(missing.usable());
    assertEquals(GpuLibraries.NOT_IN_THIS_BUILD, missing.reason());
  }

  @Test
  void aNativeLoadFailureIsReportedWithoutTheSearchedPaths() {
    GpuLibraries.Availability missing = GpuLibraries.probe("CUDA", () -> {
      throw new UnsatisfiedLinkError("no jnicudart in java.library.path: /usr/java/packages/lib:/usr/lib64");
    });
    assertFalse(missing.usable());
    assertEquals("CUDA cannot be loaded: no jnicudart in the library path", missing.reason());
    GpuLibraries.Availability unpacked = GpuLibraries.probe("CUDA", () -> {
      throw new UnsatisfiedLinkError("/root/.javacpp/cache/gpu.jar/org/bytedeco/cuda/linux-x86_64/libjnicudart.so:"
          + " libcuda.so.1: cannot open shared object file: No such file or directory");
    });
    assertEquals("CUDA cannot be loaded: libjnicudart.so: libcuda.so.1: cannot open shared object file:"
        + " No such file or directory", unpacked.reason());
  }

  @Test
  void aFailedCallIsReportedByItsMessage() {
    GpuLibraries.Availability missing = GpuLibraries.probe("CUDA", () -> {
      throw new GpuException("CUDA: no GPU is present");
    });
    assertEquals("CUDA: no GPU is present", missing.reason());
    GpuLibraries.Availability present = GpuLibraries.probe("CUDA", () -> "runtime 13.1, driver 13.1");
    assertTrue(present.usable());
    assertEquals("runtime 13.1, driver 13.1", present.version());
  }
}
