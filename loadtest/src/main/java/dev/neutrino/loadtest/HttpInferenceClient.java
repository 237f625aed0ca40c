package dev.neutrino.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.VertxInternal;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The Open Inference Protocol over HTTP, on Vert.x's asynchronous client: HTTP/1.1 keep-alive with a
 * pool of connections, or HTTP/2 over clear text; JSON or binary tensors.
 *
 * <p>Request bodies and their headers are built once, when the client connects; each
 * {@link #infer} writes one of them and counts the response's status, discarding its body without
 * aggregating it.
 *
 * <p>Threads. The client owns a Vert.x instance with {@link ClientSettings#eventLoops()} event
 * loops, registered with the {@link CpuMeter} (so the generator's CPU use is its own even when a
 * server shares the JVM). Each event loop is a <em>lane</em>: one context and one pool of
 * connections. Every request starts on its lane's context: a request started from a foreign thread
 * is handed to a lane first. Started elsewhere, Vert.x may deliver the response head on one thread
 * while the body arrives on another, and a response that ended before {@code end()} was attached
 * would never complete. A request started from a lane's callback (the closed loop's next request)
 * stays on that lane.
 */
final class HttpInferenceClient implements InferenceClient {
  static final String HEADER_LENGTH = "Inference-Header-Content-Length";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long BLOCKING_TIMEOUT_SECONDS = 30;

  private final Vertx vertx;
  private final Lane[] lanes;
  private final AtomicInteger nextLane = new AtomicInteger();
  private final String modelPath;
  private final RequestOptions[] requests;
  private final Buffer[] bodies;
  private final ModelMetadata metadata;
  private volatile boolean statsUnsupported;

  /** One event loop's context and the connections only it uses. */
  private record Lane(Context context, HttpClient client) {}

  private HttpInferenceClient(Vertx vertx, Lane[] lanes, String modelPath, RequestOptions[] requests,
      Buffer[] bodies, ModelMetadata metadata) {
    this.vertx = vertx;
    this.lanes = lanes;
    this.modelPath = modelPath;
    this.requests = requests;
    this.bodies = bodies;
    this.metadata = metadata;
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
    Vertx vertx = Vertx.vertx(new VertxOptions()
        .setEventLoopPoolSize(settings.eventLoops())
        .setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1));
    try {
      registerEventLoops(vertx, meter);
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
      Lane[] lanes = new Lane[laneCount];
      for (int i = 0; i < laneCount; i++) {
        // HTTP/1.1 connections split over lanes, each lane at least one; HTTP/2 multiplexes one per lane.
        int share = Math.max(1, (settings.connections() + laneCount - 1 - i) / laneCount);
        PoolOptions pool = new PoolOptions().setHttp1MaxSize(share).setHttp2MaxSize(1);
        lanes[i] = new Lane(((VertxInternal) vertx).createEventLoopContext(), vertx.createHttpClient(options, pool));
      }

      String modelPath = endpoint.basePath() + "/v2/models/" + encode(settings.model())
          + (settings.version().isEmpty() ? "" : "/versions/" + encode(settings.version()));
      ModelMetadata metadata = ModelMetadata.fromJson(getJson(lanes[0], modelPath, "the model's metadata"));
      List<List<TensorData>> payloads = InputData.prepare(metadata, settings.input(), settings.shapes(),
          settings.batchSize());
      RequestOptions[] requests = new RequestOptions[payloads.size()];
      Buffer[] bodies = new Buffer[payloads.size()];
      for (int i = 0; i < payloads.size(); i++) {
        HttpPayloads.Body body = settings.protocol() == Protocol.HTTP_JSON
            ? HttpPayloads.json(payloads.get(i))
            : HttpPayloads.binary(payloads.get(i));
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        if (body.headerLength() >= 0) {
          headers.add(HttpHeaders.CONTENT_TYPE, "application/octet-stream");
          headers.add(HEADER_LENGTH, Integer.toString(body.headerLength()));
        } else {
          headers.add(HttpHeaders.CONTENT_TYPE, "application/json");
        }
        requests[i] = new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setURI(modelPath + "/infer")
            .setHeaders(headers)
            .setIdleTimeout(settings.timeout().toMillis());
        bodies[i] = Buffer.buffer(body.bytes());
      }
      HttpInferenceClient result = new HttpInferenceClient(vertx, lanes, modelPath, requests, bodies, metadata);
      result.check();
      return result;
    } catch (IOException | RuntimeException e) {
      close(vertx);
      throw e;
    }
  }

  ModelMetadata metadata() {
    return metadata;
  }

  @Override
  public int payloads() {
    return requests.length;
  }

  @Override
  public void infer(int payload, Outcome outcome) {
    Context current = Vertx.currentContext();
    for (Lane lane : lanes) {
      if (lane.context == current) {
        send(lane.client, payload, outcome);
        return;
      }
    }
    Lane lane = lanes.length == 1 ? lanes[0] : lanes[Math.floorMod(nextLane.getAndIncrement(), lanes.length)];
    lane.context.runOnContext(v -> send(lane.client, payload, outcome));
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
        response.end().onComplete(ended -> outcome.complete(
            ended.failed() ? ErrorCodes.of(ended.cause()) : status / 100 == 2 ? null : ErrorCodes.http(status)));
      });
    });
  }

  @Override
  public ServerStats.Snapshot stats() {
    if (statsUnsupported) {
      return null;
    }
    try {
      Response r = get(lanes[0], modelPath + "/stats");
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
    close(vertx);
  }

  /** Sends the first prepared request and checks the answer is a successful inference response. */
  private void check() throws IOException {
    Lane lane = lanes[0];
    Response r = await(onContext(lane, () -> lane.client.request(requests[0])
        .compose(request -> request.send(bodies[0]))
        .compose(response -> response.body().map(body -> new Response(response.statusCode(),
            body, response.getHeader(HEADER_LENGTH))))), "a first inference request");
    if (r.status != 200) {
      throw new IOException("the server refused the prepared request: HTTP " + r.status + " " + r.text());
    }
    int json = r.headerLength == null ? r.body.length() : Integer.parseInt(r.headerLength);
    JsonNode root = JSON.readTree(r.body.getBytes(0, json));
    if (!root.path("outputs").isArray() || root.path("outputs").isEmpty()) {
      throw new IOException("the server's inference response has no outputs: " + r.text());
    }
  }

  private static JsonNode getJson(Lane lane, String path, String what) throws IOException {
    Response r = get(lane, path);
    if (r.status != 200) {
      throw new IOException("cannot read " + what + " (GET " + path + "): HTTP " + r.status + " " + r.text());
    }
    return JSON.readTree(r.body.getBytes());
  }

  private static Response get(Lane lane, String path) throws IOException {
    return await(onContext(lane, () -> lane.client.request(HttpMethod.GET, path)
        .compose(request -> request.send())
        .compose(response -> response.body().map(body -> new Response(response.statusCode(), body, null)))),
        "GET " + path);
  }

  /** Starts {@code action} on the lane's context (see the class comment for why). */
  private static <T> Future<T> onContext(Lane lane, Supplier<Future<T>> action) {
    Promise<T> promise = Promise.promise();
    lane.context.runOnContext(v -> action.get().onComplete(promise));
    return promise.future();
  }

  private static <T> T await(Future<T> future, String what) throws IOException {
    try {
      return future.toCompletionStage().toCompletableFuture().get(BLOCKING_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new IOException(what + " failed: "
          + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IOException(what + " got no answer in " + BLOCKING_TIMEOUT_SECONDS + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  /** Registers every event-loop thread of {@code vertx} with the meter. */
  private static void registerEventLoops(Vertx vertx, CpuMeter meter) {
    EventLoopGroup group = ((VertxInternal) vertx).nettyEventLoopGroup();
    List<io.netty.util.concurrent.Future<?>> done = new ArrayList<>();
    for (EventExecutor executor : group) {
      done.add(executor.submit(() -> meter.register(Thread.currentThread())));
    }
    for (io.netty.util.concurrent.Future<?> f : done) {
      f.awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
  }

  private static void close(Vertx vertx) {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Best effort: the threads are daemons.
    }
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
