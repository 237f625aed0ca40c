package dev.neutrino.gateway.grpc;

import dev.neutrino.gateway.RepositoryLoadParameters;
import dev.neutrino.gateway.admission.Admission;
import dev.neutrino.gateway.admission.Permit;
import dev.neutrino.gateway.call.InferenceCall;
import dev.neutrino.gateway.call.InferenceCalls;
import dev.neutrino.gateway.call.WarmupMark;
import dev.neutrino.gateway.generate.GenerationCall;
import dev.neutrino.gateway.generate.GenerationModels;
import dev.neutrino.gateway.grpc.proto.ModelStreamInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelConfigResponse;
import dev.neutrino.gateway.metrics.Protocol;
import dev.neutrino.gateway.logging.AccessLog;
import dev.neutrino.gateway.logging.LogFields;
import dev.neutrino.gateway.metrics.GatewayMetrics;
import dev.neutrino.gateway.security.RepositoryAudit;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelReadyResponse;
import dev.neutrino.gateway.grpc.proto.ServerLiveResponse;
import dev.neutrino.gateway.grpc.proto.ServerMetadataResponse;
import dev.neutrino.gateway.grpc.proto.ServerReadyResponse;
import dev.neutrino.gateway.grpc.proto.ModelRepositoryParameter;
import dev.neutrino.gateway.grpc.proto.RepositoryIndexResponse;
import dev.neutrino.gateway.grpc.proto.RepositoryModelLoadResponse;
import dev.neutrino.gateway.grpc.proto.RepositoryModelUnloadResponse;
import dev.neutrino.repo.ModelStatus;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.runtime.InferenceException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The handlers of {@code inference.GRPCInferenceService}: a thin protocol adapter. Inference goes
 * through the {@link InferenceCall} HTTP uses too; {@link GrpcInference} is only its gRPC half.
 *
 * <p>Threading: every handler runs on the event loop of its call's connection and only parses,
 * validates, enqueues and writes; metadata answers are non-blocking lookups. Inference completes on a
 * model instance's thread and is brought back to the call's own context
 * ({@code Future.fromCompletionStage(stage, context)}) before anything is written. A call the client
 * cancels (or whose deadline passes on the client) cancels its {@link InferenceCall}, which
 * withdraws a request still queued, or one still waiting for its model to load. Every path ends the call with a status from {@link GrpcStatusMapping}: none is left
 * hanging, and none answers UNKNOWN.
 *
 * <p>Thread-safe: the state here is immutable; per-call state lives in the call's closures,
 * {@link GrpcInference} and {@link StreamInferCall}, each touched only on its call's event loop.
 */
final class InferenceService {
  private final Vertx vertx;
  private final ModelRepository repository;
  private final BooleanSupplier serverReady;
  private final ServerMetadataResponse serverMetadata;
  private final GatewayMetrics metrics;
  private final AccessLog accessLog;
  private final InferenceCalls calls;
  private final long maxRequestBytes;
  private final GenerationModels generation;
  private final Admission admission;

  /**
   * @param maxRequestBytes the most bytes a request's tensors may take once decoded
   * @param admission the gateway's front door, which {@code ModelInfer} calls and each request of a
   *     {@code ModelStreamInfer} pass before their tensors are decoded
   * @param calls how its inference calls start, shared with the HTTP front end
   */
  InferenceService(Vertx vertx, ModelRepository repository, BooleanSupplier serverReady, String serverVersion,
      List<String> extensions, GatewayMetrics metrics, AccessLog accessLog, long maxRequestBytes,
      GenerationModels generation, Admission admission, InferenceCalls calls) {
    this.vertx = vertx;
    this.admission = admission;
    this.generation = generation;
    this.calls = calls;
    this.maxRequestBytes = maxRequestBytes;
    this.repository = repository;
    this.serverReady = serverReady;
    this.metrics = metrics;
    this.accessLog = accessLog;
    this.serverMetadata = ServerMetadataResponse.newBuilder()
        .setName("neutrino")
        .setVersion(serverVersion)
        .addAllExtensions(extensions)
        .build();
  }

  /** Registers every method of the service on {@code server}. Call once, before it serves. */
  void bind(GrpcServer server) {
    unary(server, ServiceMethods.SERVER_LIVE, request -> ServerLiveResponse.newBuilder().setLive(true).build());
    unary(server, ServiceMethods.SERVER_READY, request -> ServerReadyResponse.newBuilder()
        .setReady(serverReady.getAsBoolean() && repository.allReady()).build());
    unary(server, ServiceMethods.MODEL_READY, request -> ModelReadyResponse.newBuilder()
        .setReady(modelReady(request.getName(), request.getVersion())).build());
    unary(server, ServiceMethods.SERVER_METADATA, request -> serverMetadata);
    unary(server, ServiceMethods.MODEL_METADATA, request -> {
      ModelVersion found = repository.find(request.getName(), request.getVersion());
      List<String> versions = request.getVersion().isEmpty()
          ? repository.readyVersions(request.getName()) : List.of(found.versionString());
      return ModelMessages.metadata(found.config(), versions);
    });
    // The statistics extension, from the counters the metrics read.
    unary(server, ServiceMethods.MODEL_STATISTICS, request ->
        ModelMessages.statistics(metrics.statistics(request.getName(), request.getVersion())));
    unary(server, ServiceMethods.MODEL_CONFIG, request -> ModelConfigResponse.newBuilder()
        .setConfig(ModelMessages.config(repository.find(request.getName(), request.getVersion()).config()))
        .build());
    server.callHandler(ServiceMethods.MODEL_INFER, call -> {
      long deadlineNanos = GrpcTimeout.deadlineNanos(call.headers().get(GrpcTimeout.HEADER), System.nanoTime());
      // The front door, as soon as the call's headers are here: a call over the gateway's cap has its
      // message dropped unread. Its model's limit is checked once the message names it.
      if (!admission.admitsUnderCap(Protocol.GRPC)) {
        call.messageHandler(ignored -> { });
        end(call.response(), GrpcStatus.RESOURCE_EXHAUSTED, admission.capRefusal().getMessage());
        return;
      }
      readOne(ServiceMethods.MODEL_INFER, call, message -> refusedUnparsed(call, message),
          message -> modelInfer(call, message, deadlineNanos));
    });
    server.callHandler(ServiceMethods.MODEL_STREAM_INFER, call -> {
      long deadlineNanos = GrpcTimeout.deadlineNanos(call.headers().get(GrpcTimeout.HEADER), System.nanoTime());
      if (refuseEncoding(call)) {
        return;
      }
      new StreamInferCall(this, call, vertx.getOrCreateContext(), deadlineNanos).start();
    });
    server.callHandler(ServiceMethods.REPOSITORY_INDEX, call -> readOne(ServiceMethods.REPOSITORY_INDEX, call, request ->
        vertx.executeBlocking(() -> repository.index(request.getReady()), false).onComplete(rows -> {
          if (rows.failed()) {
            fail(call.response(), rows.cause(), "RepositoryIndex");
            return;
          }
          RepositoryIndexResponse.Builder index = RepositoryIndexResponse.newBuilder();
          for (ModelStatus row : rows.result()) {
            index.addModels(RepositoryIndexResponse.ModelIndex.newBuilder().setName(row.name())
                .setVersion(row.version()).setState(row.state().name()).setReason(row.reason()));
          }
          end(call.response(), index.build());
        })));
    server.callHandler(ServiceMethods.REPOSITORY_LOAD, call -> readOne(ServiceMethods.REPOSITORY_LOAD, call, request -> {
      String override = RepositoryLoadParameters.configOverride(request.getParametersMap().entrySet().iterator(),
          (ModelRepositoryParameter value) -> value.hasStringParam() ? value.getStringParam() : null);
      RepositoryAudit.Change change = RepositoryAudit.started("grpc", "load", request.getModelName(),
          String.valueOf(call.connection().remoteAddress()));
      answerRepositoryChange(call.response(), requested(() -> repository.requestLoad(request.getModelName(), override)),
          RepositoryModelLoadResponse.getDefaultInstance(), "RepositoryModelLoad", change);
    }));
    server.callHandler(ServiceMethods.REPOSITORY_UNLOAD, call -> readOne(ServiceMethods.REPOSITORY_UNLOAD, call,
        request -> {
      RepositoryAudit.Change change = RepositoryAudit.started("grpc", "unload", request.getModelName(),
          String.valueOf(call.connection().remoteAddress()));
      answerRepositoryChange(call.response(), requested(() -> repository.requestUnload(request.getModelName())),
          RepositoryModelUnloadResponse.getDefaultInstance(), "RepositoryModelUnload", change);
    }));
    for (ServiceMethod<?, ?> method : ServiceMethods.NOT_OFFERED) {
      refuse(server, method, method.methodName() + " is not supported by this server");
    }
  }

  /** The stage of a repository change; one that fails at once (a bad name) fails the stage instead. */
  private static java.util.concurrent.CompletionStage<?> requested(
      java.util.function.Supplier<java.util.concurrent.CompletionStage<?>> change) {
    try {
      return change.get();
    } catch (RuntimeException e) {
      return java.util.concurrent.CompletableFuture.failedFuture(e);
    }
  }

  /** Answers a load or unload once the repository has done it, on the call's own context, and audits it. */
  private <Resp> void answerRepositoryChange(GrpcServerResponse<?, Resp> response,
      java.util.concurrent.CompletionStage<?> done, Resp success, String method, RepositoryAudit.Change change) {
    io.vertx.core.Future.fromCompletionStage(done, vertx.getOrCreateContext()).onComplete(result -> {
      change.finished(result.cause());
      if (result.succeeded()) {
        end(response, success);
      } else {
        fail(response, result.cause(), method);
      }
    });
  }

  private boolean modelReady(String name, String version) {
    try {
      repository.find(name, version);
      return true;
    } catch (InferenceException e) {
      // Triton answers ready=false, not an error, for a model that is unknown or not loaded.
      return false;
    }
  }

  /**
   * Starts one inference for a call through the gateway's {@link InferenceCall}. {@code answer} runs
   * once, on {@code context}; the lease is released after it returns.
   *
   * @param call the gRPC call the message came in, for its metadata
   * @return the inference, to cancel if the client goes away
   */
  InferenceCall infer(String method, GrpcServerRequest<?, ?> call, ModelInferRequest message, long deadlineNanos,
      Context context, Handler<AsyncResult<ModelInferResponse>> answer, Permit permit) {
    WarmupMark mark = calls.warmupMark();
    GrpcInference front = new GrpcInference(message, maxRequestBytes, method, answer,
        mark.isOpen() && mark.marks(call.headers().get(WarmupMark.HEADER)));
    return calls.start(Protocol.GRPC, front, deadlineNanos, context, permit);
  }

  /** A place under its model's concurrency limit for one request of a stream, or null when refused. */
  Permit admit(ModelInferRequest message) {
    return admission.admit(Protocol.GRPC, message.getModelName());
  }

  /** What a request {@link #admit} refused is answered with. */
  String refusal(String model) {
    return admission.refusal(model).getMessage();
  }

  /**
   * The front door for a ModelInfer call whose message has arrived, before it is parsed: when
   * {@link #refusedUnparsed(GrpcMessage)} refuses it, the call is answered RESOURCE_EXHAUSTED and true
   * returned.
   */
  private boolean refusedUnparsed(GrpcServerRequest<?, ?> call, GrpcMessage message) {
    ModelNamePeek.Head refused = refusedUnparsed(message);
    if (refused == null) {
      return false;
    }
    end(call.response(), GrpcStatus.RESOURCE_EXHAUSTED, refusal(refused.modelName()));
    return true;
  }

  /**
   * The front door for a ModelInferRequest message (of ModelInfer or of a stream) that has arrived,
   * before it is parsed: the request's head ({@link ModelNamePeek}) when the model it names is at its
   * concurrency limit, or the gateway at its cap; null to parse it and go on. A compressed message,
   * or one whose head cannot be read, passes here and meets the limit once parsed.
   */
  ModelNamePeek.Head refusedUnparsed(GrpcMessage message) {
    if (!message.encoding().equals("identity")) {
      return null;
    }
    ModelNamePeek.Head head = ModelNamePeek.head(message.payload());
    return head == null || admission.admits(Protocol.GRPC, head.modelName()) ? null : head;
  }

  private void modelInfer(GrpcServerRequest<Received<ModelInferRequest>, ModelInferResponse> call,
      ModelInferRequest message, long deadlineNanos) {
    GrpcServerResponse<Received<ModelInferRequest>, ModelInferResponse> response = call.response();
    if (StreamGeneration.generates(repository, message)) {
      // As Triton refuses ModelInfer to a decoupled model: its answer is a stream.
      end(response, GrpcStatus.UNIMPLEMENTED, "ModelInfer RPC doesn't support models with decoupled transaction"
          + " policy: model '" + message.getModelName() + "' generates text; use ModelStreamInfer");
      return;
    }
    // The message is here, its tensors not yet decoded: the call takes its place under the limit now.
    Permit permit = admit(message);
    if (permit == null) {
      end(response, GrpcStatus.RESOURCE_EXHAUSTED, refusal(message.getModelName()));
      return;
    }
    InferenceCall inference = infer("ModelInfer", call, message, deadlineNanos, vertx.getOrCreateContext(),
        outcome -> {
          if (outcome.succeeded()) {
            end(response, outcome.result());
          } else {
            fail(response, outcome.cause(), "ModelInfer");
          }
        }, permit);
    whenGone(call, inference::cancel);
  }

  /** Whether {@code request} of a stream is for a generative model, which {@link #generate} answers. */
  boolean generates(ModelInferRequest request) {
    return StreamGeneration.generates(repository, request);
  }

  /** Streams the text {@code request} generates, a response per piece; see {@link StreamGeneration}. */
  void generate(GenerationCall.Client client, ModelInferRequest request, Consumer<ModelStreamInferResponse> write,
      Consumer<String> done) {
    StreamGeneration.start(vertx, repository, generation, client, request, write, done);
  }

  // ---------------------------------------------------------------------------------------------
  // Call plumbing

  /** The HTTP/2 path of one of the service's methods, for the access log. */
  static String path(String method) {
    return "/" + ServiceMethods.SERVICE.fullyQualifiedName() + "/" + method;
  }

  /**
   * A unary method answered at once, on the event loop, from the request message; logged to the
   * access log when that is on (calls refused before their message is read are not).
   */
  private <Req, Resp> void unary(
      GrpcServer server, ServiceMethod<Received<Req>, Resp> method, Function<Req, Resp> answer) {
    if (!accessLog.enabled()) {
      server.callHandler(method, call -> readOne(method, call, request -> end(call.response(), answer.apply(request))));
      return;
    }
    String path = path(method.methodName());
    server.callHandler(method, call -> {
      long arrived = System.nanoTime();
      readOne(method, call, request -> {
        String status = GrpcStatus.OK.name();
        try {
          end(call.response(), answer.apply(request));
        } catch (RuntimeException e) {
          status = GrpcStatusMapping.statusOf(e).name();
          throw e; // readOne answers it
        } finally {
          accessLog.log(new LogFields.Access("grpc", "POST", path, status,
              java.util.concurrent.TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - arrived), null, null, null));
        }
      });
    });
  }

  /**
   * Reads a unary call's one request message, then runs {@code then} on it, on the call's event loop.
   * A missing, repeated or malformed message is answered INVALID_ARGUMENT, one that does not
   * decompress INTERNAL ({@link ProtobufCodec#read}); whatever {@code then} throws is answered through
   * {@link GrpcStatusMapping}.
   */
  private <Req, Resp> void readOne(ServiceMethod<Received<Req>, Resp> serviceMethod,
      GrpcServerRequest<Received<Req>, Resp> call, Consumer<Req> then) {
    readOne(serviceMethod, call, message -> false, then);
  }

  /**
   * As {@link #readOne(ServiceMethod, GrpcServerRequest, Consumer)}, where {@code refused} sees the
   * message before it is parsed and answers the call itself when it returns true: the message is then
   * never parsed, and nothing else of the call is answered.
   */
  private <Req, Resp> void readOne(ServiceMethod<Received<Req>, Resp> serviceMethod,
      GrpcServerRequest<Received<Req>, Resp> call, Predicate<GrpcMessage> refused, Consumer<Req> then) {
    if (refuseEncoding(call)) {
      return;
    }
    String method = call.methodName();
    Received<?>[] first = {null};
    int[] count = {0};
    boolean[] answered = {false};
    call.messageHandler(message -> {
      if (count[0]++ == 0) {
        if (refused.test(message)) {
          answered[0] = true;
        } else {
          first[0] = read(serviceMethod, message);
        }
      }
    });
    call.endHandler(v -> {
      if (answered[0]) {
        return;
      }
      if (count[0] != 1) {
        end(call.response(), GrpcStatus.INVALID_ARGUMENT,
            method + " takes exactly one request message, got " + count[0]);
        return;
      }
      @SuppressWarnings("unchecked")
      Received<Req> received = (Received<Req>) first[0];
      if (received.problem() != null) {
        end(call.response(), received.status(), received.problem());
        return;
      }
      try {
        then.accept(received.message());
      } catch (RuntimeException e) {
        fail(call.response(), e, method);
      }
    });
  }

  /** One message of a call to {@code method}, decompressed and parsed ({@link ProtobufCodec#read}). */
  <Req> Received<Req> read(ServiceMethod<Received<Req>, ?> method, GrpcMessage message) {
    return ProtobufCodec.read(message, method.decoder(), maxRequestBytes);
  }

  /** Answers every call of {@code method} UNIMPLEMENTED once its request has arrived. */
  private static <Req, Resp> void refuse(GrpcServer server, ServiceMethod<Req, Resp> method, String message) {
    server.callHandler(method, call -> {
      call.messageHandler(ignored -> { }); // dropped unread: neither decompressed nor parsed
      call.endHandler(v -> end(call.response(), GrpcStatus.UNIMPLEMENTED, message));
    });
  }

  /**
   * Refuses a call whose messages are compressed in a way this server cannot read (the gateway reads
   * {@code identity} and {@code gzip}), rather than leaving it hanging.
   *
   * @return whether the call was refused
   */
  static boolean refuseEncoding(GrpcServerRequest<?, ?> call) {
    String encoding = call.encoding();
    if (encoding == null || encoding.equals("identity") || encoding.equals("gzip")) {
      return false;
    }
    call.messageHandler(ignored -> { });
    end(call.response(), GrpcStatus.UNIMPLEMENTED, "message encoding '" + encoding + "' is not supported");
    return true;
  }

  /**
   * Runs {@code action} once if the client goes away before the call ends: it cancels the call (also
   * what a client does when its deadline passes), or its connection fails.
   */
  static void whenGone(GrpcServerRequest<?, ?> call, Runnable action) {
    boolean[] ran = {false};
    Runnable once = () -> {
      if (!ran[0]) {
        ran[0] = true;
        action.run();
      }
    };
    call.errorHandler(error -> once.run());
    call.exceptionHandler(error -> once.run());
    call.response().exceptionHandler(error -> once.run());
  }

  /** Ends the call with {@code message} and status OK. */
  static <Resp> void end(GrpcServerResponse<?, Resp> response, Resp message) {
    try {
      response.end(message);
    } catch (IllegalStateException gone) {
      // The client reset the call, or it has ended already: nobody is left to answer.
    }
  }

  /** Ends the call with a status and no message. */
  static void end(GrpcServerResponse<?, ?> response, GrpcStatus status, String message) {
    try {
      response.status(status).statusMessage(message).end();
    } catch (IllegalStateException gone) {
      // As above.
    }
  }

  /** Ends the call with the status {@link GrpcStatusMapping} gives {@code failure}. */
  static void fail(GrpcServerResponse<?, ?> response, Throwable failure, String method) {
    GrpcStatusMapping.Failure answer = GrpcStatusMapping.of(failure, method);
    end(response, answer.status(), answer.message());
  }
}
