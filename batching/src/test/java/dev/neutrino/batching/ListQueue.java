package dev.neutrino.batching;

import java.util.ArrayList;
import java.util.List;

/** A {@link QueueView} over a plain list, for testing policies without a batcher. */
final class ListQueue implements QueueView {
  static final Object SAME_SHAPE = "same shape";

  final List<Item> items = new ArrayList<>();
  boolean draining;
  double arrivalRowsPerSecond;
  CostCurve costs = CostCurve.EMPTY;
  boolean exploring;
  int idleInstances = 1;

  record TestItem(int rows, Object shapeKey, long enqueuedNanos, long deadlineNanos) implements QueueView.Item {}

  ListQueue add(int rows, long enqueuedNanos) {
    return add(rows, SAME_SHAPE, enqueuedNanos, InferenceRequest.NO_DEADLINE);
  }

  ListQueue add(int rows, Object shapeKey, long enqueuedNanos, long deadlineNanos) {
    items.add(new TestItem(rows, shapeKey, enqueuedNanos, deadlineNanos));
    return this;
  }

  /** {@code count} single-row requests queued at {@code enqueuedNanos}, due at {@code deadlineNanos}. */
  ListQueue addSingles(int count, long enqueuedNanos, long deadlineNanos) {
    for (int i = 0; i < count; i++) {
      add(1, SAME_SHAPE, enqueuedNanos, deadlineNanos);
    }
    return this;
  }

  @Override
  public int size() {
    return items.size();
  }

  @Override
  public Item get(int index) {
    return items.get(index);
  }

  @Override
  public boolean draining() {
    return draining;
  }

  @Override
  public double arrivalRowsPerSecond() {
    return arrivalRowsPerSecond;
  }

  @Override
  public CostCurve costs() {
    return costs;
  }

  @Override
  public boolean exploring() {
    return exploring;
  }

  @Override
  public int idleInstances() {
    return idleInstances;
  }
}
