package dev.neutrino.loadtest.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The kernel's part of the threads' CPU time over a window, from two snapshots. */
class CpuSnapshotTest {
  @Test
  void theKernelPartIsEachThreadsCpuLessItsUserTimeWithoutTheGenerators() {
    CpuSnapshot before = new CpuSnapshot(0, Map.of(1L, 1_000L, 2L, 5_000L, 3L, 100L),
        Map.of(1L, 800L, 2L, 4_000L, 3L, 100L), Map.of());
    // Thread 1: 9,000 ns of CPU, 6,200 of them in user mode. Thread 2 belongs to the generator. Thread 3's
    // clocks disagree by a tick (more user time than CPU time): it counts 0. Thread 4 started in between.
    CpuSnapshot after = new CpuSnapshot(0, Map.of(1L, 10_000L, 2L, 50_000L, 3L, 200L, 4L, 3_000L),
        Map.of(1L, 7_000L, 2L, 10_000L, 3L, 250L, 4L, 2_500L), Map.of());

    assertEquals(2_800 + 0 + 500, after.kernelSince(before, id -> id == 2L));
    assertEquals(2_800 + 39_000 + 0 + 500, after.kernelSince(before, id -> false));
  }

  @Test
  void theKernelTimeOfThisJvmsThreadsGrowsWithTheirSystemCalls() throws Exception {
    CpuSnapshot before = CpuSnapshot.take();
    // Every write is a system call. The kernel accounts its time to the thread by ticks, so the writes go
    // on until a tick has fallen inside one (the bound only stops a broken clock from hanging the test).
    Path file = Files.createTempFile("neutrino-kernel", ".bin");
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocateDirect(1);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      CpuSnapshot now;
      do {
        for (int i = 0; i < 20_000; i++) {
          one.clear();
          channel.write(one, 0);
        }
        now = CpuSnapshot.take();
      } while (now.kernelSince(before, id -> false) == 0 && System.nanoTime() < deadline);
      assertTrue(now.kernelSince(before, id -> false) > 0, "no kernel time after the writes");
      assertTrue(now.threadUserNanos().keySet().equals(now.threadNanos().keySet()), "user time for every thread");
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
