package dev.neutrino.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The Open Inference Protocol over HTTP, on Vert.x's asynchronous client: HTTP/1.1 keep-alive with a
 * pool of connections, or HTTP/2 over clear text; JSON or binary tensors.
 *
 * <p>Request bodies and their headers are built once, when the client connects; each
 * {@link #infer} writes one of them and counts the response's status, discarding its body without
 * aggregating it.
 *
 * <p>Threads: {@link ClientLanes}, one lane per event loop; HTTP/1.1 connections are split over the
 * lanes, HTTP/2 multiplexes one connection per lane.
 *
 * <p>The generator's HTTP/1.1 load goes through {@link Http1InferenceClient}, which holds one of these
 * (one connection) for the model's metadata, the checking request and the statistics; this client
 * carries the load over HTTP/2, and over HTTP/1.1 with {@code --http-client vertx}.
 */
final class HttpInferenceClient implements InferenceClient {
  static final String HEADER_LENGTH = "Inference-Header-Content-Length";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ClientLanes lanes;
  private final ClientLanes.Request send = this::send;
  private final String modelPath;
  private final RequestOptions[] requests;
  private final HttpPayloads.Body[] payloadBodies;
  private final Buffer[] bodies;
  private final ModelMetadata metadata;
  /** The outputs each prepared request must be answered with; empty lists when not checked. */
  private final InputData.Prepared prepared;
  private final int connections;
  private volatile boolean statsUnsupported;

  private HttpInferenceClient(ClientLanes lanes, String modelPath, RequestOptions[] requests,
      HttpPayloads.Body[] payloadBodies, ModelMetadata metadata, InputData.Prepared prepared, int connections) {
    this.lanes = lanes;
    this.connections = connections;
    this.modelPath = modelPath;
    this.requests = requests;
    this.payloadBodies = payloadBodies;
    this.bodies = new Buffer[payloadBodies.length];
    for (int i = 0; i < payloadBodies.length; i++) {
      bodies[i] = Buffer.buffer(payloadBodies[i].bytes());
    }
    this.metadata = metadata;
    this.prepared = prepared;
  }

  /**
   * Connects, reads the model's metadata, prepares the requests and sends one to check that the
   * server accepts them.
   *
   * @throws IOException when the server cannot be reached, does not know the model, or refuses the
   *     prepared request (the message carries the server's answer)
   */
  static HttpInferenceClient connect(Endpoint endpoint, ClientSettings settings, CpuMeter meter) throws IOException {
    if (settings.protocol() == Protocol.GRPC) {
      throw new IllegalArgumentException("the HTTP client cannot speak gRPC");
    }
    HttpClientOptions options = new HttpClientOptions()
        .setDefaultHost(endpoint.host())
        .setDefaultPort(endpoint.port())
        .setKeepAlive(true)
        .setTcpNoDelay(true)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.timeout().toMillis()))
        .setMaxInitialLineLength(16 * 1024);
    if (settings.http2()) {
      options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
    }
    int laneCount = settings.eventLoops();
    // HTTP/1.1 connections split over lanes, each lane at least one; HTTP/2 multiplexes one per lane.
    ClientLanes lanes = ClientLanes.start(laneCount, options, i -> new PoolOptions()
        .setHttp1MaxSize(Math.max(1, (settings.connections() + laneCount - 1 - i) / laneCount))
        .setHttp2MaxSize(1), meter);
    try {
      String modelPath = endpoint.basePath() + "/v2/models/" + encode(settings.model())
          + (settings.version().isEmpty() ? "" : "/versions/" + encode(settings.version()));
      ModelMetadata metadata = ModelMetadata.fromJson(getJson(lanes.first(), modelPath, "the model's metadata"));
      InputData.Prepared prepared = InputData.prepareAll(metadata, settings.input(), settings.shapes(),
          settings.batchSize());
      List<List<TensorData>> payloads = prepared.inputs();
      RequestOptions[] requests = new RequestOptions[payloads.size()];
      HttpPayloads.Body[] bodies = new HttpPayloads.Body[payloads.size()];
      for (int i = 0; i < payloads.size(); i++) {
        HttpPayloads.Body body = settings.protocol() == Protocol.HTTP_JSON
            ? HttpPayloads.json(payloads.get(i))
            : HttpPayloads.binary(payloads.get(i));
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        headers.add(HttpHeaders.CONTENT_TYPE, body.contentType());
        if (body.headerLength() >= 0) {
          headers.add(HEADER_LENGTH, Integer.toString(body.headerLength()));
        }
        requests[i] = new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setURI(inferPath(modelPath))
            .setHeaders(headers)
            .setIdleTimeout(settings.timeout().toMillis());
        bodies[i] = body;
      }
      HttpInferenceClient result = new HttpInferenceClient(lanes, modelPath, requests, bodies, metadata, prepared,
          Math.max(1, settings.connections()));
      result.check();
      return result;
    } catch (IOException | RuntimeException e) {
      lanes.close();
      throw e;
    }
  }

  ModelMetadata metadata() {
    return metadata;
  }

  /** The path prepared requests are posted to. */
  String inferPath() {
    return inferPath(modelPath);
  }

  private static String inferPath(String modelPath) {
    return modelPath + "/infer";
  }

  /** The body of prepared request {@code payload}, as {@link #infer} sends it. */
  HttpPayloads.Body body(int payload) {
    return payloadBodies[payload];
  }

  /** The prepared requests' inputs and the outputs each must be answered with. */
  InputData.Prepared prepared() {
    return prepared;
  }

  @Override
  public int connections() {
    return connections;
  }

  @Override
  public int payloads() {
    return requests.length;
  }

  @Override
  public void infer(int payload, Outcome outcome) {
    lanes.dispatch(send, payload, outcome);
  }

  private void send(HttpClient client, int payload, Outcome outcome) {
    Buffer body = bodies[payload];
    client.request(requests[payload]).onComplete(opened -> {
      if (opened.failed()) {
        outcome.complete(ErrorCodes.of(opened.cause()));
        return;
      }
      opened.result().send(body).onComplete(sent -> {
        if (sent.failed()) {
          outcome.complete(ErrorCodes.of(sent.cause()));
          return;
        }
        HttpClientResponse response = sent.result();
        int status = response.statusCode();
        List<TensorData> expected = prepared.expected(payload);
        if (expected.isEmpty() || status / 100 != 2) {
          response.end().onComplete(ended -> outcome.complete(
              ended.failed() ? ErrorCodes.of(ended.cause()) : status / 100 == 2 ? null : ErrorCodes.http(status)));
          return;
        }
        response.body().onComplete(read -> outcome.complete(read.failed() ? ErrorCodes.of(read.cause())
            : validate(expected, read.result().getBytes(), response.getHeader(HEADER_LENGTH))));
      });
    });
  }

  /**
   * Null when a successful answer holds the expected outputs, else the error code saying why not.
   *
   * @param headerLength the answer's {@code Inference-Header-Content-Length}; null when absent
   */
  static String validate(List<TensorData> expected, byte[] body, String headerLength) {
    try {
      return OutputCheck.matches(expected, OutputCheck.fromHttp(body, headerLength)) ? null : ErrorCodes.VALIDATION;
    } catch (IOException e) {
      return ErrorCodes.BAD_RESPONSE;
    }
  }

  @Override
  public ServerStats.Snapshot stats() {
    if (statsUnsupported) {
      return null;
    }
    try {
      Response r = get(lanes.first(), modelPath + "/stats");
      if (r.status != 200) {
        statsUnsupported = r.status == 404 || r.status == 405 || r.status == 501;
        return null;
      }
      return ServerStats.Snapshot.fromJson(JSON.readTree(r.body.getBytes()));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  @Override
  public void close() {
    lanes.close();
  }

  /** Sends the first prepared request and checks the answer is a successful inference response. */
  private void check() throws IOException {
    HttpClient client = lanes.first().client();
    Response r = ClientLanes.await(lanes.first(), () -> client.request(requests[0])
        .compose(request -> request.send(bodies[0]))
        .compose(response -> response.body().map(body -> new Response(response.statusCode(),
            body, response.getHeader(HEADER_LENGTH)))), "a first inference request");
    if (r.status != 200) {
      throw new IOException("the server refused the prepared request: HTTP " + r.status + " " + r.text());
    }
    int json = r.headerLength == null ? r.body.length() : Integer.parseInt(r.headerLength);
    JsonNode root = JSON.readTree(r.body.getBytes(0, json));
    if (!root.path("outputs").isArray() || root.path("outputs").isEmpty()) {
      throw new IOException("the server's inference response has no outputs: " + r.text());
    }
  }

  private static JsonNode getJson(ClientLanes.Lane lane, String path, String what) throws IOException {
    Response r = get(lane, path);
    if (r.status != 200) {
      throw new IOException("cannot read " + what + " (GET " + path + "): HTTP " + r.status + " " + r.text());
    }
    return JSON.readTree(r.body.getBytes());
  }

  private static Response get(ClientLanes.Lane lane, String path) throws IOException {
    return ClientLanes.await(lane, () -> lane.client().request(HttpMethod.GET, path)
        .compose(request -> request.send())
        .compose(response -> response.body().map(body -> new Response(response.statusCode(), body, null))),
        "GET " + path);
  }

  static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private record Response(int status, Buffer body, String headerLength) {
    String text() {
      String s = body == null ? "" : body.toString(StandardCharsets.UTF_8);
      return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
  }
}
