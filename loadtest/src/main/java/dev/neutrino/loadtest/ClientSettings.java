package dev.neutrino.loadtest;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How a generator's client is set up: the model, the protocol, the data it sends and its connections.
 *
 * @param model the model's name
 * @param version the version to call; empty for the server's choice
 * @param protocol the wire protocol
 * @param input where request data comes from
 * @param shapes full input shapes for inputs with variable dimensions, by input name
 * @param batchSize rows per request for inputs with a variable first dimension
 * @param connections HTTP/1.1 connections (in closed loop, as many as the concurrency); HTTP/2 and
 *     gRPC multiplex one connection per event loop instead
 * @param http2 HTTP/2 over clear text (prior knowledge) instead of HTTP/1.1 keep-alive
 * @param timeout a request with no answer for this long fails as {@code timeout}
 * @param eventLoops the client's event-loop threads
 */
record ClientSettings(
    String model,
    String version,
    Protocol protocol,
    InputData.Source input,
    Map<String, long[]> shapes,
    int batchSize,
    int connections,
    boolean http2,
    Duration timeout,
    int eventLoops) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_EVENT_LOOPS = 1;

  public ClientSettings {
    Objects.requireNonNull(model, "model");
    version = version == null ? "" : version;
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(input, "input");
    shapes = Map.copyOf(shapes);
    Objects.requireNonNull(timeout, "timeout");
    if (model.isBlank()) {
      throw new IllegalArgumentException("give a model (--model)");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
    if (connections < 1) {
      throw new IllegalArgumentException("connections must be at least 1, got " + connections);
    }
    if (eventLoops < 1) {
      throw new IllegalArgumentException("client event loops must be at least 1, got " + eventLoops);
    }
  }

  /** Random data, batch size 1, one connection per client, HTTP/1.1. */
  public static ClientSettings of(String model, Protocol protocol, int connections) {
    return new ClientSettings(model, "", protocol, new InputData.Random(1), Map.of(), 1, connections, false,
        DEFAULT_TIMEOUT, DEFAULT_EVENT_LOOPS);
  }

  public ClientSettings withProtocol(Protocol p) {
    return new ClientSettings(model, version, p, input, shapes, batchSize, connections, http2, timeout, eventLoops);
  }

  public ClientSettings withConnections(int n) {
    return new ClientSettings(model, version, protocol, input, shapes, batchSize, n, http2, timeout, eventLoops);
  }

  public ClientSettings withShapes(Map<String, long[]> s) {
    return new ClientSettings(model, version, protocol, input, s, batchSize, connections, http2, timeout, eventLoops);
  }

  public ClientSettings withTimeout(Duration t) {
    return new ClientSettings(model, version, protocol, input, shapes, batchSize, connections, http2, t, eventLoops);
  }

  public ClientSettings withEventLoops(int n) {
    return new ClientSettings(model, version, protocol, input, shapes, batchSize, connections, http2, timeout, n);
  }
}
