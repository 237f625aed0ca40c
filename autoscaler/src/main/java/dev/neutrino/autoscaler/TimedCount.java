package dev.neutrino.autoscaler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A replica count (or change) recommended or applied at an instant; the unit of the policies' windows. */
record TimedCount(Instant time, int count) {

  /** The entries of {@code list} newer than {@code now - window}, then {@code (now, count)}; a new list. */
  static List<TimedCount> append(List<TimedCount> list, Instant now, Duration window, int count) {
    List<TimedCount> next = new ArrayList<>(list.size() + 1);
    Instant from = now.minus(window);
    for (TimedCount t : list) {
      if (t.time().isAfter(from)) {
        next.add(t);
      }
    }
    next.add(new TimedCount(now, count));
    return List.copyOf(next);
  }

  /** The entries of {@code list} newer than {@code now - window}; a new list. */
  static List<TimedCount> within(List<TimedCount> list, Instant now, Duration window) {
    Instant from = now.minus(window);
    List<TimedCount> next = new ArrayList<>(list.size());
    for (TimedCount t : list) {
      if (t.time().isAfter(from)) {
        next.add(t);
      }
    }
    return List.copyOf(next);
  }

  static int max(List<TimedCount> list, int otherwise) {
    int m = otherwise;
    for (TimedCount t : list) {
      m = Math.max(m, t.count());
    }
    return m;
  }

  static int min(List<TimedCount> list, int otherwise) {
    int m = otherwise;
    for (TimedCount t : list) {
      m = Math.min(m, t.count());
    }
    return m;
  }
}
