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
 * @param http which HTTP client and version carries HTTP JSON and binary (gRPC: none of them)
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
    Http http,
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
    Objects.requireNonNull(http, "http");
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

  /** Which client speaks HTTP, and which HTTP. */
  enum Http {
    /** HTTP/1.1 keep-alive through the generator's own client on Netty ({@link Http1InferenceClient}). */
    HTTP1,
    /** HTTP/1.1 keep-alive through Vert.x's client ({@link HttpInferenceClient}), for comparison. */
    HTTP1_VERTX,
    /** HTTP/2 over clear text (prior knowledge) through Vert.x's client. */
    HTTP2;

    /** The name of the HTTP/1.1 client on the command line and in reports: {@code netty} or {@code vertx}. */
    String clientName() {
      return this == HTTP1 ? "netty" : "vertx";
    }
  }

  /** Random data, batch size 1, one connection per client, HTTP/1.1. */
  public static ClientSettings of(String model, Protocol protocol, int connections) {
    return new ClientSettings(model, "", protocol, new InputData.Random(1), Map.of(), 1, connections, Http.HTTP1,
        DEFAULT_TIMEOUT, DEFAULT_EVENT_LOOPS);
  }

  /** HTTP/2 over clear text instead of HTTP/1.1 keep-alive. */
  public boolean http2() {
    return http == Http.HTTP2;
  }

  public ClientSettings withProtocol(Protocol p) {
    return new ClientSettings(model, version, p, input, shapes, batchSize, connections, http, timeout, eventLoops);
  }

  public ClientSettings withConnections(int n) {
    return new ClientSettings(model, version, protocol, input, shapes, batchSize, n, http, timeout, eventLoops);
  }

  public ClientSettings withShapes(Map<String, long[]> s) {
    return new ClientSettings(model, version, protocol, input, s, batchSize, connections, http, timeout, eventLoops);
  }

  public ClientSettings withTimeout(Duration t) {
    return new ClientSettings(model, version, protocol, input, shapes, batchSize, connections, http, t, eventLoops);
  }

  public ClientSettings withHttp(Http h) {
    return new ClientSettings(model, version, protocol, input, shapes, batchSize, connections, h, timeout, eventLoops);
  }

  public ClientSettings withEventLoops(int n) {
    return new ClientSettings(model, version, protocol, input, shapes, batchSize, connections, http, timeout, n);
  }
}
