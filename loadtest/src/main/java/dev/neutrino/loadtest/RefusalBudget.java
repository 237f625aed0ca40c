package dev.neutrino.loadtest;

/**
 * What refusing cost a pinned server at twice its capacity, from its own CPU time: a served request
 * costs {@code servedCpuUs} of its cores (its cores over its capacity), a refusal what the rest of
 * the CPU it used in the open loop came to per refused request. With {@code r} = refusal / served,
 * goodput at twice capacity is at most {@code (1 - 2r) / (1 - r)} of capacity, whatever decides what
 * to refuse; 0.95 needs a refusal under 5 % of a served request.
 *
 * @param busyCores the server's CPU time over the open loop's wall time, in cores
 * @param servedCpuUs microseconds of the server's cores per request served at capacity
 * @param refusalCpuUs microseconds of its cores per refusal in the open loop; NaN without refusals
 * @param goodputBound {@code (1 - 2r) / (1 - r)}, 0 when refusals cost half a served request or more;
 *     NaN without refusals
 */
record RefusalBudget(double busyCores, double servedCpuUs, double refusalCpuUs, double goodputBound) {
  /**
   * @param cpuNanos the server's CPU time over the open loop
   * @param wallNanos the open loop's wall time
   * @param cores the cores the server is pinned to
   * @param capacityRps its capacity (closed loop)
   * @param goodputRps requests it served per second in the open loop
   * @param refusedRps requests it refused per second in the open loop
   * @throws IllegalArgumentException when a time, the cores or the capacity is not positive
   */
  static RefusalBudget of(long cpuNanos, long wallNanos, int cores, double capacityRps, double goodputRps,
      double refusedRps) {
    if (cpuNanos < 0 || wallNanos <= 0 || cores < 1 || !(capacityRps > 0)) {
      throw new IllegalArgumentException("a refusal budget needs CPU and wall time, cores and a capacity, got "
          + cpuNanos + " ns, " + wallNanos + " ns, " + cores + " core(s), " + capacityRps + " req/s");
    }
    double busy = (double) cpuNanos / wallNanos;
    double served = cores * 1e6 / capacityRps;
    if (!(refusedRps > 0)) {
      return new RefusalBudget(busy, served, Double.NaN, Double.NaN);
    }
    double refusal = Math.max(0, (busy * 1e6 - goodputRps * served) / refusedRps);
    double r = refusal / served;
    return new RefusalBudget(busy, served, refusal, r >= 0.5 ? 0 : (1 - 2 * r) / (1 - r));
  }
}
