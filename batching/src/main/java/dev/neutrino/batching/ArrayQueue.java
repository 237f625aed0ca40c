package dev.neutrino.batching;

import java.util.Arrays;
import java.util.function.Predicate;

/**
 * A growable ring buffer with indexed reads and ordered bulk removal: the per-level queues of the
 * batcher. Not thread-safe (the batcher guards it with its lock).
 */
final class ArrayQueue<E> {
  private Object[] items = new Object[16];
  private int head;
  private int size;

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  @SuppressWarnings("unchecked")
  E get(int index) {
    if (index < 0 || index >= size) {
      throw new IndexOutOfBoundsException("index " + index + ", size " + size);
    }
    return (E) items[(head + index) & (items.length - 1)];
  }

  void addLast(E item) {
    if (size == items.length) {
      Object[] grown = new Object[items.length * 2];
      for (int i = 0; i < size; i++) {
        grown[i] = items[(head + i) & (items.length - 1)];
      }
      items = grown;
      head = 0;
    }
    items[(head + size) & (items.length - 1)] = item;
    size++;
  }

  @SuppressWarnings("unchecked")
  E pollFirst() {
    if (size == 0) {
      return null;
    }
    E item = (E) items[head];
    items[head] = null;
    head = (head + 1) & (items.length - 1);
    size--;
    return item;
  }

  /** Removes every item that matches, keeping the others in order; returns how many went. */
  @SuppressWarnings("unchecked")
  int removeIf(Predicate<? super E> filter) {
    int mask = items.length - 1;
    int kept = 0;
    for (int i = 0; i < size; i++) {
      E item = (E) items[(head + i) & mask];
      if (!filter.test(item)) {
        items[(head + kept) & mask] = item;
        kept++;
      }
    }
    for (int i = kept; i < size; i++) {
      items[(head + i) & mask] = null;
    }
    int removed = size - kept;
    size = kept;
    return removed;
  }

  void clear() {
    Arrays.fill(items, null);
    head = 0;
    size = 0;
  }
}
