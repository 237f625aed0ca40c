package dev.neutrino.loadtest.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The GC's and the JIT's threads by the names HotSpot gives them, and their ticks from a stat line. */
class VmThreadsTest {
  @Test
  void namesTheCompilersAndTheCollectors() {
    assertEquals(Stage.JIT, VmThreads.stageOf("C2 CompilerThre"));
    assertEquals(Stage.JIT, VmThreads.stageOf("C1 CompilerThre"));
    assertEquals(Stage.GC, VmThreads.stageOf("GC Thread#0"));
    assertEquals(Stage.GC, VmThreads.stageOf("G1 Conc#0"));
    assertEquals(Stage.GC, VmThreads.stageOf("VM Thread"));
    assertNull(VmThreads.stageOf("vert.x-eventloo"));
    assertNull(VmThreads.stageOf("VM Periodic Tas"));
  }

  @Test
  void addsUserAndSystemTicks() {
    // the fields after "(name)" of a Linux stat line: state, ppid, pgrp, session, tty, tpgid, flags,
    // minflt, cminflt, majflt, cmajflt, utime, stime, ...
    assertEquals(120 + 7, VmThreads.ticks(" S 1 1 1 0 -1 4194368 5 0 0 0 120 7 0 0 20 0 40 0 100"));
  }

  @Test
  void readsThisJvmsCompilersOnLinux() {
    if (!java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc/self/task"))) {
      assertTrue(VmThreads.read().isEmpty(), "nothing is read where the OS does not say");
      return;
    }
    // The test framework's start alone keeps the JIT compilers busy for far more than one tick.
    assertTrue(VmThreads.read().getOrDefault(Stage.JIT, 0L) > 0, VmThreads.read().toString());
  }

  /** Another JVM's compilers, by its process id: the bench's pinned servers. */
  @Test
  void readsAnotherProcesssCompilersByItsId() throws Exception {
    long self = ProcessHandle.current().pid();
    if (!java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc", Long.toString(self), "task"))) {
      assertTrue(VmThreads.read(self).isEmpty(), "nothing is read where the OS does not say");
      return;
    }
    long before = VmThreads.read().getOrDefault(Stage.JIT, 0L);
    long byId = VmThreads.read(self).getOrDefault(Stage.JIT, 0L);
    assertTrue(byId >= before && byId > 0, before + " then " + byId);
    Process ended = new ProcessBuilder("true").start();
    ended.waitFor();
    assertTrue(VmThreads.read(ended.pid()).isEmpty(), "a process that is gone has no compilers");
    assertEquals(-1L, CpuProfiler.jitCpuNanos(ended.pid()));
  }
}
