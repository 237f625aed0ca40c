package dev.neutrino.gateway;

import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Netty's leak detector, installed for the gateway's tests by {@code -Dio.netty.customResourceLeakDetector}
 * (see gateway/pom.xml), that also keeps every leak it reports so that {@link NoLeaksExtension} can
 * fail the test class that leaked. Netty logs the report as usual.
 *
 * <p>The reports are static because Netty creates its detectors statically, one per resource type,
 * for the whole JVM; this is test code only.
 */
public final class LeakRecordingDetector<T> extends ResourceLeakDetector<T> {
  static final List<String> LEAKS = new CopyOnWriteArrayList<>();

  public LeakRecordingDetector(Class<?> resourceType, int samplingInterval) {
    super(resourceType, samplingInterval);
  }

  public LeakRecordingDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
    super(resourceType, samplingInterval);
  }

  @Override
  protected void reportTracedLeak(String resourceType, String records) {
    LEAKS.add("LEAK of " + resourceType + ":" + records);
    super.reportTracedLeak(resourceType, records);
  }

  @Override
  protected void reportUntracedLeak(String resourceType) {
    LEAKS.add("LEAK of " + resourceType + " (untraced)");
    super.reportUntracedLeak(resourceType);
  }
}
