package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What refusing cost a server at twice its capacity, read from its CPU time. */
class RefusalBudgetTest {
  @Test
  void theCpuLeftAfterTheServedRequestsIsWhatTheRefusalsCost() {
    // one core, capacity 10k/s (100 us a request); at 20k/s offered it served 6k/s and refused 14k/s on a busy core
    RefusalBudget budget = RefusalBudget.of(2_000_000_000L, 2_000_000_000L, 1, 10_000, 6_000, 14_000);
    assertEquals(1.0, budget.busyCores(), 1e-9);
    assertEquals(100, budget.servedCpuUs(), 1e-9);
    assertEquals(400_000.0 / 14_000, budget.refusalCpuUs(), 1e-9);
    // the bound is the goodput such costs leave on a saturated core: 0.6 of capacity here
    assertEquals(0.6, budget.goodputBound(), 1e-9);
  }

  @Test
  void aCheapRefusalLeavesRoomForNearlyAllOfCapacity() {
    // refusals at 5 % of a served request
    RefusalBudget budget = RefusalBudget.of(1_000_000_000L, 1_000_000_000L, 1, 10_000, 10_000 * (0.9 / 0.95),
        20_000 - 10_000 * (0.9 / 0.95));
    assertEquals(5, budget.refusalCpuUs(), 1e-6);
    assertEquals(0.9 / 0.95, budget.goodputBound(), 1e-9);
  }

  @Test
  void refusalsCostingHalfAServedRequestLeaveNoBound() {
    RefusalBudget budget = RefusalBudget.of(1_000_000_000L, 1_000_000_000L, 1, 10_000, 0, 20_000);
    assertEquals(50, budget.refusalCpuUs(), 1e-9);
    assertEquals(0, budget.goodputBound());
  }

  @Test
  void withoutRefusalsThereIsNothingToDivide() {
    RefusalBudget budget = RefusalBudget.of(500_000_000L, 1_000_000_000L, 2, 10_000, 5_000, 0);
    assertEquals(0.5, budget.busyCores(), 1e-9);
    assertEquals(200, budget.servedCpuUs(), 1e-9);
    assertTrue(Double.isNaN(budget.refusalCpuUs()) && Double.isNaN(budget.goodputBound()));
  }

  @Test
  void aBudgetNeedsTimesCoresAndACapacity() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RefusalBudget.of(1, 0, 1, 10_000, 1, 1));
    assertTrue(e.getMessage().contains("0 ns"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> RefusalBudget.of(1, 1, 0, 10_000, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> RefusalBudget.of(1, 1, 1, 0, 1, 1));
  }
}
