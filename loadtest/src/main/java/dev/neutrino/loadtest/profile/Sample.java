package dev.neutrino.loadtest.profile;

import java.util.List;
import java.util.Objects;

/**
 * One stack sample of one thread.
 *
 * @param threadId the sampled thread's Java id
 * @param nativeCode whether the thread was in native code (JFR's {@code jdk.NativeMethodSample}) rather
 *     than running Java ({@code jdk.ExecutionSample})
 * @param frames the stack, the running frame first
 */
public record Sample(long threadId, boolean nativeCode, List<Frame> frames) {
  public Sample {
    Objects.requireNonNull(frames, "frames");
    frames = List.copyOf(frames);
  }
}
