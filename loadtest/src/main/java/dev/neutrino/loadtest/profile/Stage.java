package dev.neutrino.loadtest.profile;

import java.util.Locale;

/**
 * Where a request's CPU goes, in the order a request meets the stages, then the buckets that are not
 * a request stage.
 */
public enum Stage {
  /** Sockets read, readiness waits, HTTP/1.1 and HTTP/2 framing, routing up to the gateway's handler. */
  RECEIVE,
  /** JSON, binary-extension and protobuf bodies into tensors. */
  DECODE,
  /** Checks against the model's signature and the gateway's limits, access control. */
  VALIDATE,
  /** Hand-offs between threads, the batcher's queue, futures, batch assembly (concatenation). */
  QUEUE,
  /** ONNX Runtime running the model. */
  COMPUTE,
  /** A batch's outputs cut into each request's rows. */
  SPLIT,
  /** Tensors into JSON, binary-extension and protobuf responses. */
  ENCODE,
  /** Response framing and socket writes. */
  SEND,
  /** Statistics, Prometheus series and the access log. */
  METRICS,
  /** Gateway threads' samples that no rule of the stage table names. */
  OTHER,
  /** The garbage collector's threads (and the VM thread, which runs its pauses), read from the OS. */
  GC,
  /** The JIT compilers' threads, read from the OS: high when the warm-up was too short. */
  JIT,
  /**
   * The rest of the process's CPU that no Java thread accounts for: the recorder's own threads and
   * native threads (ONNX Runtime's intra-op pool when it has more than one thread), and threads that
   * ended during the window. Counted in the gateway's total, never in a request stage.
   */
  UNSAMPLED,
  /** The load generator's own threads and stacks, which share the JVM: excluded from the gateway. */
  GENERATOR;

  /** The stages a request passes through, receive to metrics. */
  public static final java.util.List<Stage> REQUEST_STAGES =
      java.util.List.of(RECEIVE, DECODE, VALIDATE, QUEUE, COMPUTE, SPLIT, ENCODE, SEND, METRICS);

  /** The name in tables, JSON and flame graphs, for example {@code queue}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether this bucket counts in the gateway's CPU (everything but the generator). */
  public boolean gateway() {
    return this != GENERATOR;
  }
}
