package dev.neutrino.gateway.http;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.repo.Lease;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.runtime.InferenceException;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
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
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The REST side of the Open Inference Protocol: health, metadata, configuration and inference.
 *
 * <p>Every handler runs on the event loop of its connection and only parses, validates, enqueues and
 * writes: inference completes on a model instance's thread and is brought back to the request's own
 * context before the response is written. A request body is counted as it arrives and refused with
 * 413 as soon as it passes the limit, before it is buffered.
 */
public final class HttpFrontEnd {
  private static final System.Logger LOG = System.getLogger(HttpFrontEnd.class.getName());
  static final String HEADER_LENGTH = "Inference-Header-Content-Length";
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
  private static final CharSequence OCTET_STREAM = HttpHeaders.createOptimized("application/octet-stream");
  private static final CharSequence INFERENCE_HEADER = HttpHeaders.createOptimized(HEADER_LENGTH);

  private final Vertx vertx;
  private final ModelRepository repository;
  private final HttpOptions options;
  private final ProtocolJson.ServerMetadata serverMetadata;
  private final BooleanSupplier serverReady;
  private volatile String deploymentId;

  private HttpFrontEnd(Vertx vertx, ModelRepository repository, HttpOptions options,
      ProtocolJson.ServerMetadata serverMetadata, BooleanSupplier serverReady) {
    this.vertx = vertx;
    this.repository = repository;
    this.options = options;
    this.serverMetadata = serverMetadata;
    this.serverReady = serverReady;
  }

  /**
   * @param serverVersion reported by {@code GET /v2}
   * @param serverReady whether the server as a whole is ready (initial loads done, not stopping)
   */
  public static HttpFrontEnd create(Vertx vertx, ModelRepository repository, HttpOptions options,
      String serverVersion, BooleanSupplier serverReady) {
    ProtocolJson.ServerMetadata metadata = new ProtocolJson.ServerMetadata(
        "neutrino", serverVersion, dev.neutrino.gateway.Gateway.EXTENSIONS);
    return new HttpFrontEnd(vertx, repository, options, metadata, serverReady);
  }

  /**
   * Binds {@code instances} servers, one per event loop, to one port ({@code port} 0 picks a free one).
   * They are deployed as instances of one verticle: Vert.x then shares a single socket among them
   * (a random port included) and hands new connections to each in turn.
   *
   * @return the port bound
   */
  public Future<Integer> listen(String host, int port, int instances) {
    HttpServerOptions serverOptions = new HttpServerOptions()
        .setHost(host)
        .setPort(port)
        .setTcpNoDelay(true)
        .setIdleTimeout(options.idleTimeoutSeconds())
        .setDecompressionSupported(true)
        .setHttp2ClearTextEnabled(true)
        .setMaxInitialLineLength(16 * 1024)
        .setMaxHeaderSize(64 * 1024);
    int[] bound = {-1};
    return vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createHttpServer(serverOptions).requestHandler(HttpFrontEnd.this::handle).listen()
            .onSuccess(server -> {
              synchronized (bound) {
                bound[0] = server.actualPort();
              }
            });
      }
    }, new DeploymentOptions().setInstances(instances)).map(id -> {
      deploymentId = id;
      synchronized (bound) {
        return bound[0];
      }
    });
  }

  /** Stops accepting connections. */
  public Future<Void> close() {
    String id = deploymentId;
    deploymentId = null;
    return id == null ? Future.succeededFuture() : vertx.undeploy(id);
  }

  private void handle(HttpServerRequest request) {
    String path = request.path();
    if (!path.startsWith("/v2")) {
      notFound(request);
      return;
    }
    List<String> parts = segments(path);
    if (parts == null) {
      sendError(request, 400, "malformed path");
      return;
    }
    int n = parts.size();
    if (n == 1) {
      get(request, () -> sendJson(request, 200, ProtocolJson.write(serverMetadata)));
    } else if (n == 3 && parts.get(1).equals("health")) {
      switch (parts.get(2)) {
        case "live" -> get(request, () -> sendEmpty(request, 200));
        case "ready" -> get(request, () -> sendEmpty(request, serverReady.getAsBoolean() && repository.allReady() ? 200 : 503));
        default -> notFound(request);
      }
    } else if (n >= 3 && parts.get(1).equals("models")) {
      routeModel(request, parts);
    } else if (n >= 3 && parts.get(1).equals("repository")) {
      routeRepository(request, parts);
    } else {
      notFound(request);
    }
  }

  /** Routes {@code /v2/models/{m}[/versions/{v}][/ready|/infer|/config]}. */
  private void routeModel(HttpServerRequest request, List<String> parts) {
    String model = parts.get(2);
    String version = null;
    int next = 3;
    if (parts.size() >= 5 && parts.get(3).equals("versions")) {
      version = parts.get(4);
      next = 5;
    }
    String action = parts.size() == next ? "" : parts.size() == next + 1 ? parts.get(next) : null;
    if (action == null) {
      notFound(request);
      return;
    }
    String v = version;
    switch (action) {
      case "" -> get(request, () -> metadata(request, model, v));
      case "ready" -> get(request, () -> modelReady(request, model, v));
      case "config" -> get(request, () -> config(request, model, v));
      case "infer" -> {
        if (request.method() != HttpMethod.POST) {
          methodNotAllowed(request);
        } else {
          readBody(request, body -> infer(request, model, v, body));
        }
      }
      default -> notFound(request);
    }
  }

  /** Routes the repository extension: {@code /v2/repository/index} and {@code .../models/{m}/load|unload}. */
  private void routeRepository(HttpServerRequest request, List<String> parts) {
    boolean index = parts.size() == 3 && parts.get(2).equals("index");
    boolean change = parts.size() == 5 && parts.get(2).equals("models")
        && (parts.get(4).equals("load") || parts.get(4).equals("unload"));
    if (!index && !change) {
      notFound(request);
      return;
    }
    if (request.method() != HttpMethod.POST) {
      methodNotAllowed(request);
      return;
    }
    readBody(request, body -> {
      ProtocolJson.RepositoryRequest parsed;
      try {
        parsed = ProtocolJson.repositoryRequest(body);
      } catch (InferenceException e) {
        sendFailure(request, e);
        return;
      }
      if (index) {
        vertx.executeBlocking(() -> repository.index(parsed.readyOnly()), false)
            .onSuccess(rows -> sendJson(request, 200, ProtocolJson.write(ProtocolJson.index(rows))))
            .onFailure(error -> sendFailure(request, error));
        return;
      }
      String model = parts.get(3);
      boolean load = parts.get(4).equals("load");
      LOG.log(System.Logger.Level.INFO, "repository API: " + (load ? "load" : "unload") + " of model '" + model
          + "' requested by " + request.remoteAddress());
      CompletionStage<?> done = load
          ? repository.requestLoad(model, parsed.config())
          : repository.requestUnload(model);
      Future.fromCompletionStage(done, vertx.getOrCreateContext()).onComplete(result -> {
        if (result.succeeded()) {
          sendEmpty(request, 200);
        } else {
          sendFailure(request, result.cause());
        }
      });
    });
  }

  private void metadata(HttpServerRequest request, String model, String version) {
    try {
      ModelVersion found = repository.find(model, version);
      List<String> versions = version == null ? repository.readyVersions(model) : List.of(found.versionString());
      sendJson(request, 200, ProtocolJson.write(ProtocolJson.metadata(found.config(), versions)));
    } catch (InferenceException e) {
      sendFailure(request, e);
    }
  }

  private void modelReady(HttpServerRequest request, String model, String version) {
    try {
      repository.find(model, version);
      sendEmpty(request, 200);
    } catch (InferenceException e) {
      sendFailure(request, e);
    }
  }

  private void config(HttpServerRequest request, String model, String version) {
    try {
      sendJson(request, 200, ProtocolJson.write(ProtocolJson.config(repository.find(model, version).config())));
    } catch (InferenceException e) {
      sendFailure(request, e);
    }
  }

  private void infer(HttpServerRequest request, String model, String version, Buffer body) {
    DecodedInference decoded;
    try {
      decoded = HttpInferenceCodec.decode(body, inferenceHeaderLength(request));
    } catch (InferenceException e) {
      sendFailure(request, e);
      return;
    }
    InferenceRequest inference = decoded.request();
    long deadline = inference.deadlineNanos();
    if (inference.timeoutMicros() > 0) {
      deadline = Math.min(deadline, System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(inference.timeoutMicros()));
    }
    CompletableFuture<Lease> leasing = repository.acquireAsync(model, version, deadline).toCompletableFuture();
    if (leasing.isDone()) {
      // The usual case: the model is loaded, so stay on this event loop without a hop.
      Lease lease;
      try {
        lease = leasing.join();
      } catch (CompletionException e) {
        sendFailure(request, e.getCause());
        return;
      }
      run(request, lease, decoded);
    } else {
      // Residency: the model is loading for this request.
      Future.fromCompletionStage(leasing, vertx.getOrCreateContext()).onComplete(leased -> {
        if (leased.succeeded()) {
          run(request, leased.result(), decoded);
        } else {
          sendFailure(request, leased.cause());
        }
      });
    }
  }

  /** Runs a decoded request on a leased version and writes the answer; releases the lease after. */
  private void run(HttpServerRequest request, Lease lease, DecodedInference decoded) {
    try {
      ModelVersion target = lease.version();
      CompletionStage<InferenceResult> stage = target.infer(decoded.request());
      HttpServerResponse response = request.response();
      response.closeHandler(v -> stage.toCompletableFuture().cancel(false));
      Future.fromCompletionStage(stage, vertx.getOrCreateContext()).onComplete(result -> {
        try {
          if (result.succeeded()) {
            EncodedResponse encoded = HttpInferenceCodec.encode(target.name(), target.versionString(),
                decoded.request().id(), decoded.encoding(), result.result().outputs());
            if (encoded.headerLength() >= 0) {
              response.putHeader(HttpHeaders.CONTENT_TYPE, OCTET_STREAM)
                  .putHeader(INFERENCE_HEADER, Integer.toString(encoded.headerLength()));
            } else {
              response.putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
            }
            if (!response.closed()) {
              response.setStatusCode(200).end(encoded.body());
            }
          } else {
            sendFailure(request, result.cause());
          }
        } catch (RuntimeException e) {
          sendFailure(request, e);
        } finally {
          lease.close();
        }
      });
    } catch (RuntimeException e) {
      lease.close();
      sendFailure(request, e);
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

  /** Buffers the body, refusing it with 413 as soon as it is known to pass the limit. */
  private void readBody(HttpServerRequest request, Handler<Buffer> then) {
    long limit = options.maxRequestBytes();
    String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    long expected = 0;
    if (declared != null) {
      try {
        expected = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        sendError(request, 400, "malformed Content-Length");
        return;
      }
      if (expected > limit) {
        refuseTooLarge(request, "request body of " + expected + " bytes exceeds the limit of " + limit + " bytes");
        return;
      }
    }
    Buffer body = Buffer.buffer((int) Math.max(256, Math.min(expected, limit)));
    boolean[] refused = {false};
    request.handler(chunk -> {
      if (refused[0]) {
        return;
      }
      if ((long) body.length() + chunk.length() > limit) {
        refused[0] = true;
        refuseTooLarge(request, "request body exceeds the limit of " + limit + " bytes");
        return;
      }
      body.appendBuffer(chunk);
    });
    request.exceptionHandler(error -> refused[0] = true);
    request.endHandler(v -> {
      if (!refused[0]) {
        then.handle(body);
      }
    });
  }

  private void refuseTooLarge(HttpServerRequest request, String message) {
    HttpServerResponse response = request.response();
    if (request.version() != HttpVersion.HTTP_2) {
      // The rest of the body will not be read, so the connection cannot be reused.
      response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    }
    sendError(request, 413, message);
    if (request.version() != HttpVersion.HTTP_2) {
      response.endHandler(v -> request.connection().close());
    } else {
      response.reset();
    }
  }

  private void sendFailure(HttpServerRequest request, Throwable failure) {
    Throwable cause = failure;
    if (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof java.util.concurrent.CancellationException) {
      return; // the client went away: nobody to answer
    }
    if (cause instanceof InferenceException e) {
      HttpServerResponse response = request.response();
      java.time.Duration retryAfter = e instanceof InferenceException.Overloaded overloaded ? overloaded.retryAfter()
          : e instanceof InferenceException.NotReady notReady ? notReady.retryAfter() : null;
      if (retryAfter != null && !response.headWritten()) {
        long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        response.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
      }
      if (e.kind() == InferenceException.Kind.CANCELLED) {
        return;
      }
      sendError(request, HttpStatusMapping.status(e.kind()), e.getMessage());
    } else {
      LOG.log(System.Logger.Level.ERROR, "unexpected failure serving " + request.method() + " " + request.path(), cause);
      sendError(request, 500, "internal error");
    }
  }

  private void get(HttpServerRequest request, Runnable action) {
    if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
      methodNotAllowed(request);
    } else {
      action.run();
    }
  }

  private void notFound(HttpServerRequest request) {
    sendError(request, 404, "no such endpoint");
  }

  private void methodNotAllowed(HttpServerRequest request) {
    sendError(request, 405, "method " + request.method() + " is not allowed here");
  }

  private static void sendEmpty(HttpServerRequest request, int status) {
    HttpServerResponse response = request.response();
    if (!response.closed() && !response.ended()) {
      response.setStatusCode(status).end();
    }
  }

  private static void sendJson(HttpServerRequest request, int status, Buffer body) {
    HttpServerResponse response = request.response();
    if (!response.closed() && !response.ended()) {
      response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON).end(body);
    }
  }

  private static void sendError(HttpServerRequest request, int status, String message) {
    sendJson(request, status, HttpInferenceCodec.errorBody(message));
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
