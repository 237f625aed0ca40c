package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The idle rule on a clock the test moves: nothing here waits. */
class IdleUnloaderTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final IdleUnloader idle =
      new IdleUnloader(new IdleUnload(Duration.ofSeconds(30), Duration.ofSeconds(1), now::get));

  private void advance(Duration by) {
    now.addAndGet(by.toNanos());
  }

  @Test
  void aModelIsIdleOnceUnusedForItsWholeIdleTime() {
    idle.loaded("a", Duration.ofSeconds(30));
    advance(Duration.ofSeconds(30).minusNanos(1));
    assertEquals(List.of(), idle.idle(), "one nanosecond short of the idle time");
    advance(Duration.ofNanos(1));
    assertEquals(List.of("a"), idle.idle());
  }

  @Test
  void eachUseRestartsTheIdleTime() {
    idle.loaded("a", Duration.ofSeconds(30));
    idle.loaded("b", Duration.ofSeconds(30));
    advance(Duration.ofSeconds(20));
    idle.touch("a");
    advance(Duration.ofSeconds(20));
    assertEquals(List.of("b"), idle.idle(), "a was used 20 s ago, b 40 s ago");
    advance(Duration.ofSeconds(10));
    assertEquals(List.of("a", "b"), idle.idle());
  }

  @Test
  void zeroKeepsAModelLoadedAndUnloadedModelsAreForgotten() {
    idle.loaded("kept", Duration.ZERO);
    idle.loaded("gone", Duration.ofSeconds(1));
    idle.forget("gone");
    idle.touch("never-loaded");
    advance(Duration.ofDays(1));
    assertEquals(List.of(), idle.idle());
  }

  @Test
  void aModelsParameterOverridesThePolicy() {
    assertEquals(Duration.ofSeconds(30), idle.idleTime(Map.of()));
    assertEquals(Duration.ofSeconds(5), idle.idleTime(Map.of(IdleUnload.PARAMETER, "5")));
    assertEquals(Duration.ZERO, idle.idleTime(Map.of(IdleUnload.PARAMETER, "0")));
  }

  @Test
  void badParametersAreRefusedNamingTheParameter() {
    for (String bad : List.of("-1", "1.5", "soon", "", "999999999999")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> IdleUnloader.validate(Map.of(IdleUnload.PARAMETER, bad)));
      assertTrue(e.getMessage().contains(IdleUnload.PARAMETER) && e.getMessage().contains("'" + bad + "'"),
          e.getMessage());
    }
    IdleUnloader.validate(Map.of("other", "x"));
  }

  @Test
  void thePolicyRefusesNegativeTimes() {
    assertThrows(IllegalArgumentException.class, () -> IdleUnload.afterSeconds(-1));
    assertThrows(IllegalArgumentException.class,
        () -> new IdleUnload(Duration.ZERO, Duration.ZERO, System::nanoTime));
  }
}
