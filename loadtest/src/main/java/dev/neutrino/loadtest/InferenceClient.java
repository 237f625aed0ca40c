package dev.neutrino.loadtest;

/**
 * One way of sending a model's inference requests to a server: HTTP JSON, HTTP binary or gRPC. The
 * requests are prepared when the client is created (from the model's metadata and the input data);
 * {@link #infer} only sends one of them.
 *
 * <p>Thread-safety: {@link #infer} may be called from any thread, including from inside an
 * {@link Outcome} callback; implementations never block in it.
 */
public interface InferenceClient extends AutoCloseable {

  /** How many distinct prepared requests there are; {@link #infer} takes an index below this. */
  int payloads();

  /** How many requests the client carries at once (its connections, or streams); at least 1. */
  default int connections() {
    return 1;
  }

  /**
   * Sends prepared request {@code payload}. {@code outcome} is called exactly once, on any thread
   * (often a client event loop, sometimes the caller's own when the request fails at once).
   */
  void infer(int payload, Outcome outcome);

  /**
   * The server's cumulative statistics for the model (Triton's statistics extension), or null when
   * the server does not expose them. Blocks; never call it from a client thread.
   */
  ServerStats.Snapshot stats();

  /** Releases connections and threads. Requests still outstanding fail. */
  @Override
  void close();

  /** How one request ended. */
  @FunctionalInterface
  interface Outcome {
    /**
     * @param errorCode null on success, else the status ({@code "503"}, {@code "UNAVAILABLE"}) or a
     *     client-side reason ({@code "timeout"}, {@code "connection"}); strings are shared constants
     */
    void complete(String errorCode);
  }
}
