package dev.neutrino.loadtest.profile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * A JDK Flight Recorder recording of this JVM's stack samples: {@code jdk.ExecutionSample} (threads
 * running Java) and {@code jdk.NativeMethodSample} (threads in native code, ONNX Runtime's calls among
 * them), both at one period. Nothing else is enabled, so the recording costs little beside the
 * sampling itself.
 *
 * <p>JFR takes at most a few Java threads and one native thread per period (JDK 17), which is why
 * {@link StageAttribution} weighs a thread's samples against that thread's measured CPU time rather
 * than counting samples across threads.
 *
 * <p>Not thread-safe: one owner starts and stops it.
 */
public final class JfrRecording implements AutoCloseable {
  static final String EXECUTION_SAMPLE = "jdk.ExecutionSample";
  static final String NATIVE_SAMPLE = "jdk.NativeMethodSample";

  private final Recording recording;
  private final Duration period;

  private JfrRecording(Recording recording, Duration period) {
    this.recording = recording;
    this.period = period;
  }

  /**
   * Starts sampling every {@code period}.
   *
   * @throws IllegalArgumentException when the period is below 1 ms (JFR's finest)
   */
  public static JfrRecording start(Duration period) {
    if (period.compareTo(Duration.ofMillis(1)) < 0) {
      throw new IllegalArgumentException("the sampling period must be at least 1 ms, got " + period.toMillis() + " ms");
    }
    Recording recording = new Recording();
    recording.setName("neutrino-profile");
    recording.enable(EXECUTION_SAMPLE).withPeriod(period).withStackTrace();
    recording.enable(NATIVE_SAMPLE).withPeriod(period).withStackTrace();
    recording.setToDisk(true);
    recording.start();
    return new JfrRecording(recording, period);
  }

  public Duration period() {
    return period;
  }

  /** Stops the recording and reads its samples; the recording's file is deleted. */
  public List<Sample> stop() throws IOException {
    recording.stop();
    Path file = Files.createTempFile("neutrino-profile-", ".jfr");
    try {
      recording.dump(file);
      return read(file);
    } finally {
      recording.close();
      Files.deleteIfExists(file);
    }
  }

  /** The stack samples of a recording file. */
  static List<Sample> read(Path file) throws IOException {
    List<Sample> samples = new ArrayList<>();
    try (RecordingFile events = new RecordingFile(file)) {
      while (events.hasMoreEvents()) {
        RecordedEvent event = events.readEvent();
        String type = event.getEventType().getName();
        boolean nativeCode = type.equals(NATIVE_SAMPLE);
        if (!nativeCode && !type.equals(EXECUTION_SAMPLE)) {
          continue;
        }
        RecordedThread thread = event.getThread("sampledThread");
        RecordedStackTrace stack = event.getStackTrace();
        if (thread == null || stack == null) {
          continue;
        }
        List<Frame> frames = new ArrayList<>(stack.getFrames().size());
        for (RecordedFrame frame : stack.getFrames()) {
          if (frame.getMethod() == null || frame.getMethod().getType() == null) {
            continue;
          }
          frames.add(new Frame(frame.getMethod().getType().getName(), frame.getMethod().getName()));
        }
        samples.add(new Sample(thread.getJavaThreadId(), nativeCode, frames));
      }
    }
    return samples;
  }

  /** Stops and discards the recording if it still runs. */
  @Override
  public void close() {
    recording.close();
  }
}
