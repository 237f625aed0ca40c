package dev.neutrino.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.gateway.edge.EdgeLimits;
import dev.neutrino.gateway.edge.EdgeTransport;
import dev.neutrino.gateway.edge.TransportPreference;
import dev.neutrino.gateway.edge.TransportPreference.FrontEnd;
import dev.neutrino.gateway.grpc.proto.ModelMetadataRequest;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.transport.Transport;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.server.GrpcProtocol;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The transport floor: a bare Vert.x server on loopback that answers the Open Inference Protocol's
 * inference calls with fixed bytes, the very bytes a gateway answered for the same request. No model,
 * no batching, no decoding, no validation, no metrics: a request's body is read to its end and
 * dropped, and the pre-built answer is written. What a client measures against it is what any
 * Vert.x-based server costs on this machine, the floor under every figure of the gateway.
 *
 * <p>It serves HTTP/1.1 (and h2c) on one port: {@code POST .../infer} answers the captured binary
 * answer when the request carries {@code Inference-Header-Content-Length}, the captured JSON answer
 * otherwise; {@code GET /v2/models/...} answers the captured metadata (what the generator's clients
 * read when they connect); {@code .../stats} and anything else answer 404. On a second port it serves
 * gRPC through Vert.x's gRPC server: {@code ModelInfer} and {@code ModelMetadata} of
 * {@code inference.GRPCInferenceService}, their messages passed through unparsed. The servers are
 * deployed as one verticle per event loop, as the gateway deploys its own, on the transport options
 * the gateway's front ends use (TCP_NODELAY, clear-text HTTP/2 with the gateway's default cap on
 * concurrent streams, no decompression, the gRPC windows) and on its default transport (Netty's native
 * one where it loads), but without the gateway's edge (connection guard, body budget).
 *
 * <p>Each instance owns its Vert.x instance; {@link #close()} stops it. Thread-safe.
 */
final class TransportFloor implements AutoCloseable {
  static final ServiceName SERVICE = ServiceName.create("inference", "GRPCInferenceService");
  /** The gateway's gRPC per-stream and connection receive windows (its GrpcFrontEnd's). */
  static final int GRPC_STREAM_WINDOW_BYTES = 1024 * 1024;
  static final int GRPC_CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
  private static final Duration CAPTURE_TIMEOUT = Duration.ofSeconds(30);
  private static final Set<String> CONNECTION_HEADERS =
      Set.of("content-length", "connection", "keep-alive", "transfer-encoding", ":status");
  private static final Handler<Buffer> DROP = ignored -> {};
  private static final Buffer NOT_FOUND =
      Buffer.buffer("{\"error\":\"the transport floor answers only inference and metadata calls\"}");
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One HTTP answer as a server wrote it.
   *
   * @param headers the response's headers, lower-case names, without those of the connection
   *     ({@code content-length}, {@code connection}, ...), which the server writes itself
   */
  record HttpAnswer(int status, Map<String, String> headers, byte[] body) {
    HttpAnswer {
      headers = Map.copyOf(headers);
      body = body.clone();
    }

    @Override
    public byte[] body() {
      return body.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof HttpAnswer a && a.status == status && a.headers.equals(headers) && Arrays.equals(a.body, body);
    }

    @Override
    public int hashCode() {
      return Objects.hash(status, headers, Arrays.hashCode(body));
    }

    @Override
    public String toString() {
      return status + " " + headers + " (" + body.length + " bytes)";
    }
  }

  /**
   * What a server answered for one model: its metadata and one inference call per protocol.
   *
   * @param grpcMetadata the {@code ModelMetadataResponse} message, without gRPC's length prefix; null
   *     when the server speaks no gRPC
   * @param grpcInfer the {@code ModelInferResponse} message, without gRPC's length prefix; null when the
   *     server speaks no gRPC
   */
  record Answers(String model, HttpAnswer metadata, HttpAnswer json, HttpAnswer binary, byte[] grpcMetadata,
      byte[] grpcInfer) {
    Answers {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(metadata, "metadata");
      Objects.requireNonNull(json, "json");
      Objects.requireNonNull(binary, "binary");
      grpcMetadata = grpcMetadata == null ? null : grpcMetadata.clone();
      grpcInfer = grpcInfer == null ? null : grpcInfer.clone();
    }

    @Override
    public byte[] grpcMetadata() {
      return grpcMetadata == null ? null : grpcMetadata.clone();
    }

    @Override
    public byte[] grpcInfer() {
      return grpcInfer == null ? null : grpcInfer.clone();
    }

    boolean hasGrpc() {
      return grpcInfer != null;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Answers a && a.model.equals(model) && a.metadata.equals(metadata) && a.json.equals(json)
          && a.binary.equals(binary) && Arrays.equals(a.grpcMetadata, grpcMetadata)
          && Arrays.equals(a.grpcInfer, grpcInfer);
    }

    @Override
    public int hashCode() {
      return Objects.hash(model, metadata, json, binary, Arrays.hashCode(grpcMetadata), Arrays.hashCode(grpcInfer));
    }

    @Override
    public String toString() {
      return model + ": metadata " + metadata + ", json " + json + ", binary " + binary + ", grpc "
          + (grpcInfer == null ? "none" : grpcInfer.length + " bytes");
    }
  }

  private final Vertx vertx;
  /** The gRPC server's Vert.x: {@link #vertx} itself unless the gateway serves gRPC on another transport. */
  private final Vertx grpcVertx;
  private final HandOff handOff;
  private final AtomicLong connections;
  private final int httpPort;
  private final int grpcPort;

  private TransportFloor(Vertx vertx, Vertx grpcVertx, HandOff handOff, AtomicLong connections, int httpPort,
      int grpcPort) {
    this.vertx = vertx;
    this.grpcVertx = grpcVertx;
    this.handOff = handOff;
    this.connections = connections;
    this.httpPort = httpPort;
    this.grpcPort = grpcPort;
  }

  /**
   * Sends {@code model}'s first prepared request (the generator's, from the same inputs and shapes) to
   * a server as HTTP JSON, HTTP binary and, when {@code grpc} is not null, gRPC, and keeps what it
   * answered, byte for byte.
   *
   * @throws IOException when the server cannot be reached or does not answer a call with success
   */
  static Answers capture(Endpoint http, Endpoint grpc, String model, Map<String, long[]> shapes) throws IOException {
    java.net.http.HttpClient client = httpClient();
    String base = modelUrl(http, model);
    HttpAnswer metadata = send(client, HttpRequest.newBuilder(URI.create(base)).GET(), "the model's metadata");
    List<TensorData> inputs = firstInputs(metadata, shapes);
    HttpPayloads.Body json = HttpPayloads.json(inputs);
    HttpAnswer jsonAnswer = send(client, HttpRequest.newBuilder(URI.create(base + "/infer"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(json.bytes())), "an HTTP JSON inference call");
    HttpPayloads.Body binary = HttpPayloads.binary(inputs);
    HttpAnswer binaryAnswer = send(client, HttpRequest.newBuilder(URI.create(base + "/infer"))
        .header("Content-Type", "application/octet-stream")
        .header(HttpInferenceClient.HEADER_LENGTH, Integer.toString(binary.headerLength()))
        .POST(HttpRequest.BodyPublishers.ofByteArray(binary.bytes())), "an HTTP binary inference call");
    byte[] grpcMetadata = null;
    byte[] grpcInfer = null;
    if (grpc != null) {
      Vertx vertx = Vertx.vertx();
      try {
        HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
            .setHttp2ClearTextUpgrade(false).setDefaultHost(grpc.host()).setDefaultPort(grpc.port()));
        grpcMetadata = unary(h2, "ModelMetadata",
            GrpcInferenceClient.frame(ModelMetadataRequest.newBuilder().setName(model).build()));
        grpcInfer = unary(h2, "ModelInfer", GrpcInferenceClient.frame(GrpcInferenceClient.request(model, "", inputs)));
      } finally {
        vertx.close();
      }
    }
    return new Answers(model, metadata, jsonAnswer, binaryAnswer, grpcMetadata, grpcInfer);
  }

  /**
   * The generator's first HTTP binary request for {@code model} (its inputs from the metadata
   * {@code http} serves, filled as the generator fills them).
   *
   * @throws IOException when the server cannot be reached or does not know the model
   */
  static HttpPayloads.Body binaryRequest(Endpoint http, String model, Map<String, long[]> shapes) throws IOException {
    HttpAnswer metadata = send(httpClient(), HttpRequest.newBuilder(URI.create(modelUrl(http, model))).GET(),
        "the model's metadata");
    return HttpPayloads.binary(firstInputs(metadata, shapes));
  }

  /** The URL of {@code model} on {@code http}: {@code http://host:port[/prefix]/v2/models/<model>}. */
  static String modelUrl(Endpoint http, String model) {
    return "http://" + http.host() + ":" + http.port() + http.basePath() + "/v2/models/"
        + HttpInferenceClient.encode(model);
  }

  private static List<TensorData> firstInputs(HttpAnswer metadata, Map<String, long[]> shapes) throws IOException {
    ModelMetadata parsed = ModelMetadata.fromJson(JSON.readTree(metadata.body));
    return InputData.prepare(parsed, new InputData.Random(1), shapes, 1).get(0);
  }

  private static java.net.http.HttpClient httpClient() {
    return java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1)
        .connectTimeout(CAPTURE_TIMEOUT).build();
  }

  private static HttpAnswer send(java.net.http.HttpClient client, HttpRequest.Builder request, String what)
      throws IOException {
    HttpResponse<byte[]> response;
    try {
      response = client.send(request.timeout(CAPTURE_TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while capturing " + what, e);
    }
    if (response.statusCode() != 200) {
      throw new IOException("cannot capture " + what + ": HTTP " + response.statusCode());
    }
    Map<String, String> headers = new java.util.TreeMap<>();
    response.headers().map().forEach((name, values) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!CONNECTION_HEADERS.contains(lower)) {
        headers.put(lower, String.join(",", values));
      }
    });
    return new HttpAnswer(response.statusCode(), headers, response.body());
  }

  /** The message of a successful unary call, without its length prefix. */
  private static byte[] unary(HttpClient client, String method, Buffer frame) throws IOException {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("content-type", GrpcInferenceClient.CONTENT_TYPE)
        .add("te", "trailers");
    RequestOptions call = new RequestOptions().setMethod(HttpMethod.POST)
        .setURI(GrpcInferenceClient.SERVICE_PATH + method).setHeaders(headers);
    Future<byte[]> answer = client.request(call).compose(request -> request.send(frame)).compose(response ->
        response.body().compose(body -> {
          String status = response.getTrailer("grpc-status");
          if (status == null) {
            status = response.getHeader("grpc-status");
          }
          if (response.statusCode() != 200 || !"0".equals(status) || body.length() < 5 || body.getByte(0) != 0
              || body.getInt(1) != body.length() - 5) {
            return Future.failedFuture(new IOException("cannot capture gRPC " + method + ": HTTP "
                + response.statusCode() + ", grpc-status " + status + ", " + body.length() + " bytes"));
          }
          return Future.succeededFuture(body.getBytes(5, body.length()));
        }));
    try {
      return answer.toCompletionStage().toCompletableFuture().get(CAPTURE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while capturing gRPC " + method, e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io
          : new IOException("cannot capture gRPC " + method + ": " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("gRPC " + method + " was not answered in " + CAPTURE_TIMEOUT.toSeconds() + " s", e);
    }
  }

  /**
   * Starts the floor on free loopback ports, with {@code eventLoops} event loops and one HTTP server
   * per loop for each protocol; gRPC is served only when {@code answers} has its messages.
   */
  static TransportFloor start(Answers answers, int eventLoops) throws Exception {
    return start(answers, eventLoops, false);
  }

  /**
   * Starts the floor as {@link #start(Answers, int)} does; with {@code handOff}, each inference answer
   * makes a round trip through one other thread first (the class's comment).
   */
  static TransportFloor start(Answers answers, int eventLoops, boolean handOff) throws Exception {
    if (eventLoops < 1) {
      throw new IllegalArgumentException("the transport floor needs at least one event loop, got " + eventLoops);
    }
    // On the gateway's default transports (io_uring for HTTP and epoll for gRPC where they load), so
    // that the floor is its floor.
    Transport httpTransport = EdgeTransport.unguarded(TransportPreference.DEFAULT, FrontEnd.HTTP);
    Transport grpcTransport = EdgeTransport.unguarded(TransportPreference.DEFAULT, FrontEnd.GRPC);
    Vertx vertx = vertx(httpTransport, eventLoops);
    Vertx grpcVertx = grpcTransport.name().equals(httpTransport.name()) ? vertx : vertx(grpcTransport, eventLoops);
    HandOff thread = handOff ? HandOff.thread() : HandOff.NONE;
    AtomicLong connections = new AtomicLong();
    try {
      Handler<HttpServerRequest> http = httpHandler(answers, thread);
      int httpPort = listen(vertx, baseOptions()
          .setDecompressionSupported(false)
          .setPerMessageWebSocketCompressionSupported(false)
          .setPerFrameWebSocketCompressionSupported(false), http, eventLoops, connections);
      int grpcPort = -1;
      if (answers.hasGrpc()) {
        GrpcServer grpc = GrpcServer.server(grpcVertx, new GrpcServerOptions()
            .removeEnabledProtocol(GrpcProtocol.WEB)
            .removeEnabledProtocol(GrpcProtocol.WEB_TEXT)
            .removeEnabledProtocol(GrpcProtocol.TRANSCODING));
        fixed(grpc, "ModelInfer", Buffer.buffer(answers.grpcInfer), thread);
        fixed(grpc, "ModelMetadata", Buffer.buffer(answers.grpcMetadata), HandOff.NONE);
        HttpServerOptions options = baseOptions().setHttp2ConnectionWindowSize(GRPC_CONNECTION_WINDOW_BYTES);
        options.getInitialSettings().setInitialWindowSize(GRPC_STREAM_WINDOW_BYTES);
        grpcPort = listen(grpcVertx, options, grpc, eventLoops, connections);
      }
      return new TransportFloor(vertx, grpcVertx, thread, connections, httpPort, grpcPort);
    } catch (Exception e) {
      vertx.close();
      if (grpcVertx != vertx) {
        grpcVertx.close();
      }
      thread.close();
      throw e;
    }
  }

  private static Vertx vertx(Transport transport, int eventLoops) {
    return Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(eventLoops)).withTransport(transport).build();
  }

  private static HttpServerOptions baseOptions() {
    return new HttpServerOptions().setHost("127.0.0.1").setPort(0).setTcpNoDelay(true)
        .setHttp2ClearTextEnabled(true)
        .setInitialSettings(new Http2Settings()
            .setMaxConcurrentStreams(EdgeLimits.DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS));
  }

  /**
   * Answers every call of {@code method} with {@code message}, once the call's request has ended and
   * the answer has made {@code handOff}'s round trip.
   */
  private static void fixed(GrpcServer server, String method, Buffer message, HandOff handOff) {
    ServiceMethod<Buffer, Buffer> fixed = ServiceMethod.server(SERVICE, method, GrpcMessageEncoder.IDENTITY,
        GrpcMessageDecoder.IDENTITY);
    server.callHandler(fixed, call -> {
      call.handler(DROP);
      call.endHandler(ended -> handOff.roundTrip(() -> call.response().end(message)));
    });
  }

  /**
   * The gateway's round trip to a model instance's thread, without the model: one thread that parks
   * while it has nothing to do, given each answer by the event loop and giving it back as a task; or,
   * {@link #NONE}, no round trip at all.
   */
  private static final class HandOff implements AutoCloseable {
    static final HandOff NONE = new HandOff(null);

    /** Null for {@link #NONE}. */
    private final ExecutorService thread;
    private final AtomicLong roundTrips = new AtomicLong();

    private HandOff(ExecutorService thread) {
      this.thread = thread;
    }

    static HandOff thread() {
      return new HandOff(Executors.newSingleThreadExecutor(task -> {
        Thread t = new Thread(task, "neutrino-floor-hand-off");
        t.setDaemon(true);
        return t;
      }));
    }

    /** Runs {@code write} on the calling event loop: at once, or once the hand-off thread has passed it back. */
    void roundTrip(Runnable write) {
      if (thread == null) {
        write.run();
        return;
      }
      Context eventLoop = Vertx.currentContext();
      thread.execute(() -> {
        roundTrips.incrementAndGet();
        eventLoop.runOnContext(v -> write.run());
      });
    }

    @Override
    public void close() {
      if (thread != null) {
        thread.shutdownNow();
      }
    }
  }

  /** The connections the floor has accepted, over HTTP and gRPC. */
  long connectionsAccepted() {
    return connections.get();
  }

  /** The answers that made the round trip through the hand-off thread; 0 without one. */
  long handedOff() {
    return handOff.roundTrips.get();
  }

  private static Handler<HttpServerRequest> httpHandler(Answers answers, HandOff handOff) {
    Prebuilt json = new Prebuilt(answers.json());
    Prebuilt binary = new Prebuilt(answers.binary());
    Prebuilt metadata = new Prebuilt(answers.metadata());
    Prebuilt notFound = new Prebuilt(new HttpAnswer(404, Map.of("content-type", "application/json"),
        NOT_FOUND.getBytes()));
    return request -> {
      String path = request.path();
      if (request.method() == HttpMethod.POST && path.endsWith("/infer")) {
        Prebuilt answer = request.headers().contains(HttpInferenceClient.HEADER_LENGTH) ? binary : json;
        request.handler(DROP);
        request.endHandler(ended -> handOff.roundTrip(() -> answer.write(request.response())));
      } else if (request.method() == HttpMethod.GET && path.startsWith("/v2/models/") && !path.endsWith("/stats")) {
        metadata.write(request.response());
      } else {
        request.handler(DROP);
        request.endHandler(ended -> notFound.write(request.response()));
      }
    };
  }

  /** An answer ready to write: its header names and values as Vert.x's pre-encoded header strings. */
  private static final class Prebuilt {
    private final int status;
    private final List<CharSequence[]> headers = new ArrayList<>();
    private final Buffer body;

    Prebuilt(HttpAnswer answer) {
      status = answer.status();
      answer.headers().forEach((name, value) ->
          headers.add(new CharSequence[] {HttpHeaders.createOptimized(name), HttpHeaders.createOptimized(value)}));
      body = Buffer.buffer(answer.body());
    }

    void write(HttpServerResponse response) {
      response.setStatusCode(status);
      for (CharSequence[] header : headers) {
        response.putHeader(header[0], header[1]);
      }
      response.end(body);
    }
  }

  private static int listen(Vertx vertx, HttpServerOptions options, Handler<HttpServerRequest> handler,
      int instances, AtomicLong connections) throws Exception {
    int[] bound = {-1};
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createHttpServer(options).connectionHandler(connection -> connections.incrementAndGet())
            .requestHandler(handler).listen().onSuccess(server -> {
              synchronized (bound) {
                bound[0] = server.actualPort();
              }
            });
      }
    }, new DeploymentOptions().setInstances(instances)).toCompletionStage().toCompletableFuture()
        .get(1, TimeUnit.MINUTES);
    synchronized (bound) {
      return bound[0];
    }
  }

  Endpoint http() {
    return Endpoint.http("127.0.0.1", httpPort);
  }

  /** The gRPC endpoint, or null when this floor serves none. */
  Endpoint grpc() {
    return grpcPort > 0 ? Endpoint.grpc("127.0.0.1", grpcPort) : null;
  }

  @Override
  public void close() throws Exception {
    try {
      if (grpcVertx != vertx) {
        grpcVertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
    } finally {
      handOff.close();
    }
  }
}
