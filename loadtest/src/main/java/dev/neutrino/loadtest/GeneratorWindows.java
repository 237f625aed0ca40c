package dev.neutrino.loadtest;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * The capacity probe's windows, run by the load generator against one server: closed loops on a
 * client with the probe's concurrency in connections, open loops on a second client opened at the
 * first open window with connections enough for the requests of {@link #OPEN_WINDOW} at the highest
 * rate the search may offer (HTTP/1.1 carries one request per connection at a time: with fewer, the
 * excess would wait in the client's pool and the server would never see it). Closes both.
 */
final class GeneratorWindows implements CapacityProbe.Windows, AutoCloseable {
  /** The open-loop client holds connections for the requests of this long at the highest rate. */
  static final Duration OPEN_WINDOW = Duration.ofMillis(100);
  static final int MAX_OPEN_CONNECTIONS = 4096;
  /** An open-loop window's answers still missing this long after its last send count as {@code no_response}. */
  static final Duration OPEN_DRAIN = Duration.ofSeconds(2);

  private final Endpoint endpoint;
  private final ClientSettings settings;
  private final CpuMeter meter;
  private final int concurrency;
  private final double highestRateFactor;
  private final BiConsumer<String, LevelResult> onWindow;
  private final InferenceClient closedClient;
  private final LoadGenerator closedLoop;
  private InferenceClient openClient;
  private LoadGenerator openLoop;

  /**
   * @param concurrency the closed loop's clients
   * @param highestRateFactor the highest rate the search may offer over its first
   *     ({@link CapacityProbe.Settings#highestRateFactor()})
   * @param onWindow called with each window's label and result as it ends
   */
  GeneratorWindows(Endpoint endpoint, ClientSettings settings, CpuMeter meter, int concurrency,
      double highestRateFactor, BiConsumer<String, LevelResult> onWindow) throws IOException {
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.meter = Objects.requireNonNull(meter, "meter");
    this.concurrency = concurrency;
    this.highestRateFactor = highestRateFactor;
    this.onWindow = Objects.requireNonNull(onWindow, "onWindow");
    this.closedClient = InferenceClients.connect(endpoint, settings.withConnections(concurrency), meter);
    this.closedLoop = new LoadGenerator(closedClient, meter);
  }

  /**
   * The connections an open loop at {@code rate} needs: enough for the requests of {@link #OPEN_WINDOW}
   * (so that the whole excess reaches the server), {@code least} at least, {@link #MAX_OPEN_CONNECTIONS}
   * at most.
   */
  static int openConnections(double rate, int least) {
    return (int) Math.min(MAX_OPEN_CONNECTIONS, Math.max(least, Math.ceil(rate * OPEN_WINDOW.toNanos() / 1e9)));
  }

  @Override
  public LevelResult closed(String label, Duration window) {
    LevelResult r = closedLoop.run(LoadSpec.closed(concurrency, Duration.ZERO, window));
    onWindow.accept(label, r);
    return r;
  }

  @Override
  public LevelResult open(String label, double rate, Duration warmup, Duration window) {
    return open(label, rate, warmup, window, OPEN_DRAIN);
  }

  /**
   * An open-loop window on the same client as the search's (its connections already open, and warm),
   * with {@code drain} for the answers still missing after the last send. The client is the one the
   * first open window opened, with connections for {@code highestRateFactor} times that window's rate;
   * when no window opened it yet, this one opens it, for {@code highestRateFactor} times {@code rate}.
   */
  LevelResult open(String label, double rate, Duration warmup, Duration window, Duration drain) {
    if (openLoop == null) {
      int connections = openConnections(rate * highestRateFactor, concurrency);
      try {
        openClient = InferenceClients.connect(endpoint, settings.withConnections(connections), meter);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot connect the probe's open-loop client to " + endpoint, e);
      }
      openLoop = new LoadGenerator(openClient, meter);
    }
    LevelResult r = openLoop.run(LoadSpec.open(rate, LoadSpec.Distribution.POISSON, warmup, window)
        .withDrainTimeout(drain));
    onWindow.accept(label, r);
    return r;
  }

  /** The open-loop client's connections; 0 before an open window opened it. */
  int openConnections() {
    return openClient == null ? 0 : openClient.connections();
  }

  @Override
  public void close() {
    try {
      closedClient.close();
    } finally {
      if (openClient != null) {
        openClient.close();
      }
    }
  }
}
