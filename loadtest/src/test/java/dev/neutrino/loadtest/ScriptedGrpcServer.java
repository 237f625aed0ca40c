package dev.neutrino.loadtest;

import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelMetadataResponse;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;

/**
 * A tiny gRPC inference server on Vert.x's HTTP/2 server (clear text), written from the gRPC over
 * HTTP/2 specification rather than a gRPC library, whose {@code ModelInfer} answers the test
 * scripts. Metadata: one FP32 model {@code m}, {@code INPUT0 [-1,4]}. It records each call's
 * headers and body, and how many calls were open at once.
 */
final class ScriptedGrpcServer implements AutoCloseable {
  /** How to answer one {@code ModelInfer} call. */
  sealed interface Answer permits Ok, TrailersOnly, MessageThenStatus, HttpError {}

  /** A message and {@code grpc-status: 0} in the trailers. */
  record Ok() implements Answer {}

  /** No message: one HEADERS frame ending the stream, with {@code grpc-status} in it. */
  record TrailersOnly(int grpcStatus, String grpcMessage) implements Answer {}

  /** A message, then {@code grpc-status} in the trailers. */
  record MessageThenStatus(int grpcStatus) implements Answer {}

  /** A plain HTTP error, no gRPC status at all. */
  record HttpError(int httpStatus) implements Answer {}

  /** What the server saw of one {@code ModelInfer} call. */
  record Call(String path, Map<String, String> headers, Buffer body) {}

  private static final long MAX_CONCURRENT_STREAMS = 1024;

  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  private final LongFunction<Answer> answerOfCall;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final AtomicInteger callCount = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger maxOpen = new AtomicInteger();
  private final Map<Object, Boolean> connections = new ConcurrentHashMap<>();
  private final int holdUntilOpen;
  /** Answers held back; guards {@link #holding}. */
  private final List<Runnable> held = new ArrayList<>();
  private boolean holding;

  /**
   * @param answerOfCall the answer to the {@code ModelInfer} call of each index (0 is the client's
   *     checking call)
   * @param holdUntilOpen hold every answer after the checking call's until this many calls are open
   *     at once, then answer them and every later call at once; 0 never holds
   */
  ScriptedGrpcServer(LongFunction<Answer> answerOfCall, int holdUntilOpen) throws Exception {
    this.answerOfCall = answerOfCall;
    this.holdUntilOpen = holdUntilOpen;
    this.holding = holdUntilOpen > 0;
    server = vertx.createHttpServer(new HttpServerOptions()
            .setHost("127.0.0.1")
            .setPort(0)
            .setHttp2ClearTextEnabled(true)
            .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(MAX_CONCURRENT_STREAMS)))
        .requestHandler(this::handle);
    server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  Endpoint endpoint() {
    return Endpoint.grpc("127.0.0.1", server.actualPort());
  }

  List<Call> calls() {
    return calls;
  }

  int maxOpen() {
    return maxOpen.get();
  }

  int connections() {
    return connections.size();
  }

  private void handle(HttpServerRequest request) {
    connections.put(request.connection(), Boolean.TRUE);
    request.body().onSuccess(body -> {
      HttpServerResponse response = request.response();
      if (request.path().endsWith("/ModelMetadata")) {
        message(response, ModelMetadataResponse.newBuilder().setName("m").addVersions("1").setPlatform("test")
            .addInputs(tensor("INPUT0")).addOutputs(tensor("OUTPUT0")).build().toByteArray(), 0);
        return;
      }
      if (!request.path().endsWith("/ModelInfer")) {
        response.putHeader("content-type", "application/grpc").putHeader("grpc-status", "12").end();
        return;
      }
      Map<String, String> headers = new ConcurrentHashMap<>();
      request.headers().forEach(h -> headers.put(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue()));
      long index = callCount.getAndIncrement();
      calls.add(new Call(request.path(), headers, body));
      maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
      Runnable answer = () -> {
        open.decrementAndGet();
        answer(response, answerOfCall.apply(index));
      };
      List<Runnable> release = List.of(answer);
      synchronized (held) {
        if (holding && index > 0) {
          held.add(answer);
          release = List.of();
          if (held.size() >= holdUntilOpen) {
            holding = false;
            release = List.copyOf(held);
            held.clear();
          }
        }
      }
      release.forEach(Runnable::run);
    });
  }

  private static void answer(HttpServerResponse response, Answer answer) {
    byte[] output = ModelInferResponse.newBuilder().setModelName("m").setModelVersion("1")
        .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("OUTPUT0").setDatatype("FP32")
            .addShape(1).addShape(4))
        .addRawOutputContents(com.google.protobuf.ByteString.copyFrom(new byte[16]))
        .build().toByteArray();
    if (answer instanceof MessageThenStatus m) {
      message(response, output, m.grpcStatus());
    } else if (answer instanceof TrailersOnly t) {
      // Ending a response with no body sends one HEADERS frame with END_STREAM.
      response.putHeader("content-type", "application/grpc").putHeader("grpc-status", Integer.toString(t.grpcStatus()));
      if (t.grpcMessage() != null) {
        response.putHeader("grpc-message", t.grpcMessage());
      }
      response.end();
    } else if (answer instanceof HttpError e) {
      response.setStatusCode(e.httpStatus()).putHeader("content-type", "text/plain").end("no");
    } else {
      message(response, output, 0);
    }
  }

  private static void message(HttpServerResponse response, byte[] message, int grpcStatus) {
    response.putHeader("content-type", "application/grpc");
    response.write(Buffer.buffer().appendByte((byte) 0).appendInt(message.length).appendBytes(message));
    response.putTrailer("grpc-status", Integer.toString(grpcStatus));
    response.end();
  }

  private static ModelMetadataResponse.TensorMetadata tensor(String name) {
    return ModelMetadataResponse.TensorMetadata.newBuilder().setName(name).setDatatype("FP32")
        .addShape(-1).addShape(4).build();
  }

  @Override
  public void close() {
    vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
  }
}
