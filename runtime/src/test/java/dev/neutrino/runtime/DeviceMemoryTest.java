package dev.neutrino.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeviceMemoryTest {

  @Test
  void growthIsAfterMinusBeforeOnTheGivenDevicesOnly() {
    Map<Integer, Long> before = Map.of(0, 100L, 1, 1_000L, 2, 50L);
    Map<Integer, Long> after = Map.of(0, 900L, 1, 1_250L, 2, 4_000L);
    assertEquals(Map.of(0, 800L, 1, 250L), DeviceMemory.growth(before, after, Set.of(0, 1)));
  }

  @Test
  void aDeviceThatShrankOrWasNotReadBothTimesIsLeftOut() {
    Map<Integer, Long> before = Map.of(0, 900L, 1, 10L);
    Map<Integer, Long> after = Map.of(0, 100L, 2, 10L);
    assertEquals(Map.of(), DeviceMemory.growth(before, after, Set.of(0, 1, 2)));
    assertEquals(Map.of(), DeviceMemory.growth(Map.of(), Map.of(), Set.of(0)));
  }

  @Test
  void theGpuIndexIsReadFromAnInstancesDevice() {
    assertEquals(0, DeviceMemory.gpuIndex("cuda:0"));
    assertEquals(3, DeviceMemory.gpuIndex("tensorrt:3"));
    assertEquals(-1, DeviceMemory.gpuIndex("cpu"));
    assertEquals(-1, DeviceMemory.gpuIndex("cuda:x"));
  }

  @Test
  void noGpusReadsNothing() {
    assertEquals(Map.of(), DeviceMemory.NONE.usedBytes());
  }
}
