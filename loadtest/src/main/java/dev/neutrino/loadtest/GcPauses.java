package dev.neutrino.loadtest;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * The stop-the-world garbage-collection pauses of this JVM, as its collectors report them (one
 * notification per collection, its duration in whole milliseconds), summed since this was first used.
 * The load generator reads it around a level: while its JVM is paused, answers that arrive are timed
 * only once it resumes, so the pause lands in the server's latencies ({@link GeneratorCheck}).
 *
 * <p>Counted: the collections Serial, Parallel and G1 report as "end of minor GC" and "end of major
 * GC", which stop every thread. The cycles of concurrent collectors (ZGC, Shenandoah) are not pauses
 * and are not counted. Thread-safe; the JVM delivers notifications on a thread of its own, a little
 * after each collection.
 */
final class GcPauses {
  private static final GcPauses JVM = new GcPauses();

  private final LongAdder pausedMillis = new LongAdder();
  private final LongAdder pauses = new LongAdder();

  private GcPauses() {
    for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (collector instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener((notification, handback) -> {
          if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            record(GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData()));
          }
        }, null, null);
      }
    }
  }

  /** This JVM's pauses, listened to from the first call on. */
  static GcPauses jvm() {
    return JVM;
  }

  /** Time this JVM has spent paused for collections since this was first used. */
  long pausedNanos() {
    return TimeUnit.MILLISECONDS.toNanos(pausedMillis.sum());
  }

  /** Collections that paused this JVM since this was first used. */
  long pauses() {
    return pauses.sum();
  }

  private void record(GarbageCollectionNotificationInfo info) {
    String action = info.getGcAction();
    if (action.equals("end of minor GC") || action.equals("end of major GC")) {
      pausedMillis.add(info.getGcInfo().getDuration());
      pauses.increment();
    }
  }
}
