package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.loadtest.profile.JitSettling;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Why a pinned server's overload figures are not its own when its compilers never settled. */
class OverloadValidityTest {
  @Test
  void anUnsettledWarmUpNamesTheCompilersLastShare() {
    JitSettling.Result jit = new JitSettling.Result(List.of(0.92, 0.94, 0.61));
    String reason = Bench.unsettled(jit);
    assertTrue(reason.contains("61 % of a core in its last round"), reason);
    assertTrue(reason.contains("JIT compilers were still busy"), reason);
  }

  @Test
  void compilersThatSettledOrCouldNotBeReadSayNothingAgainstTheServer() {
    assertNull(Bench.unsettled(new JitSettling.Result(List.of(0.9, 0.01))));
    assertNull(Bench.unsettled(new JitSettling.Result(List.of())));
  }
}
