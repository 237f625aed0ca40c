package dev.neutrino.gateway.http;

import dev.neutrino.gateway.FrontEndContext;
import dev.neutrino.gateway.FrontEndOptions;
import dev.neutrino.gateway.ServerDeployment;
import dev.neutrino.gateway.admission.Admission;
import dev.neutrino.gateway.admission.Permit;
import dev.neutrino.gateway.edge.BodyBudget;
import dev.neutrino.gateway.edge.Edge;
import dev.neutrino.gateway.metrics.EdgeRefusals;
import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.gateway.call.InferenceCall;
import dev.neutrino.gateway.call.InferenceCalls;
import dev.neutrino.gateway.call.WarmupMark;
import dev.neutrino.gateway.logging.AccessLog;
import dev.neutrino.gateway.logging.LogFields;
import dev.neutrino.gateway.metrics.GatewayMetrics;
import dev.neutrino.gateway.metrics.Protocol;
import dev.neutrino.gateway.generate.TritonGenerateRoute;
import dev.neutrino.gateway.openai.OpenAiError;
import dev.neutrino.gateway.openai.OpenAiExchange;
import dev.neutrino.gateway.generate.GenerationModels;
import dev.neutrino.gateway.openai.OpenAiFrontEnd;
import dev.neutrino.gateway.security.AccessControl;
import dev.neutrino.gateway.security.ApiGroup;
import dev.neutrino.gateway.security.RepositoryAudit;
import dev.neutrino.gateway.tls.ServerTls;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.repo.TritonConfigFormat;
import dev.neutrino.runtime.InferenceException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * The REST side of the Open Inference Protocol: health, metadata, configuration, statistics and
 * inference.
 *
 * <p>Every handler runs on the event loop of its connection and only parses, validates, enqueues and
 * writes: inference completes on a model instance's thread and is brought back to the request's own
 * context before the response is written. A request body is counted as it arrives and refused with
 * 413 as soon as it passes the limit, before it is buffered.
 *
 * <p>Inference goes through the one {@link InferenceCall} gRPC uses too: this class only decodes,
 * encodes and maps failures to statuses ({@link #sendFailure}); the call reports each inference to
 * the gateway's {@link GatewayMetrics} and the {@link AccessLog} once. Every other request is logged
 * to the access log when that is on; an {@link Exchange} carries what it needs through the handlers.
 *
 * <p>Access is checked once per request, in {@link #handle}, as soon as the route's {@link ApiGroup}
 * is known and before any body is read: a refused request is answered 401 or 403 by
 * {@link AccessControl}'s rules.
 *
 * <p>OpenAI's API under {@code /v1} (group {@link ApiGroup#INFERENCE}) is answered by
 * {@link OpenAiFrontEnd}, to which this class lends the request ({@link OpenAiExchange}): the body
 * limits, the status mapping and the access log stay here; errors there take OpenAI's shape.
 */
public final class HttpFrontEnd {
  private static final System.Logger LOG = System.getLogger(HttpFrontEnd.class.getName());
  static final String HEADER_LENGTH = "Inference-Header-Content-Length";
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
  private static final CharSequence OCTET_STREAM = HttpHeaders.createOptimized("application/octet-stream");
  private static final CharSequence INFERENCE_HEADER = HttpHeaders.createOptimized(HEADER_LENGTH);
  /** What a request whose client went away is counted as: nginx's "client closed request". */
  static final int CLIENT_GONE = 499;
  /** How much of a refused body is read and dropped before the connection is closed anyway. */
  private static final long DISCARD_LIMIT_BYTES = 16L * 1024 * 1024;
  private static final long DISCARD_LIMIT_MILLIS = 5_000;
  /** The most a body's buffer is sized for before its bytes arrive. */
  private static final int INITIAL_BODY_BYTES = 64 * 1024;
  private static final InferenceException TOO_LARGE = new InferenceException.TooLarge("request body too large");
  private static final String[] CODES = new String[600];

  static {
    for (int i = 100; i < CODES.length; i++) {
      CODES[i] = Integer.toString(i);
    }
  }

  private final Vertx vertx;
  private final ModelRepository repository;
  private final FrontEndOptions options;
  private final ProtocolJson.ServerMetadata serverMetadata;
  private final BooleanSupplier serverReady;
  private final GatewayMetrics metrics;
  private final AccessLog accessLog;
  private final ServerDeployment servers;
  private final InferenceCalls calls;
  private final AccessControl access;
  private final Edge edge;
  private final OpenAiFrontEnd openAi;
  private final TritonGenerateRoute generate;
  private final Admission admission;
  /** The refusal answered last, encoded; shared by the event loops, so swapped whole. */
  private volatile EncodedRefusal lastRefusal;

  private HttpFrontEnd(Vertx vertx, ModelRepository repository, FrontEndOptions options,
      ProtocolJson.ServerMetadata serverMetadata, BooleanSupplier serverReady, GatewayMetrics metrics,
      AccessLog accessLog, AccessControl access, Edge edge, Admission admission, InferenceCalls calls) {
    this.vertx = vertx;
    this.admission = admission;
    this.access = access;
    this.edge = edge;
    this.servers = new ServerDeployment(vertx);
    this.repository = repository;
    this.options = options;
    this.serverMetadata = serverMetadata;
    this.serverReady = serverReady;
    this.metrics = metrics;
    this.accessLog = accessLog;
    this.calls = calls;
    this.openAi = OpenAiFrontEnd.create(vertx, repository, calls, metrics, System.currentTimeMillis() / 1000);
    this.generate = new TritonGenerateRoute(vertx, repository, openAi.generation());
  }

  /** @param access who may call which API group ({@code --http-restricted-api}) */
  public static HttpFrontEnd create(FrontEndContext context, AccessControl access) {
    ProtocolJson.ServerMetadata metadata = new ProtocolJson.ServerMetadata("neutrino", context.serverVersion(),
        context.extensions());
    return new HttpFrontEnd(context.vertx(), context.repository(), context.options(), metadata,
        context.serverReady(), context.metrics(), context.accessLog(), access, context.edge(), context.admission(),
        context.calls());
  }

  /**
   * One request on its way through the handlers, on its connection's event loop only: when it
   * arrived, and what the access log says of it once answered.
   */
  private final class Exchange {
    final HttpServerRequest request;
    final long arrivedNanos;
    String model;
    String version;
    String requestId;
    /** Whether the request is under {@code /v1}: its errors take OpenAI's shape. */
    final boolean openAi;
    /** Whether it passed the gateway's front door: it takes a place there once its body is here. */
    boolean admitted;
    /**
     * Its place under its model's concurrency limit and the gateway's cap, held from when its body
     * arrived until an {@link InferenceCall} takes it, or until the response ends or the connection
     * closes; null when none was taken (not an inference route, or its body has not arrived).
     */
    Permit permit;
    private boolean finished;

    Exchange(HttpServerRequest request, long arrivedNanos) {
      this.request = request;
      this.arrivedNanos = arrivedNanos;
      this.openAi = OpenAiFrontEnd.isOpenAiPath(request.path());
    }

    HttpServerResponse response() {
      return request.response();
    }

    /** The permit, for an {@link InferenceCall} to own from now on. */
    Permit takePermit() {
      Permit taken = permit != null ? permit : Permit.NONE;
      permit = null;
      return taken;
    }

    /** Answered, or the connection closed: a permit no call took is given back. */
    void ended() {
      if (permit != null) {
        permit.release();
        permit = null;
      }
    }

    /** An {@link InferenceCall} answers, observes and logs this request from now on. */
    void handOver() {
      finished = true;
    }

    /** The request has been answered with {@code status} (or its client is gone): log it once. */
    void finished(int status) {
      ended();
      if (finished) {
        return;
      }
      finished = true;
      if (accessLog.enabled()) {
        accessLog.log(new LogFields.Access("http", request.method().name(), request.path(), code(status),
            TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - arrivedNanos), model, version, requestId));
      }
    }
  }

  /** The {@code code} label of an HTTP status. */
  static String code(int status) {
    return status >= 100 && status < CODES.length ? CODES[status] : Integer.toString(status);
  }

  /**
   * Binds {@code instances} servers, one per event loop, to one port ({@code port} 0 picks a free one).
   * They are deployed as instances of one verticle: Vert.x then shares a single socket among them
   * (a random port included) and hands new connections to each in turn.
   *
   * @param tls the certificate to serve HTTPS with (HTTP/2 by ALPN, HTTP/1.1 otherwise); null serves
   *     cleartext
   * @return the port bound
   */
  public Future<Integer> listen(String host, int port, int instances, ServerTls tls) {
    HttpServerOptions serverOptions = ServerDeployment.serverOptions(host, port, options, edge.limits(), tls)
        .setDecompressionSupported(false) // bodies are decoded by readBody, within the limits
        // Every WebSocket handshake is refused (ServerDeployment): without these, Vert.x puts a
        // WebSocket extension handler in each HTTP/1.1 connection's pipeline that inspects every
        // request read and every response written.
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        .setMaxInitialLineLength(16 * 1024)
        .setMaxHeaderSize(64 * 1024);
    return servers.listen(serverOptions, this::handle, edge.connections().connectionHandler(), instances);
  }

  /** The listening servers: what a drain shuts down and a certificate reload updates. */
  public ServerDeployment deployment() {
    return servers;
  }

  /** Stops accepting connections; the generation engines are closed once the servers are. */
  public Future<Void> close() {
    return servers.close().andThen(done -> openAi.close());
  }

  /** The generation engines, shared with the gRPC front end's decoupled streaming. */
  public GenerationModels generation() {
    return openAi.generation();
  }

  private void handle(HttpServerRequest request) {
    edge.connections().headersRead(request);
    Exchange x = new Exchange(request, System.nanoTime());
    request.response().endHandler(v -> {
      edge.connections().answered(request);
      x.ended();
    });
    String path = request.path();
    if (!path.startsWith("/v2") && !x.openAi) {
      notFound(x);
      return;
    }
    List<String> parts = segments(path);
    if (parts == null) {
      sendError(x, 400, "malformed path");
      return;
    }
    ApiGroup group = group(parts);
    if (group != null && access.guards(group)) {
      InferenceException refusal = access.check(group, request::getHeader,
          () -> AccessControl.peerAddress(request.remoteAddress()));
      if (refusal != null) {
        sendFailure(x, refusal);
        return;
      }
    }
    if (x.openAi) {
      if (request.method() == HttpMethod.POST && infersOpenAi(parts) && !admit(x)) {
        return;
      }
      openAi.handle(new LentExchange(x), parts);
      return;
    }
    int n = parts.size();
    if (n == 1) {
      get(x, () -> sendJson(x, 200, ProtocolJson.write(serverMetadata)));
    } else if (n == 3 && parts.get(1).equals("health")) {
      switch (parts.get(2)) {
        case "live" -> get(x, () -> sendEmpty(x, 200));
        case "ready" -> get(x, () -> sendEmpty(x, serverReady.getAsBoolean() && repository.allReady() ? 200 : 503));
        default -> notFound(x);
      }
    } else if (n == 3 && parts.get(1).equals("models") && parts.get(2).equals("stats")) {
      get(x, () -> statistics(x, null, null)); // Triton's GET /v2/models/stats: every model
    } else if (n >= 3 && parts.get(1).equals("models")) {
      routeModel(x, parts);
    } else if (n >= 3 && parts.get(1).equals("repository")) {
      routeRepository(x, parts);
    } else {
      notFound(x);
    }
  }

  /**
   * The API group of the route at {@code parts} (a path under {@code /v2}, split), as
   * {@code --http-restricted-api} names them; null for a path that names no endpoint (answered 404).
   */
  static ApiGroup group(List<String> parts) {
    if (!parts.isEmpty() && parts.get(0).equals("v1")) {
      return ApiGroup.INFERENCE; // OpenAI's API: embeddings, generation and the models they serve
    }
    int n = parts.size();
    if (n == 1) {
      return ApiGroup.METADATA;
    }
    if (n == 3 && parts.get(1).equals("health")) {
      return ApiGroup.HEALTH;
    }
    if (n == 3 && parts.get(1).equals("models") && parts.get(2).equals("stats")) {
      return ApiGroup.STATISTICS;
    }
    if (n >= 3 && parts.get(1).equals("models")) {
      String action = modelAction(parts);
      return action == null ? null : switch (action) {
        case "" -> ApiGroup.METADATA;
        case "ready" -> ApiGroup.HEALTH;
        case "config" -> ApiGroup.MODEL_CONFIG;
        case "stats" -> ApiGroup.STATISTICS;
        case "infer", "generate", "generate_stream" -> ApiGroup.INFERENCE;
        default -> null;
      };
    }
    if (n >= 3 && parts.get(1).equals("repository")) {
      return ApiGroup.MODEL_REPOSITORY;
    }
    return null;
  }

  /** Whether {@code parts} (under {@code /v1}) name one of OpenAI's inference routes: embeddings or completions. */
  static boolean infersOpenAi(List<String> parts) {
    int n = parts.size();
    return n == 2 && (parts.get(1).equals("embeddings") || parts.get(1).equals("completions"))
        || n == 3 && parts.get(1).equals("chat") && parts.get(2).equals("completions");
  }

  /** The first segment after {@code /v2/models/{m}[/versions/{v}]}: "" for none, null for more than one. */
  private static String modelAction(List<String> parts) {
    int next = parts.size() >= 5 && parts.get(3).equals("versions") ? 5 : 3;
    return parts.size() == next ? "" : parts.size() == next + 1 ? parts.get(next) : null;
  }

  /** Routes {@code /v2/models/{m}[/versions/{v}][/ready|/infer|/config|/stats|/generate|/generate_stream]}. */
  private void routeModel(Exchange x, List<String> parts) {
    String model = parts.get(2);
    String version = parts.size() >= 5 && parts.get(3).equals("versions") ? parts.get(4) : null;
    String action = modelAction(parts);
    if (action == null) {
      notFound(x);
      return;
    }
    x.model = model;
    x.version = version;
    String v = version;
    switch (action) {
      case "" -> get(x, () -> metadata(x, model, v));
      case "ready" -> get(x, () -> modelReady(x, model, v));
      case "config" -> get(x, () -> config(x, model, v));
      case "stats" -> get(x, () -> statistics(x, model, v));
      case "infer" -> {
        if (x.request.method() != HttpMethod.POST) {
          methodNotAllowed(x);
        } else if (admit(x)) {
          readBody(x, body -> {
            if (enter(x)) {
              infer(x, model, v, body);
            }
          }, status -> metrics.failed(Protocol.HTTP, model, v, code(status),
              System.nanoTime() - x.arrivedNanos, status == 413 ? TOO_LARGE : null));
        }
      }
      case "generate", "generate_stream" -> {
        if (x.request.method() != HttpMethod.POST) {
          methodNotAllowed(x);
        } else if (admit(x)) {
          generate.handle(new LentExchange(x), model, v, action.equals("generate_stream"));
        }
      }
      default -> notFound(x);
    }
  }

  /** Routes the repository extension: {@code /v2/repository/index} and {@code .../models/{m}/load|unload}. */
  private void routeRepository(Exchange x, List<String> parts) {
    HttpServerRequest request = x.request;
    boolean index = parts.size() == 3 && parts.get(2).equals("index");
    boolean change = parts.size() == 5 && parts.get(2).equals("models")
        && (parts.get(4).equals("load") || parts.get(4).equals("unload"));
    if (!index && !change) {
      notFound(x);
      return;
    }
    if (request.method() != HttpMethod.POST) {
      methodNotAllowed(x);
      return;
    }
    readBody(x, body -> {
      ProtocolJson.RepositoryRequest parsed;
      try {
        parsed = ProtocolJson.repositoryRequest(body);
      } catch (InferenceException e) {
        sendFailure(x, e);
        return;
      }
      if (index) {
        vertx.executeBlocking(() -> repository.index(parsed.readyOnly()), false)
            .onSuccess(rows -> sendJson(x, 200, ProtocolJson.write(ProtocolJson.index(rows))))
            .onFailure(error -> sendFailure(x, error));
        return;
      }
      String model = parts.get(3);
      x.model = model;
      boolean load = parts.get(4).equals("load");
      RepositoryAudit.Change audit = RepositoryAudit.started("http", load ? "load" : "unload", model,
          String.valueOf(request.remoteAddress()));
      CompletionStage<?> done;
      try {
        done = load ? repository.requestLoad(model, parsed.config()) : repository.requestUnload(model);
      } catch (RuntimeException e) {
        done = CompletableFuture.failedFuture(e);
      }
      Future.fromCompletionStage(done, vertx.getOrCreateContext()).onComplete(result -> {
        audit.finished(result.cause());
        if (result.succeeded()) {
          sendEmpty(x, 200);
        } else {
          sendFailure(x, result.cause());
        }
      });
    }, null);
  }

  private void metadata(Exchange x, String model, String version) {
    try {
      ModelVersion found = repository.find(model, version);
      List<String> versions = version == null ? repository.readyVersions(model) : List.of(found.versionString());
      sendJson(x, 200, ProtocolJson.write(ProtocolJson.metadata(found.config(), versions)));
    } catch (InferenceException e) {
      sendFailure(x, e);
    }
  }

  private void modelReady(Exchange x, String model, String version) {
    try {
      repository.find(model, version);
      sendEmpty(x, 200);
    } catch (InferenceException e) {
      sendFailure(x, e);
    }
  }

  private void config(Exchange x, String model, String version) {
    try {
      sendJson(x, 200, Buffer.buffer(TritonConfigFormat.toJson(repository.find(model, version).config())));
    } catch (InferenceException e) {
      sendFailure(x, e);
    }
  }

  /** The statistics extension, from the counters the metrics read. */
  private void statistics(Exchange x, String model, String version) {
    try {
      sendJson(x, 200, ProtocolJson.write(ProtocolJson.statistics(metrics.statistics(model, version))));
    } catch (InferenceException e) {
      sendFailure(x, e);
    }
  }

  /** Runs an inference through the one {@link InferenceCall}; this front end only decodes and encodes. */
  private void infer(Exchange x, String model, String version, Buffer body) {
    x.handOver();
    InferenceCall call = calls.start(Protocol.HTTP, new HttpInference(x, model, version, body),
        InferenceRequest.NO_DEADLINE, vertx.getOrCreateContext(), x.takePermit());
    // The client went away (HTTP/1.1 connection closed, HTTP/2 stream reset): withdraw the request.
    // A call answered at once (bad input, an unknown model) has nothing left to withdraw.
    if (!x.response().ended()) {
      x.response().closeHandler(v -> call.cancel());
    }
  }

  /** The HTTP half of one inference call: the JSON or binary body in, the JSON or binary answer out. */
  private final class HttpInference implements InferenceCall.Front {
    private final Exchange x;
    private final String model;
    private final String version;
    private Buffer body;
    private DecodedInference.OutputEncoding encoding;
    private String requestId;

    HttpInference(Exchange x, String model, String version, Buffer body) {
      this.x = x;
      this.model = model;
      this.version = version;
      this.body = body;
    }

    @Override
    public String model() {
      return model;
    }

    @Override
    public String version() {
      return version;
    }

    @Override
    public String method() {
      return x.request.method().name();
    }

    @Override
    public String path() {
      return x.request.path();
    }

    @Override
    public boolean warmup() {
      WarmupMark mark = calls.warmupMark();
      return mark.isOpen() && mark.marks(x.request.getHeader(WarmupMark.HEADER));
    }

    @Override
    public InferenceRequest decode() {
      Buffer read = body;
      body = null; // binary inputs' tensors keep what they need of it alive
      DecodedInference decoded = HttpInferenceCodec.decode(read, inferenceHeaderLength(x.request),
          options.maxRequestBytes());
      encoding = decoded.encoding();
      requestId = decoded.request().id();
      return decoded.request();
    }

    @Override
    public String answer(ModelVersion target, InferenceResult result) {
      HttpServerResponse response = x.response();
      if (response.closed()) {
        return code(CLIENT_GONE);
      }
      EncodedResponse encoded = HttpInferenceCodec.encode(target.name(), target.versionString(),
          requestId, encoding, result.outputs());
      if (encoded.hasBinaryData()) {
        response.putHeader(HttpHeaders.CONTENT_TYPE, OCTET_STREAM)
            .putHeader(INFERENCE_HEADER, Integer.toString(encoded.headerLength()));
      } else {
        response.putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
      }
      response.setStatusCode(200).end(encoded.body());
      return code(200);
    }

    @Override
    public String fail(Throwable failure) {
      return code(sendFailure(x, failure));
    }
  }

  private static int inferenceHeaderLength(HttpServerRequest request) {
    String value = request.getHeader(HEADER_LENGTH);
    if (value == null) {
      return -1;
    }
    try {
      int length = Integer.parseInt(value.trim());
      if (length < 0) {
        throw new NumberFormatException();
      }
      return length;
    } catch (NumberFormatException e) {
      throw new InferenceException.InvalidInput(HEADER_LENGTH + " must be a non-negative integer");
    }
  }

  /**
   * Buffers the body as it arrives, refusing it with 413 as soon as it is known to pass the limit,
   * with 503 when the gateway's {@link BodyBudget} cannot take its next chunk, and with 408 when it
   * is not complete {@link dev.neutrino.gateway.edge.EdgeLimits#bodyReadTimeoutMillis()} after its
   * headers. The buffer grows with what has arrived, whatever the Content-Length declares; its bytes
   * are held in the budget until {@code then} has returned (which decodes the body, so it is dropped
   * then), or the body is refused, or its connection or stream closes. A body sent with a
   * {@link ContentCoding} is decoded once complete: 400 when it is not what its Content-Encoding
   * says, 413 when its decoded bytes pass the limit, 415 for an encoding not supported; its decoded
   * bytes are held in the budget too.
   *
   * @param refused runs after a refusal with the status answered, or null
   */
  private void readBody(Exchange x, Handler<Buffer> then, IntConsumer refused) {
    HttpServerRequest request = x.request;
    long limit = options.maxRequestBytes();
    String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    long expected = 0;
    if (declared != null) {
      try {
        expected = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        sendError(x, 400, "malformed Content-Length");
        return;
      }
      if (expected > limit) {
        refuse(x, 413, "request body of " + expected + " bytes exceeds the limit of " + limit + " bytes", refused);
        return;
      }
    }
    String encoding = request.getHeader(HttpHeaders.CONTENT_ENCODING);
    ContentCoding coding = ContentCoding.of(encoding);
    if (coding == null) {
      refuse(x, 415, "Content-Encoding '" + encoding + "' is not supported; send identity, gzip or deflate",
          refused);
      return;
    }
    ReceivedBody body = new ReceivedBody((int) Math.max(256, Math.min(expected, INITIAL_BODY_BYTES)));
    BodyBudget.Reservation reservation = edge.bodies().open();
    boolean[] stopped = {false};
    long timer = vertx.setTimer(edge.limits().bodyReadTimeoutMillis(), t -> {
      if (!stopped[0]) {
        stopped[0] = true;
        reservation.release();
        edge.refusals().refused(EdgeRefusals.Reason.BODY_TIMEOUT);
        refuse(x, 408, "the request body did not arrive within " + edge.limits().bodyReadTimeoutMillis() + " ms",
            refused);
      }
    });
    Runnable stop = () -> {
      stopped[0] = true;
      vertx.cancelTimer(timer);
      reservation.release();
    };
    request.handler(chunk -> {
      if (stopped[0]) {
        return;
      }
      if ((long) body.length() + chunk.length() > limit) {
        stop.run();
        refuse(x, 413, "request body exceeds the limit of " + limit + " bytes", refused);
        return;
      }
      if (!reservation.grow(chunk.length())) {
        stop.run();
        edge.refusals().refused(EdgeRefusals.Reason.BODY_BUDGET);
        x.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
        refuse(x, 503, "the server is receiving too many request bodies at once; retry later", refused);
        return;
      }
      body.add(chunk);
    });
    request.exceptionHandler(error -> {
      if (!stopped[0]) {
        stop.run();
        x.finished(CLIENT_GONE);
      }
    });
    x.response().closeHandler(v -> {
      if (!stopped[0]) {
        stop.run();
        x.finished(CLIENT_GONE);
      }
    });
    request.endHandler(v -> {
      if (!stopped[0]) {
        stopped[0] = true;
        vertx.cancelTimer(timer);
        try {
          Buffer decoded;
          try {
            decoded = coding.decode(body.whole(), limit, reservation::grow);
          } catch (InferenceException.InvalidInput | InferenceException.TooLarge e) {
            answerRefusal(x, HttpStatusMapping.status(e.kind()), e.getMessage(), refused);
            return;
          }
          if (decoded == null) {
            edge.refusals().refused(EdgeRefusals.Reason.BODY_BUDGET);
            x.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
            answerRefusal(x, 503, "the server is receiving too many request bodies at once; retry later", refused);
            return;
          }
          then.handle(decoded);
        } finally {
          reservation.release();
        }
      }
    });
  }

  /**
   * The chunks of one request body as they arrive, on its event loop only. A body that arrives in one
   * chunk (most inference bodies) is that chunk, never copied: Vert.x hands each chunk over in a heap
   * buffer of its own, which nothing else keeps or writes. A second chunk starts an aggregate that the
   * chunks are appended to, its first size {@code initialBytes} at most beyond what has arrived: a
   * declared length is a promise, not bytes that arrived.
   */
  private static final class ReceivedBody {
    private final int initialBytes;
    private Buffer body;
    private boolean aggregate;

    ReceivedBody(int initialBytes) {
      this.initialBytes = initialBytes;
    }

    int length() {
      return body == null ? 0 : body.length();
    }

    void add(Buffer chunk) {
      if (body == null) {
        body = chunk;
        return;
      }
      if (!aggregate) {
        aggregate = true;
        body = Buffer.buffer(Math.max(initialBytes, body.length() + chunk.length())).appendBuffer(body);
      }
      body.appendBuffer(chunk);
    }

    /** The whole body, once its last chunk has arrived: empty when none did. */
    Buffer whole() {
      return body == null ? Buffer.buffer(0) : body;
    }
  }

  /**
   * Lets an inference request through the gateway's front door, before its body is read: true when
   * it may come in (it takes its place with {@link #enter} once the body is here); false when its
   * model (the shared limit, for a route whose model is in its body), or the gateway, is at its
   * concurrency limit, answered 429 with {@code Retry-After} and the body dropped unread. An HTTP/1.1
   * connection stays usable: what the client still sends of the body is read and dropped without
   * being buffered (the connection is closed only past {@link #DISCARD_LIMIT_BYTES}); an HTTP/2
   * stream is reset once answered.
   */
  private boolean admit(Exchange x) {
    if (admission.admits(Protocol.HTTP, x.model)) {
      x.admitted = true;
      return true;
    }
    HttpServerRequest request = x.request;
    boolean unread = !request.isEnded();
    if (unread && request.version() != HttpVersion.HTTP_2) {
      HttpConnection connection = request.connection();
      long[] dropped = {0};
      request.handler(chunk -> {
        dropped[0] += chunk.length();
        if (dropped[0] > DISCARD_LIMIT_BYTES) {
          connection.close();
        }
      });
    }
    sendFailure(x, admission.refusal(x.model));
    if (unread && request.version() == HttpVersion.HTTP_2) {
      x.response().reset();
    }
    return false;
  }

  /**
   * Takes the place of a request admitted at the door whose body has arrived, before it is decoded:
   * false when the limit was reached meanwhile, answered 429 as at the door.
   */
  private boolean enter(Exchange x) {
    Permit permit = admission.admit(Protocol.HTTP, x.model);
    if (permit == null) {
      sendFailure(x, admission.refusal(x.model));
      return false;
    }
    x.permit = permit;
    return true;
  }

  /** Answers a body read whole but refused; the connection stays usable. */
  private void answerRefusal(Exchange x, int status, String message, IntConsumer refused) {
    sendError(x, status, message);
    if (refused != null) {
      refused.accept(status);
    }
  }

  /**
   * Answers a body that will not be read with {@code status} and drops the rest of it: an HTTP/1.1
   * connection is closed once the body has been drained (bounded), an HTTP/2 stream is reset.
   */
  private void refuse(Exchange x, int status, String message, IntConsumer refused) {
    HttpServerRequest request = x.request;
    HttpServerResponse response = request.response();
    boolean http2 = request.version() == HttpVersion.HTTP_2;
    if (!http2 && !response.ended() && !response.closed()) {
      // The connection will not be reused. Closing it while the client is still sending would make
      // the kernel answer the unread bytes with a reset, which can destroy the answer before the client
      // reads it; so the rest of the body is read and dropped (bounded), and Vert.x closes the
      // connection when the request ends.
      response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
      discardRest(request);
    }
    sendError(x, status, message);
    if (refused != null) {
      refused.accept(status);
    }
    if (http2) {
      response.reset();
    }
  }

  /**
   * Reads and drops what is left of a refused HTTP/1.1 body, closing the connection once the body
   * ends, or at once if the client sends more than {@link #DISCARD_LIMIT_BYTES} or takes longer than
   * {@link #DISCARD_LIMIT_MILLIS}.
   */
  private void discardRest(HttpServerRequest request) {
    HttpConnection connection = request.connection();
    if (request.isEnded()) {
      request.response().endHandler(v -> connection.close());
      return;
    }
    long timer = vertx.setTimer(DISCARD_LIMIT_MILLIS, t -> connection.close());
    long[] discarded = {0};
    request.handler(chunk -> {
      discarded[0] += chunk.length();
      if (discarded[0] > DISCARD_LIMIT_BYTES) {
        vertx.cancelTimer(timer);
        connection.close();
      }
    });
    request.exceptionHandler(error -> vertx.cancelTimer(timer));
    request.endHandler(v -> {
      vertx.cancelTimer(timer);
      connection.close();
    });
  }

  /**
   * Answers a failure with the status HttpStatusMapping gives it.
   *
   * @return the status answered, or {@link #CLIENT_GONE} when nobody was left to answer
   */
  private int sendFailure(Exchange x, Throwable failure) {
    Throwable cause = InferenceException.unwrap(failure);
    if (cause instanceof InferenceException e) {
      if (e.kind() == InferenceException.Kind.CANCELLED) {
        x.finished(CLIENT_GONE); // the client went away: nobody to answer
        return CLIENT_GONE;
      }
      HttpServerResponse response = x.response();
      java.time.Duration retryAfter = e instanceof InferenceException.Overloaded overloaded ? overloaded.retryAfter()
          : e instanceof InferenceException.NotReady notReady ? notReady.retryAfter() : null;
      if (retryAfter != null && !response.headWritten()) {
        long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        response.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
      }
      int status = HttpStatusMapping.status(e.kind());
      if (x.openAi) {
        sendJson(x, status, OpenAiError.of(status, e).body());
      } else {
        sendJson(x, status, errorBody(e));
      }
      return status;
    }
    HttpServerRequest request = x.request;
    LOG.log(System.Logger.Level.ERROR, "unexpected failure serving " + request.method() + " " + request.path(),
        cause);
    sendError(x, 500, "internal error");
    return 500;
  }

  /**
   * The JSON error body of {@code e}. The front door's last refusal is encoded once and answered from
   * then on while it stays the same refusal, as it does while its limit stays
   * ({@link Admission#refusal(String)}); under overload it is most of what this front end answers. The
   * batcher's refusals, each its own, are encoded as they come and leave the door's in place.
   */
  private Buffer errorBody(InferenceException e) {
    EncodedRefusal last = lastRefusal;
    if (last != null && last.refusal == e) {
      return last.body;
    }
    Buffer body = HttpInferenceCodec.errorBody(e.getMessage());
    if (Admission.isRefusal(e)) {
      lastRefusal = new EncodedRefusal(e, body);
    }
    return body;
  }

  /** A refusal and its encoded body, which is only ever read (each answer writes a slice of it). */
  private record EncodedRefusal(InferenceException refusal, Buffer body) {}

  private void get(Exchange x, Runnable action) {
    HttpMethod method = x.request.method();
    if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
      methodNotAllowed(x);
    } else {
      action.run();
    }
  }

  private void notFound(Exchange x) {
    sendError(x, 404, "no such endpoint");
  }

  private void methodNotAllowed(Exchange x) {
    sendError(x, 405, "method " + x.request.method() + " is not allowed here");
  }

  private static void sendEmpty(Exchange x, int status) {
    HttpServerResponse response = x.response();
    if (!response.closed() && !response.ended()) {
      response.setStatusCode(status).end();
      x.finished(status);
    } else {
      x.finished(CLIENT_GONE);
    }
  }

  private static void sendJson(Exchange x, int status, Buffer body) {
    HttpServerResponse response = x.response();
    if (!response.closed() && !response.ended()) {
      response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON).end(body);
      x.finished(status);
    } else {
      x.finished(CLIENT_GONE);
    }
  }

  private static void sendError(Exchange x, int status, String message) {
    sendJson(x, status, x.openAi ? OpenAiError.of(status, message).body() : HttpInferenceCodec.errorBody(message));
  }

  /** A {@code /v1} request as the OpenAI routes see it: the rest of this front end stays here. */
  private final class LentExchange implements OpenAiExchange {
    private final Exchange x;

    LentExchange(Exchange x) {
      this.x = x;
    }

    @Override
    public HttpServerRequest request() {
      return x.request;
    }

    @Override
    public void readBody(Handler<Buffer> then) {
      HttpFrontEnd.this.readBody(x, body -> {
        if (!x.admitted || enter(x)) {
          then.handle(body);
        }
      }, null);
    }

    @Override
    public void sendJson(int status, Buffer body) {
      HttpFrontEnd.sendJson(x, status, body);
    }

    @Override
    public int fail(Throwable failure) {
      return sendFailure(x, failure);
    }

    @Override
    public void sendError(OpenAiError error) {
      HttpFrontEnd.sendJson(x, error.status(), error.body());
    }

    @Override
    public void model(String name) {
      x.model = name;
    }

    @Override
    public boolean admitModel(String name) {
      model(name);
      if (x.permit == null) {
        return true;
      }
      x.permit.release(); // first, so that the gateway's cap does not count the request twice
      x.permit = admission.admit(Protocol.HTTP, name);
      if (x.permit == null) {
        sendFailure(x, admission.refusal(name));
        return false;
      }
      return true;
    }

    @Override
    public void handOver() {
      x.handOver();
    }
  }

  /** Splits and percent-decodes the path; null when it cannot be decoded. */
  static List<String> segments(String path) {
    List<String> parts = new ArrayList<>();
    for (String raw : path.substring(1).split("/", -1)) {
      if (raw.isEmpty()) {
        continue;
      }
      try {
        parts.add(raw.indexOf('%') >= 0 ? URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8) : raw);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return parts;
  }
}
