package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The best requests/s a server could reach when a request cost only the bare transport and the compute. */
class TransportAndComputeBoundTest {
  @Test
  void theTwoCostsPerRequestAdd() {
    // 40k req/s of transport alone (25 us of the machine each) and 100k rows/s of compute (10 us each)
    assertEquals(1e6 / 35, Bench.transportAndComputeBound(40_000, 100_000), 1e-6);
    // a transport as fast as the compute halves it
    assertEquals(50_000, Bench.transportAndComputeBound(100_000, 100_000), 1e-6);
  }

  @Test
  void anUnknownRateGivesNoBound() {
    assertEquals(0, Bench.transportAndComputeBound(0, 100_000));
    assertEquals(0, Bench.transportAndComputeBound(40_000, 0));
  }
}
