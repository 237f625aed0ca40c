package dev.neutrino.loadtest;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.neutrino.gateway.grpc.proto.InferStatistics;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelMetadataRequest;
import dev.neutrino.gateway.grpc.proto.ModelMetadataResponse;
import dev.neutrino.gateway.grpc.proto.ModelStatistics;
import dev.neutrino.gateway.grpc.proto.ModelStatisticsRequest;
import dev.neutrino.gateway.grpc.proto.ModelStatisticsResponse;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.TensorSpec;
import io.grpc.Status;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The Open Inference Protocol over gRPC: {@code GRPCInferenceService/ModelInfer} with
 * {@code raw_input_contents}, spoken directly over Vert.x's HTTP/2 client (clear text, prior
 * knowledge) as the gRPC over HTTP/2 specification lays it out, without a gRPC stack on the hot path.
 *
 * <p>Each prepared request is serialized and framed once, when the client connects (the 5-byte
 * length prefix, uncompressed, then the protobuf message). A call is one POST of that frame to
 * {@code /inference.GRPCInferenceService/ModelInfer} with {@code content-type: application/grpc},
 * {@code te: trailers} and {@code grpc-timeout}; its outcome is the {@code grpc-status} of the
 * trailers, or of the headers of a trailers-only response. The response message is discarded
 * unread. Failures are named as grpc-java names them ({@link Status.Code}): a non-200 HTTP status by
 * the specification's mapping, a reset stream by its error code, a client-side deadline as
 * {@code DEADLINE_EXCEEDED}, a lost or refused connection as {@code UNAVAILABLE}.
 *
 * <p>At connect, the model's metadata and the first inference response (it must decode and have
 * outputs) are read over the same connection and parsed with protobuf; so are {@link #stats()}.
 *
 * <p>Threads: {@link ClientLanes}, one HTTP/2 connection per lane carrying every concurrent call
 * (up to the server's {@code SETTINGS_MAX_CONCURRENT_STREAMS}: no client-side multiplexing limit).
 */
final class GrpcInferenceClient implements InferenceClient {
  static final String SERVICE_PATH = "/inference.GRPCInferenceService/";
  static final String CONTENT_TYPE = "application/grpc";
  /** The per-stream and connection receive windows (grpc-java's default window). */
  static final int WINDOW_BYTES = 1024 * 1024;
  private static final int PREFIX_BYTES = 5;
  /** The largest {@code grpc-timeout} value: eight digits. */
  private static final long MAX_TIMEOUT_VALUE = 99_999_999;
  private static final String[] SUB_SECOND_UNITS = {"n", "u", "m"};
  private static final long[] SUB_SECOND_UNIT_NANOS = {1, 1_000, 1_000_000};
  /** Status names by code value, shared so that counting an error allocates nothing. */
  private static final String[] CODES = new String[Status.Code.values().length];

  static {
    for (Status.Code code : Status.Code.values()) {
      CODES[code.value()] = code.name();
    }
  }

  private static final String UNKNOWN = CODES[Status.Code.UNKNOWN.value()];
  private static final String UNAVAILABLE = CODES[Status.Code.UNAVAILABLE.value()];
  private static final String INTERNAL = CODES[Status.Code.INTERNAL.value()];

  private final ClientLanes lanes;
  private final ClientLanes.Request send = this::send;
  private final RequestOptions inferCall;
  private final Buffer[] frames;
  private final RequestOptions statsCall;
  private final Buffer statsFrame;
  /** The outputs each prepared request must be answered with; empty lists when not checked. */
  private final InputData.Prepared prepared;
  private final int connections;
  private volatile boolean statsUnsupported;

  private GrpcInferenceClient(ClientLanes lanes, RequestOptions inferCall, Buffer[] frames, RequestOptions statsCall,
      Buffer statsFrame, InputData.Prepared prepared, int connections) {
    this.lanes = lanes;
    this.connections = connections;
    this.inferCall = inferCall;
    this.frames = frames;
    this.statsCall = statsCall;
    this.statsFrame = statsFrame;
    this.prepared = prepared;
  }

  /**
   * Connects, reads the model's metadata, prepares the requests and sends one to check that the
   * server accepts them.
   *
   * @throws IOException when the server cannot be reached, does not know the model, or refuses the
   *     prepared request (the message carries the server's status)
   */
  static GrpcInferenceClient connect(Endpoint endpoint, ClientSettings settings, CpuMeter meter) throws IOException {
    HttpClientOptions options = new HttpClientOptions()
        .setDefaultHost(endpoint.host())
        .setDefaultPort(endpoint.port())
        .setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false)
        .setKeepAlive(true)
        .setTcpNoDelay(true)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.timeout().toMillis()))
        .setHttp2MultiplexingLimit(HttpClientOptions.DEFAULT_HTTP2_MULTIPLEXING_LIMIT)
        .setHttp2ConnectionWindowSize(WINDOW_BYTES)
        .setInitialSettings(new Http2Settings().setInitialWindowSize(WINDOW_BYTES));
    ClientLanes lanes = ClientLanes.start(settings.eventLoops(), options, i -> new PoolOptions().setHttp2MaxSize(1),
        meter);
    try {
      String timeout = grpcTimeout(settings.timeout());
      ModelMetadataResponse response = unary(lanes.first(), call("ModelMetadata", timeout),
          frame(ModelMetadataRequest.newBuilder().setName(settings.model()).setVersion(settings.version()).build()),
          ModelMetadataResponse.parser(), "reading the model's metadata over gRPC at " + endpoint);
      ModelMetadata metadata = new ModelMetadata(response.getName(), response.getVersionsList(),
          response.getPlatform(), specs(response.getInputsList(), "input"), specs(response.getOutputsList(), "output"));
      InputData.Prepared prepared = InputData.prepareAll(metadata, settings.input(), settings.shapes(),
          settings.batchSize());
      List<List<TensorData>> payloads = prepared.inputs();
      Buffer[] frames = new Buffer[payloads.size()];
      for (int i = 0; i < frames.length; i++) {
        frames[i] = frame(request(settings.model(), settings.version(), payloads.get(i)));
      }
      RequestOptions inferCall = call("ModelInfer", timeout).setIdleTimeout(settings.timeout().toMillis());
      ModelInferResponse first = unary(lanes.first(), inferCall, frames[0], ModelInferResponse.parser(),
          "the prepared request");
      if (first.getOutputsCount() == 0) {
        throw new IOException("the server's inference response has no outputs");
      }
      return new GrpcInferenceClient(lanes, inferCall, frames, call("ModelStatistics", timeout),
          frame(ModelStatisticsRequest.newBuilder().setName(settings.model()).setVersion(settings.version()).build()),
          prepared, Math.max(1, settings.connections()));
    } catch (IOException | RuntimeException e) {
      lanes.close();
      throw e;
    }
  }

  /** The inference request for {@code tensors}, each as raw contents; {@code version} empty for the model's policy. */
  static ModelInferRequest request(String model, String version, List<TensorData> tensors) {
    ModelInferRequest.Builder request = ModelInferRequest.newBuilder()
        .setModelName(model)
        .setModelVersion(version);
    for (TensorData t : tensors) {
      ModelInferRequest.InferInputTensor.Builder input = ModelInferRequest.InferInputTensor.newBuilder()
          .setName(t.name())
          .setDatatype(t.datatype().wireName());
      for (long d : t.shape()) {
        input.addShape(d);
      }
      request.addInputs(input);
      request.addRawInputContents(ByteString.copyFrom(t.data()));
    }
    return request.build();
  }

  private static List<TensorSpec> specs(List<ModelMetadataResponse.TensorMetadata> tensors, String what) {
    List<TensorSpec> specs = new ArrayList<>();
    for (ModelMetadataResponse.TensorMetadata t : tensors) {
      DataType type = DataType.fromName(t.getDatatype());
      if (type == null) {
        throw new IllegalArgumentException(what + " '" + t.getName() + "' has unknown datatype '" + t.getDatatype() + "'");
      }
      long[] shape = new long[t.getShapeCount()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = t.getShape(i);
      }
      specs.add(new TensorSpec(t.getName(), type, shape));
    }
    return specs;
  }

  /** The POST of one method of the inference service, with the headers every call carries. */
  private static RequestOptions call(String method, String timeout) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap()
        .add("content-type", CONTENT_TYPE)
        .add("te", "trailers")
        .add("grpc-timeout", timeout);
    return new RequestOptions().setMethod(HttpMethod.POST).setURI(SERVICE_PATH + method).setHeaders(headers);
  }

  /** A length-prefixed message: compressed flag 0, the length as 4 bytes big-endian, the message. */
  static Buffer frame(MessageLite message) {
    byte[] bytes = message.toByteArray();
    return Buffer.buffer(PREFIX_BYTES + bytes.length).appendByte((byte) 0).appendInt(bytes.length).appendBytes(bytes);
  }

  /**
   * A {@code grpc-timeout} value: whole milliseconds when they fit its 8 digits (the usual case,
   * {@code 30000m}), else the finest unit that fits, rounded up.
   *
   * @throws IllegalArgumentException when {@code timeout} is not positive
   */
  static String grpcTimeout(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("a gRPC timeout must be positive, got " + timeout);
    }
    long seconds = timeout.getSeconds();
    int nanos = timeout.getNano();
    if (nanos % 1_000_000 == 0 && seconds <= MAX_TIMEOUT_VALUE / 1_000) {
      long millis = seconds * 1_000 + nanos / 1_000_000;
      if (millis <= MAX_TIMEOUT_VALUE) {
        return millis + "m";
      }
    }
    for (int i = 0; i < SUB_SECOND_UNITS.length; i++) {
      long perSecond = 1_000_000_000L / SUB_SECOND_UNIT_NANOS[i];
      if (seconds <= MAX_TIMEOUT_VALUE / perSecond) {
        long value = seconds * perSecond + ceilDiv(nanos, SUB_SECOND_UNIT_NANOS[i]);
        if (value <= MAX_TIMEOUT_VALUE) {
          return value + SUB_SECOND_UNITS[i];
        }
      }
    }
    long wholeSeconds = nanos > 0 && seconds < Long.MAX_VALUE ? seconds + 1 : seconds;
    if (wholeSeconds <= MAX_TIMEOUT_VALUE) {
      return wholeSeconds + "S";
    }
    long minutes = ceilDiv(wholeSeconds, 60);
    if (minutes <= MAX_TIMEOUT_VALUE) {
      return minutes + "M";
    }
    return Math.min(MAX_TIMEOUT_VALUE, ceilDiv(wholeSeconds, 3_600)) + "H";
  }

  private static long ceilDiv(long value, long unit) {
    return value / unit + (value % unit == 0 ? 0 : 1);
  }

  @Override
  public int connections() {
    return connections;
  }

  @Override
  public int payloads() {
    return frames.length;
  }

  @Override
  public void infer(int payload, Outcome outcome) {
    lanes.dispatch(send, payload, outcome);
  }

  private void send(HttpClient client, int payload, Outcome outcome) {
    Buffer frame = frames[payload];
    client.request(inferCall).onComplete(opened -> {
      if (opened.failed()) {
        outcome.complete(transportFailure(opened.cause()));
        return;
      }
      opened.result().send(frame).onComplete(sent -> {
        if (sent.failed()) {
          outcome.complete(transportFailure(sent.cause()));
          return;
        }
        HttpClientResponse response = sent.result();
        List<TensorData> expected = prepared.expected(payload);
        if (expected.isEmpty()) {
          response.end().onComplete(ended -> outcome.complete(
              ended.failed() ? transportFailure(ended.cause()) : status(response)));
          return;
        }
        response.body().onComplete(read -> {
          if (read.failed()) {
            outcome.complete(transportFailure(read.cause()));
            return;
          }
          String code = status(response);
          outcome.complete(code != null ? code : validate(expected, read.result()));
        });
      });
    });
  }

  /** Null when the answer's one message holds the expected outputs, else why not. */
  private static String validate(List<TensorData> expected, Buffer body) {
    if (body.length() < PREFIX_BYTES || body.getByte(0) != 0 || body.getInt(1) != body.length() - PREFIX_BYTES) {
      return ErrorCodes.BAD_RESPONSE;
    }
    try {
      ModelInferResponse answer = ModelInferResponse.parseFrom(body.getBytes(PREFIX_BYTES, body.length()));
      return OutputCheck.matches(expected, OutputCheck.fromGrpc(answer)) ? null : ErrorCodes.VALIDATION;
    } catch (InvalidProtocolBufferException e) {
      return ErrorCodes.BAD_RESPONSE;
    }
  }

  /** The outcome of a response that ended: null for OK, else the gRPC status name. */
  private static String status(HttpClientResponse response) {
    String grpcStatus = response.getTrailer("grpc-status");
    if (grpcStatus == null) {
      grpcStatus = response.getHeader("grpc-status");
    }
    return status(response.statusCode(), response.getHeader("content-type"), grpcStatus);
  }

  /**
   * The outcome of a gRPC response, as grpc-java reads it: a non-200 HTTP status by the
   * specification's mapping; a content type that is not gRPC, or a missing or unknown
   * {@code grpc-status}, as {@code UNKNOWN}; else null for status 0 and the status name otherwise.
   *
   * @param grpcStatus the {@code grpc-status} of the trailers, or of the headers of a trailers-only
   *     response; null when there is none
   */
  static String status(int httpStatus, String contentType, String grpcStatus) {
    if (httpStatus != 200) {
      return httpStatusCode(httpStatus);
    }
    if (contentType == null || !contentType.regionMatches(true, 0, CONTENT_TYPE, 0, CONTENT_TYPE.length())
        || (contentType.length() > CONTENT_TYPE.length()
            && contentType.charAt(CONTENT_TYPE.length()) != '+' && contentType.charAt(CONTENT_TYPE.length()) != ';')) {
      return UNKNOWN;
    }
    if (grpcStatus == null || grpcStatus.isEmpty() || grpcStatus.length() > 2) {
      return UNKNOWN;
    }
    int code = 0;
    for (int i = 0; i < grpcStatus.length(); i++) {
      char c = grpcStatus.charAt(i);
      if (c < '0' || c > '9') {
        return UNKNOWN;
      }
      code = code * 10 + (c - '0');
    }
    if (code == 0) {
      return null;
    }
    return code < CODES.length ? CODES[code] : UNKNOWN;
  }

  /** The gRPC status of a response whose HTTP status is not 200 (the specification's mapping). */
  static String httpStatusCode(int httpStatus) {
    Status.Code code = switch (httpStatus) {
      case 400 -> Status.Code.INTERNAL;
      case 401 -> Status.Code.UNAUTHENTICATED;
      case 403 -> Status.Code.PERMISSION_DENIED;
      case 404 -> Status.Code.UNIMPLEMENTED;
      case 429, 502, 503, 504 -> Status.Code.UNAVAILABLE;
      default -> Status.Code.UNKNOWN;
    };
    return CODES[code.value()];
  }

  /**
   * The gRPC status of a call that got no complete response: a reset stream by its HTTP/2 error
   * code, a client-side deadline as {@code DEADLINE_EXCEEDED}, the client's own refusal as
   * {@link ErrorCodes#CLIENT_BUSY}, any other connection failure as {@code UNAVAILABLE}.
   */
  static String transportFailure(Throwable failure) {
    if (failure instanceof StreamResetException reset) {
      return resetCode(reset.getCode());
    }
    String code = ErrorCodes.of(failure);
    if (code == ErrorCodes.TIMEOUT) {
      for (Throwable t = failure; t != null; t = t.getCause()) {
        if (t.getClass().getSimpleName().equals("ConnectTimeoutException")) {
          return UNAVAILABLE;
        }
      }
      return CODES[Status.Code.DEADLINE_EXCEEDED.value()];
    }
    return code == ErrorCodes.CLIENT_BUSY ? code : UNAVAILABLE;
  }

  /** The gRPC status of an RST_STREAM received from the server (the specification's mapping). */
  static String resetCode(long http2Error) {
    if (http2Error == 0x7) { // REFUSED_STREAM: not processed, safe to retry
      return UNAVAILABLE;
    }
    if (http2Error == 0x8) { // CANCEL
      return CODES[Status.Code.CANCELLED.value()];
    }
    if (http2Error == 0xb) { // ENHANCE_YOUR_CALM
      return CODES[Status.Code.RESOURCE_EXHAUSTED.value()];
    }
    if (http2Error == 0xc) { // INADEQUATE_SECURITY
      return CODES[Status.Code.PERMISSION_DENIED.value()];
    }
    return INTERNAL;
  }

  @Override
  public ServerStats.Snapshot stats() {
    if (statsUnsupported) {
      return null;
    }
    try {
      ModelStatisticsResponse response = unary(lanes.first(), statsCall, statsFrame, ModelStatisticsResponse.parser(),
          "reading the model's statistics");
      if (response.getModelStatsCount() == 0) {
        return null;
      }
      ServerStats.Snapshot sum = ServerStats.Snapshot.ZERO;
      for (ModelStatistics m : response.getModelStatsList()) {
        InferStatistics s = m.getInferenceStats();
        sum = sum.plus(new ServerStats.Snapshot(m.getInferenceCount(), m.getExecutionCount(),
            s.getQueue().getCount(), s.getQueue().getNs(), s.getComputeInfer().getCount(),
            s.getComputeInput().getNs() + s.getComputeInfer().getNs() + s.getComputeOutput().getNs()));
      }
      return sum;
    } catch (CallFailed e) {
      statsUnsupported = e.status.equals(Status.Code.UNIMPLEMENTED.name())
          || e.status.equals(Status.Code.NOT_FOUND.name());
      return null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  @Override
  public void close() {
    lanes.close();
  }

  /** A unary call that ended with a status other than OK. */
  private static final class CallFailed extends IOException {
    final String status;

    CallFailed(String what, String status, String message) {
      super(what + ": " + status + (message == null ? "" : " " + message));
      this.status = status;
    }
  }

  private record Reply(int httpStatus, String contentType, String grpcStatus, String grpcMessage, Buffer body) {}

  /**
   * One whole unary call, for set-up and statistics: sends {@code frame}, reads the whole answer and
   * parses its single message.
   *
   * @throws CallFailed naming the gRPC status when the call did not end with OK
   * @throws IOException naming {@code what} when there is no answer or the message cannot be read
   */
  private static <T> T unary(ClientLanes.Lane lane, RequestOptions call, Buffer frame, Parser<T> parser, String what)
      throws IOException {
    Reply reply = ClientLanes.await(lane, () -> lane.client().request(call)
        .compose(request -> request.send(frame))
        .compose(response -> response.body().map(body -> {
          boolean trailersOnly = response.getTrailer("grpc-status") == null;
          MultiMap status = trailersOnly ? response.headers() : response.trailers();
          return new Reply(response.statusCode(), response.getHeader("content-type"), status.get("grpc-status"),
              status.get("grpc-message"), body);
        })), what);
    String code = status(reply.httpStatus, reply.contentType, reply.grpcStatus);
    if (code != null) {
      String message = reply.grpcMessage != null ? percentDecode(reply.grpcMessage)
          : reply.httpStatus != 200 ? "(HTTP " + reply.httpStatus + ")" : null;
      throw new CallFailed(what, code, message);
    }
    Buffer body = reply.body;
    if (body.length() < PREFIX_BYTES || body.getByte(0) != 0 || body.getInt(1) != body.length() - PREFIX_BYTES) {
      throw new IOException(what + ": the answer is not one uncompressed gRPC message (" + body.length() + " bytes)");
    }
    try {
      return parser.parseFrom(body.getBytes(PREFIX_BYTES, body.length()));
    } catch (InvalidProtocolBufferException e) {
      throw new IOException(what + ": the answer does not decode: " + e.getMessage(), e);
    }
  }

  /** Decodes {@code grpc-message}, percent-encoded UTF-8. */
  static String percentDecode(String message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(message.length());
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      if (c == '%' && i + 2 < message.length() && isHex(message.charAt(i + 1)) && isHex(message.charAt(i + 2))) {
        out.write(Integer.parseInt(message, i + 1, i + 3, 16));
        i += 2;
      } else if (c < 0x80) {
        out.write(c);
      } else {
        out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static boolean isHex(char c) {
    return Character.digit(c, 16) >= 0;
  }
}
