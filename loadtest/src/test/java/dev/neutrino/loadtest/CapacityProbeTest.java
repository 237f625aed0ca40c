package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The capacity probe's rules and procedure over fabricated windows and a clock moved by hand: each
 * window advances the clock by its own length, so time limits are exact and nothing sleeps.
 */
class CapacityProbeTest {
  private static final Duration SECOND = Duration.ofSeconds(1);
  private static final long TARGET_US = 50_000;

  /** Closed-loop windows of 1 s for up to 10 s, 3 samples, up to maxSteps open windows of 0.5 + 1.5 s within 16 s. */
  private static CapacityProbe.Settings withWarmup(int maxSteps) {
    return new CapacityProbe.Settings(SECOND, 3, Duration.ofSeconds(10), Duration.ofMillis(500),
        Duration.ofMillis(1500), maxSteps, Duration.ofSeconds(16), TARGET_US);
  }

  /** As {@link #withWarmup} without the warm-up: the first three closed-loop windows are the samples. */
  private static CapacityProbe.Settings settings(int maxSteps) {
    return new CapacityProbe.Settings(SECOND, 3, Duration.ZERO, Duration.ofMillis(500), Duration.ofMillis(1500),
        maxSteps, Duration.ofSeconds(16), TARGET_US);
  }

  @Test
  void throughputStopsRisingWhenTheLastWindowsSetNoNewHigh() {
    assertFalse(CapacityProbe.stoppedRising(List.of(5000.0, 5000.0, 5000.0, 5000.0, 5000.0), 3),
        "three windows of warm-up at least before the last three");
    assertTrue(CapacityProbe.stoppedRising(List.of(1000.0, 2000.0, 3000.0, 3050.0, 3000.0, 3020.0), 3),
        "within 3 % of the best before");
    assertFalse(CapacityProbe.stoppedRising(List.of(1000.0, 2000.0, 2500.0, 2500.0, 2550.0, 3000.0), 3),
        "a new high at the end");
    assertFalse(CapacityProbe.stoppedRising(List.of(574.0, 1369.0, 2521.0, 2289.0, 2596.0, 3071.0), 3),
        "a gateway that held for two windows, then rose by half as the JIT's next tier arrived");
    assertTrue(CapacityProbe.stoppedRising(List.of(5000.0, 4000.0, 4100.0, 4000.0, 4050.0, 4020.0), 3),
        "a dip after a fast start is no rise");
    assertTrue(CapacityProbe.stoppedRising(List.of(1000.0, 2000.0, 3000.0, 2900.0), 1), "judges the last window alone");
  }

  @Test
  void windowsRunUntilThePlateauWhoseLastWindowsAreTheSamples() {
    FakeServer server = new FakeServer(List.of(3000.0, 8000.0, 11000.0, 12000.0, 12100.0, 12050.0, 12400.0),
        sustaining(12_000.0));

    CapacityProbe.Result result = new CapacityProbe(withWarmup(0), server::now).run(server);

    assertEquals(List.of(3000.0, 8000.0, 11000.0, 12000.0), result.warmupRps(),
        "12,000 was 9 % above 11,000: the plateau starts after it");
    assertEquals(List.of(12100.0, 12050.0, 12400.0), result.samplesRps());
    assertTrue(result.warmupSettled());
    assertEquals(4.0, result.warmupSeconds(), 1e-9, "four windows of 1 s by the clock before the samples");
    assertEquals(12100.0, result.capacityRps(), 1e-9);
    assertEquals(350.0 / 12100.0, result.spread(), 1e-9);
    assertTrue(result.valid());
    assertEquals(List.of("window 1", "window 2", "window 3", "window 4", "window 5", "window 6", "window 7"),
        server.labels);
  }

  @Test
  void throughputThatKeepsRisingEndsAtTheLimitWithItsLastWindowsAsSamples() {
    List<Double> rising = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      rising.add((double) Math.round(1000 * Math.pow(1.1, i)));
    }
    FakeServer server = new FakeServer(rising, sustaining(1.0));

    CapacityProbe.Result result = new CapacityProbe(withWarmup(0), server::now).run(server);

    assertEquals(10, server.labels.size(), "ten windows of 1 s fill the 10 s limit");
    assertFalse(result.warmupSettled());
    assertEquals(rising.subList(7, 10), result.samplesRps());
    assertEquals(rising.subList(0, 7), result.warmupRps());
    assertEquals(7.0, result.warmupSeconds(), 1e-9);
  }

  @Test
  void closedOnlyKeepsTheWindowsAndTakesNoOpenLoopStep() {
    CapacityProbe.Settings closed = withWarmup(4).closedOnly();
    assertEquals(0, closed.maxSteps());
    assertEquals(withWarmup(4).window(), closed.window());
    assertEquals(withWarmup(4).warmupLimit(), closed.warmupLimit());
    FakeServer server = new FakeServer(List.of(3000.0, 8000.0, 11000.0, 12000.0, 12100.0, 12050.0, 12400.0),
        sustaining(12_000.0));

    CapacityProbe.Result result = new CapacityProbe(closed, server::now).run(server);

    assertEquals(12100.0, result.capacityRps(), 1e-9);
    assertTrue(result.steps().isEmpty());
    assertEquals(7, server.labels.size(), "closed-loop windows only");
  }

  @Test
  void withoutAWarmUpTheFirstWindowsAreTheSamples() {
    FakeServer server = new FakeServer(List.of(900.0, 1000.0, 1100.0), sustaining(1.0));
    CapacityProbe.Settings none = new CapacityProbe.Settings(SECOND, 3, Duration.ZERO, Duration.ZERO, SECOND, 0,
        Duration.ZERO, 0);

    CapacityProbe.Result result = new CapacityProbe(none, server::now).run(server);

    assertTrue(result.warmupRps().isEmpty());
    assertEquals(0.0, result.warmupSeconds());
    assertTrue(result.warmupSettled());
    assertEquals(1000.0, result.capacityRps(), 1e-9);
    assertTrue(result.steps().isEmpty());
    assertTrue(result.sustainedRps().isEmpty());
  }

  @Test
  void medianAndSpreadOfSamples() {
    assertEquals(2.0, CapacityProbe.median(List.of(3.0, 1.0, 2.0)));
    assertEquals(2.5, CapacityProbe.median(List.of(4.0, 1.0, 2.0, 3.0)));
    assertEquals(0.0, CapacityProbe.median(List.of()));
    assertEquals(0.5, CapacityProbe.spread(List.of(8.0, 10.0, 13.0)), 1e-12);
    assertEquals(0.0, CapacityProbe.spread(List.of(10.0)), "one sample has no spread");
    assertEquals(0.0, CapacityProbe.spread(List.of(0.0, 0.0, 5.0)), "no spread over a zero median");
  }

  @Test
  void searchRisesWhileGoodThenBisectsBelowTheFirstBadRate() {
    // 11,125 is answered in full but late: its p99 over the target makes it bad.
    FakeServer server = new FakeServer(samplesOf(10_000.0), sustaining(11_000.0));

    CapacityProbe.Result result = new CapacityProbe(settings(4), server::now).run(server);

    assertEquals(List.of(10_000.0, 11_500.0, 10_750.0, 11_125.0), server.rates);
    assertEquals(List.of(true, false, true, false), result.steps().stream().map(CapacityProbe.Step::good).toList());
    assertEquals(10_750.0, result.sustainedRps().getAsDouble(), 1e-9);
    assertEquals(10_000.0, result.capacityRps(), 1e-9, "the search does not change the capacity");
  }

  @Test
  void searchEndsWhenTheBracketIsWithinItsResolution() {
    FakeServer server = new FakeServer(samplesOf(10_000.0), sustaining(11_000.0));

    CapacityProbe.Result result = new CapacityProbe(settings(10), server::now).run(server);

    assertEquals(List.of(10_000.0, 11_500.0, 10_750.0, 11_125.0), server.rates,
        "11,125 is within 4 % above 10,750: six more steps allowed, none taken");
    assertEquals(10_750.0, result.sustainedRps().getAsDouble(), 1e-9);
  }

  @Test
  void searchFallsWhileTheRatesAreNotSustained() {
    FakeServer server = new FakeServer(samplesOf(10_000.0), sustaining(8_000.0));

    CapacityProbe.Result result = new CapacityProbe(settings(4), server::now).run(server);

    assertEquals(List.of(10_000.0, 8_500.0, 7_225.0, 7_862.5), server.rates);
    assertEquals(7_862.5, result.sustainedRps().getAsDouble(), 1e-9);
  }

  @Test
  void searchStartsNoWindowThatWouldEndAfterItsLimit() {
    FakeServer server = new FakeServer(samplesOf(10_000.0), sustaining(20_000.0));
    CapacityProbe.Settings limited = new CapacityProbe.Settings(SECOND, 3, Duration.ZERO, Duration.ofMillis(500),
        Duration.ofMillis(1500), 10, Duration.ofSeconds(5), TARGET_US);

    CapacityProbe.Result result = new CapacityProbe(limited, server::now).run(server);

    assertEquals(2, result.steps().size(), "two windows of 2 s fit in 5 s, a third would end at 6 s");
  }

  @Test
  void aRateIsGoodWithItsGoodputAndTheP99OfAdmittedRequestsInBounds() {
    assertTrue(CapacityProbe.good(open(10_000, 9_800, 40_000), TARGET_US));
    assertFalse(CapacityProbe.good(open(10_000, 9_500, 40_000), TARGET_US), "goodput under 0.97x offered");
    assertFalse(CapacityProbe.good(open(10_000, 10_000, 60_000), TARGET_US), "p99 over the target");
    assertTrue(CapacityProbe.good(open(10_000, 10_000, 60_000), 0), "no target: p99 is not judged");
    assertFalse(CapacityProbe.good(open(10_000, 10_000, 1_000).invalid("generator saturated"), TARGET_US),
        "a window that measured the generator says nothing of the server");
  }

  @Test
  void aSampleThatMeasuredTheGeneratorMakesTheCapacityInvalid() {
    FakeServer server = new FakeServer(samplesOf(10_000.0), sustaining(20_000.0));
    server.invalidWindow = 2;
    CapacityProbe.Settings noWarmup = new CapacityProbe.Settings(SECOND, 3, Duration.ZERO, Duration.ZERO, SECOND, 0,
        Duration.ZERO, 0);

    CapacityProbe.Result result = new CapacityProbe(noWarmup, server::now).run(server);

    assertFalse(result.valid());
    assertTrue(result.invalidReason().contains("sample 2") && result.invalidReason().contains("generator saturated"),
        result.invalidReason());
  }

  @Test
  void anOpenWindowThatMeasuredTheGeneratorEndsTheSearch() {
    FakeServer server = new FakeServer(samplesOf(10_000.0), sustaining(20_000.0));
    server.invalidOpen = true;

    CapacityProbe.Result result = new CapacityProbe(settings(4), server::now).run(server);

    assertEquals(1, result.steps().size());
    assertFalse(result.steps().get(0).good());
    assertTrue(result.sustainedRps().isEmpty());
    assertTrue(result.valid(), "the capacity itself was measured");
  }

  @Test
  void settingsRefuseWhatCannotRun() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new CapacityProbe.Settings(SECOND, 3,
        Duration.ofSeconds(-1), Duration.ZERO, SECOND, 4, SECOND, 0)).getMessage().contains("negative"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new CapacityProbe.Settings(SECOND, 0, SECOND,
        Duration.ZERO, SECOND, 4, SECOND, 0)).getMessage().contains("at least 1 sample"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new CapacityProbe.Settings(Duration.ZERO, 3, SECOND,
        Duration.ZERO, SECOND, 4, SECOND, 0)).getMessage().contains("closed-loop window"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new CapacityProbe.Settings(SECOND, 3, SECOND,
        Duration.ZERO, Duration.ZERO, 4, SECOND, 0)).getMessage().contains("open-loop window"));
  }

  @Test
  void theBenchsProbeScalesWithWarmupAndDuration() {
    CapacityProbe.Settings s = CapacityProbe.Settings.of(SECOND, Duration.ofSeconds(3), TARGET_US);

    assertEquals(SECOND, s.window());
    assertEquals(Duration.ofSeconds(15), s.warmupLimit());
    assertEquals(Duration.ofMillis(500), s.stepWarmup());
    assertEquals(SECOND, s.stepWindow());
    assertEquals(Duration.ofSeconds(9), s.stepLimit(), "1.5 times the four windows' 1.5 s");
    assertEquals(1.15 * 1.15 * 1.15, s.highestRateFactor(), 1e-12, "three steps up from the first rate");
    assertEquals(Duration.ZERO, CapacityProbe.Settings.of(Duration.ZERO, SECOND, 0).warmupLimit(), "--warmup 0");
  }

  // ---------------------------------------------------------------------------------------------

  private static List<Double> samplesOf(double rps) {
    return List.of(rps, rps, rps);
  }

  /** A server that answers every rate up to {@code capacity} within 5 ms, and above it only that much, late. */
  private static DoubleFunction<double[]> sustaining(double capacity) {
    return rate -> rate <= capacity ? new double[] {rate, 5_000} : new double[] {capacity, 800_000};
  }

  private static LevelResult open(double offered, double goodput, long p99) {
    return result(LoadSpec.open(offered, LoadSpec.Distribution.POISSON, Duration.ZERO, SECOND), 1.0,
        Math.round(offered), Math.round(goodput), p99);
  }

  private static LevelResult result(LoadSpec spec, double seconds, long requests, long ok, long p99) {
    return new LevelResult(spec, seconds, seconds, requests, ok,
        requests > ok ? Map.of("429", requests - ok) : Map.of(),
        new LatencySummary(ok, p99 / 4, p99 / 2, p99, p99, p99, p99 / 4.0), LatencySummary.EMPTY, LatencySummary.EMPTY,
        ServerStats.NONE, 0.1);
  }

  /**
   * Closed-loop windows measure the given throughputs in turn; an open window at a rate measures what
   * {@code open} says ({goodput, p99 us}). Every window moves the clock by its length.
   */
  private static final class FakeServer implements CapacityProbe.Windows {
    private final Iterator<Double> closed;
    private final DoubleFunction<double[]> open;
    final List<String> labels = new ArrayList<>();
    final List<Double> rates = new ArrayList<>();
    int invalidWindow;
    boolean invalidOpen;
    private long nanos = 1_000_000_000L;

    FakeServer(List<Double> closed, DoubleFunction<double[]> open) {
      this.closed = closed.iterator();
      this.open = open;
    }

    long now() {
      return nanos;
    }

    @Override
    public LevelResult closed(String label, Duration window) {
      labels.add(label);
      nanos += window.toNanos();
      double seconds = window.toNanos() / 1e9;
      long ok = Math.round(closed.next() * seconds);
      LevelResult r = result(LoadSpec.closed(64, Duration.ZERO, window), seconds, ok, ok, 4_000);
      return label.equals("window " + invalidWindow) ? r.invalid("generator saturated: the generator used 0.95 "
          + "of its 1 core(s)") : r;
    }

    @Override
    public LevelResult open(String label, double rate, Duration warmup, Duration window) {
      labels.add(label);
      rates.add(rate);
      nanos += warmup.plus(window).toNanos();
      double seconds = window.toNanos() / 1e9;
      double[] answer = open.apply(rate);
      LevelResult r = result(LoadSpec.open(rate, LoadSpec.Distribution.POISSON, warmup, window), seconds,
          Math.round(rate * seconds), Math.round(answer[0] * seconds), (long) answer[1]);
      return invalidOpen ? r.invalid("generator saturated: the open loop fell behind its schedule") : r;
    }
  }
}
