package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

/** The leak check every test class runs under is on, at its strictest, and sees a dropped buffer. */
class LeakDetectionTest {
  @Test
  void testsRunWithParanoidLeakDetection() {
    assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel());
  }

  @Test
  void aDroppedBufferIsReported() {
    drop();
    for (int i = 0; i < 50 && LeakRecordingDetector.LEAKS.isEmpty(); i++) {
      System.gc();
      UnpooledByteBufAllocator.DEFAULT.directBuffer(16).release();
    }
    boolean seen = LeakRecordingDetector.LEAKS.stream().anyMatch(leak -> leak.contains("LEAK"));
    LeakRecordingDetector.LEAKS.clear(); // this leak was on purpose
    assertTrue(seen, "the dropped buffer was not reported");
  }

  private static void drop() {
    ByteBuf leaked = UnpooledByteBufAllocator.DEFAULT.directBuffer(16);
    leaked.writeInt(1); // never released
  }
}
