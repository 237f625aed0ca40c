package dev.neutrino.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.IntToLongFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Learning what batches cost from observations, and what the curve concludes. */
class CostModelTest {
  private static final long US = 1000;
  private static final long T0 = FakeTicker.START;

  /** Dense MLP-like: a fixed cost that dominates, a little per row. */
  static final IntToLongFunction PAYS = rows -> 1000 * US + 10 * US * rows;
  /** Cost in proportion to size. */
  static final IntToLongFunction PROPORTIONAL = rows -> 200 * US * rows;
  /** Worse than proportional: 32 rows cost more than 32 single runs. */
  static final IntToLongFunction SUPERLINEAR = rows -> (long) (200 * US * Math.pow(rows, 1.3));

  private static CostModel trained(IntToLongFunction cost, int... sizes) {
    CostModel model = new CostModel(32);
    for (int round = 0; round < 3; round++) {
      for (int size : sizes) {
        model.observe(size, cost.applyAsLong(size), T0);
      }
    }
    return model;
  }

  static Stream<Arguments> curves() {
    return Stream.of(
        Arguments.of("batching pays", PAYS, true, 32),
        Arguments.of("proportional", PROPORTIONAL, false, 1),
        Arguments.of("superlinear", SUPERLINEAR, false, 1));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("curves")
  void learnsWhetherBatchingPaysAndWhereToStop(String name, IntToLongFunction cost, boolean pays, int cap) {
    CostCurve curve = trained(cost, 1, 2, 4, 8, 16, 32).curve();
    assertTrue(curve.established());
    assertEquals(pays, curve.batchingPays(), name);
    assertEquals(cap, curve.batchCap(), name);
    for (int size : new int[] {1, 2, 4, 8, 16, 32}) {
      assertEquals(cost.applyAsLong(size), curve.predict(size), 1.0, name + " at " + size);
    }
  }

  @Test
  void aReadSeesEveryObservationWhetherOrNotTheFitRanSince() {
    CostModel eager = new CostModel(32);
    CostModel lazy = new CostModel(32);
    long now = T0;
    int[] sizes = {1, 4, 2, 8, 1, 16};
    for (int i = 0; i < sizes.length; i++) {
      now += 300 * US * (i + 1);
      eager.observe(sizes[i], PAYS.applyAsLong(sizes[i]), now);
      eager.refit();
      lazy.observe(sizes[i], PAYS.applyAsLong(sizes[i]), now);
      if (i % 2 == 1) {
        CostCurve read = lazy.curve();
        CostCurve fitted = eager.curve();
        for (int b = 1; b <= 32; b++) {
          assertEquals(fitted.predict(b), read.predict(b), "after " + (i + 1) + " observations, at " + b);
        }
      }
    }
    assertTrue(lazy.curve().established());
    assertEquals(PAYS.applyAsLong(16), lazy.curve().predict(16), 1.0);
  }

  @Test
  void interpolatesBetweenAndExtrapolatesBeyondMeasuredSizes() {
    CostCurve curve = trained(PAYS, 2, 8).curve();
    assertEquals(PAYS.applyAsLong(5), curve.predict(5), 1.0, "between");
    assertEquals(PAYS.applyAsLong(32), curve.predict(32), 1.0, "above, along the fitted slope");
    assertEquals(PAYS.applyAsLong(1), curve.predict(1), 1.0, "below, along the fitted slope");
    assertTrue(curve.batchingPays());
  }

  @Test
  void belowTheSmallestSizeNeverPredictsLessThanProportional() {
    CostCurve curve = trained(PROPORTIONAL, 8, 16).curve();
    assertEquals(PROPORTIONAL.applyAsLong(4), curve.predict(4), 1.0);
  }

  @Test
  void oneMeasuredSizeIsNotEstablishedAndExtrapolatesProportionally() {
    CostCurve curve = trained(PAYS, 1).curve();
    assertFalse(curve.established());
    assertEquals(4 * PAYS.applyAsLong(1), curve.predict(4), 1.0);
    assertTrue(new CostModel(8).curve().isEmpty());
  }

  @Test
  void costNeverShrinksWithSize() {
    CostModel model = new CostModel(8);
    model.observe(2, 500 * US, T0);
    model.observe(4, 300 * US, T0); // noise: measured cheaper than a smaller batch
    CostCurve curve = model.curve();
    for (int size = 2; size <= 8; size++) {
      assertTrue(curve.predict(size) >= curve.predict(size - 1), "at " + size);
    }
  }

  @Test
  void oneOutlierDoesNotPoisonASize() {
    CostModel model = new CostModel(8);
    for (int i = 0; i < 8; i++) {
      model.observe(1, 100 * US, T0);
    }
    model.observe(1, 100_000 * US, T0); // a GC pause
    assertTrue(model.curve().predict(1) < 200 * US, "predicted " + model.curve().predict(1));
  }

  @Test
  void followsACostThatChanges() {
    CostModel model = new CostModel(8);
    for (int i = 0; i < 8; i++) {
      model.observe(1, 100 * US, T0);
    }
    for (int i = 0; i < 40; i++) {
      model.observe(1, 300 * US, T0);
    }
    assertEquals(300 * US, model.curve().predict(1), 5 * US);
  }

  @Test
  void aStaleCostIsReplacedByWhatTheMachineDoesNow() {
    CostModel model = new CostModel(8);
    for (int i = 0; i < 8; i++) {
      model.observe(1, 1000 * US, T0); // measured under heavy contention
    }
    model.observe(1, 100 * US, T0 + 10 * CostModel.TIME_CONSTANT_NANOS);
    assertEquals(100 * US, model.curve().predict(1), 1 * US, "within 1%: the old evidence has all but faded");
  }

  @Test
  void decayLetsAnInflatedCurveRecover() {
    IntToLongFunction inflated = rows -> 10 * PAYS.applyAsLong(rows);
    CostModel model = new CostModel(32);
    for (int round = 0; round < 8; round++) {
      for (int size : new int[] {1, 2, 4, 8, 16, 32}) {
        model.observe(size, inflated.applyAsLong(size), T0);
      }
    }
    long later = T0 + 10 * CostModel.TIME_CONSTANT_NANOS;
    for (int round = 0; round < 8; round++) {
      model.observe(1, PAYS.applyAsLong(1), later);
      model.observe(2, PAYS.applyAsLong(2), later);
    }
    CostCurve curve = model.curve();
    assertTrue(curve.established());
    assertTrue(curve.batchingPays());
    for (int size : new int[] {1, 4, 16, 32}) {
      assertEquals(PAYS.applyAsLong(size), curve.predict(size), PAYS.applyAsLong(size) / 100.0, "at " + size);
    }
  }

  @Test
  void recentSizesKeepTheirWeightWhileTheMachineIsSteady() {
    CostModel model = new CostModel(32);
    for (int round = 0; round < 8; round++) {
      for (int size : new int[] {1, 2, 32}) {
        model.observe(size, PAYS.applyAsLong(size), T0 + round * US);
      }
    }
    model.observe(1, PAYS.applyAsLong(1), T0 + CostModel.TIME_CONSTANT_NANOS / 10);
    assertEquals(PAYS.applyAsLong(32), model.curve().predict(32), 1.0, "measured a moment ago: still current");
  }

  @Test
  void aCurveOnceEstablishedStaysEstablishedWhenOnlyOneSizeIsStillMeasured() {
    CostModel model = new CostModel(8);
    model.observe(1, 100 * US, T0);
    model.observe(4, 130 * US, T0);
    for (int i = 0; i < 8; i++) {
      model.observe(1, 100 * US, T0 + 60 * CostModel.TIME_CONSTANT_NANOS);
    }
    CostCurve curve = model.curve();
    assertTrue(curve.established());
    assertEquals(130 * US, curve.predict(4), 1.0, "the latest knowledge of other sizes, for want of newer");
  }

  @Test
  void ignoresImpossibleObservations() {
    CostModel model = new CostModel(4);
    model.observe(0, 100, T0);
    model.observe(5, 100, T0);
    model.observe(2, 0, T0);
    assertTrue(model.curve().isEmpty());
  }
}
