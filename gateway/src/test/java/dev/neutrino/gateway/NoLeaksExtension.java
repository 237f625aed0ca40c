package dev.neutrino.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reported a leaked buffer while it ran (the tests run with
 * {@code -Dio.netty.leakDetection.level=paranoid}, so every buffer is tracked). Registered for every
 * test class of the module through the service loader (junit-platform.properties turns autodetection
 * on). Cheap: one collection and a few small buffers after each class.
 */
public final class NoLeaksExtension implements AfterAllCallback {
  @Override
  public void afterAll(ExtensionContext context) {
    if (LeakRecordingDetector.LEAKS.isEmpty()) {
      // Netty reports a leak when a later allocation finds its buffer collected: collect, then allocate.
      System.gc();
      for (int i = 0; i < 4; i++) {
        release(PooledByteBufAllocator.DEFAULT.directBuffer(16));
        release(PooledByteBufAllocator.DEFAULT.heapBuffer(16));
        release(UnpooledByteBufAllocator.DEFAULT.directBuffer(16));
      }
    }
    List<String> leaks = new ArrayList<>(LeakRecordingDetector.LEAKS);
    LeakRecordingDetector.LEAKS.clear();
    if (!leaks.isEmpty()) {
      throw new AssertionError(leaks.size() + " Netty buffer leak(s) while " + context.getDisplayName()
          + " ran:\n" + String.join("\n", leaks));
    }
  }

  private static void release(ByteBuf buffer) {
    buffer.release();
  }
}
