package dev.neutrino.loadtest;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The naive baseline of BENCHMARKS.md: what a competent user writes by hand in an afternoon. The
 * JDK's HTTP server with a pool of worker threads, TCP_NODELAY on, one ONNX Runtime session shared by
 * the workers, and one {@code session.run} per request: no batching, no queue of its own. It speaks
 * just enough of the Open Inference Protocol for the generator: model metadata, and inference with
 * JSON or binary tensors (FP32, INT32, INT64).
 *
 * <p>It is deliberately written the plain way (Jackson's tree model, arrays copied into ORT's
 * tensors) and deliberately not sabotaged: Nagle is off, the session uses all graph optimisations,
 * and the worker count is chosen by the caller to be what helps most.
 */
final class NaiveServer implements AutoCloseable {
  static {
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HEADER_LENGTH = "Inference-Header-Content-Length";

  private final HttpServer server;
  private final ExecutorService workers;
  private final OrtEnvironment env;
  private final OrtSession session;
  private final String modelName;
  private final byte[] metadata;

  private NaiveServer(HttpServer server, ExecutorService workers, OrtEnvironment env, OrtSession session,
      String modelName, byte[] metadata) {
    this.server = server;
    this.workers = workers;
    this.env = env;
    this.session = session;
    this.modelName = modelName;
    this.metadata = metadata;
  }

  /**
   * Loads the model and starts serving it on a free loopback port.
   *
   * @param workers HTTP worker threads, each running at most one inference at a time
   * @param intraOpThreads ONNX Runtime threads inside one run
   */
  static NaiveServer start(Path modelFile, String modelName, int workers, int intraOpThreads)
      throws IOException, OrtException {
    return start(modelFile, modelName, workers, intraOpThreads, 0);
  }

  /** As {@link #start(Path, String, int, int)}, on loopback port {@code port} (0: a free one). */
  static NaiveServer start(Path modelFile, String modelName, int workers, int intraOpThreads, int port)
      throws IOException, OrtException {
    if (!Boolean.getBoolean("sun.net.httpserver.nodelay")) {
      throw new IllegalStateException("sun.net.httpserver.nodelay must be true before the JDK server loads");
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    options.setIntraOpNumThreads(intraOpThreads);
    options.setInterOpNumThreads(1);
    OrtSession session = env.createSession(modelFile.toString(), options);
    byte[] metadata = metadata(session, modelName);
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
    AtomicInteger count = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
      Thread t = new Thread(r, "naive-worker-" + count.getAndIncrement());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(pool);
    NaiveServer naive = new NaiveServer(server, pool, env, session, modelName, metadata);
    server.createContext("/", naive::handle);
    server.start();
    return naive;
  }

  int port() {
    return server.getAddress().getPort();
  }

  /**
   * Serves as a process of its own, until killed (the overload scenario runs it on the gateway's
   * pinned cores): {@code PORT MODEL.onnx NAME WORKERS INTRA_OP_THREADS}.
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      throw new IllegalArgumentException("usage: NaiveServer PORT MODEL.onnx NAME WORKERS INTRA_OP_THREADS");
    }
    NaiveServer naive = start(Path.of(args[1]), args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]),
        Integer.parseInt(args[0]));
    System.out.println("naive server on port " + naive.port());
    Thread.currentThread().join(); // its workers are daemons: this thread keeps the process until it is killed
  }

  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow();
    try {
      session.close();
    } catch (OrtException e) {
      // Nothing to do at shutdown.
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String path = exchange.getRequestURI().getPath();
      String base = "/v2/models/" + modelName;
      if (path.equals(base) || path.equals(base + "/versions/1")) {
        send(exchange, 200, "application/json", metadata, -1);
      } else if (path.equals(base + "/infer") || path.equals(base + "/versions/1/infer")) {
        infer(exchange, body);
      } else if (path.equals("/v2/health/ready") || path.equals("/v2/health/live")) {
        send(exchange, 200, "application/json", new byte[0], -1);
      } else {
        sendError(exchange, 404, "no such endpoint");
      }
    } catch (RuntimeException e) {
      sendError(exchange, 500, String.valueOf(e.getMessage()));
    }
  }

  private void infer(HttpExchange exchange, byte[] body) throws IOException {
    String headerLength = exchange.getRequestHeaders().getFirst(HEADER_LENGTH);
    int jsonLength = headerLength == null ? body.length : Integer.parseInt(headerLength);
    JsonNode request = JSON.readTree(body, 0, jsonLength);
    boolean binaryOut = request.path("parameters").path("binary_data_output").asBoolean(false);
    Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
    try {
      int offset = jsonLength;
      for (JsonNode input : request.path("inputs")) {
        String name = input.path("name").asText();
        long[] shape = JSON.convertValue(input.path("shape"), long[].class);
        String datatype = input.path("datatype").asText();
        JsonNode size = input.path("parameters").path("binary_data_size");
        ByteBuffer raw = null;
        if (!size.isMissingNode()) {
          raw = ByteBuffer.wrap(body, offset, size.asInt()).slice().order(ByteOrder.LITTLE_ENDIAN);
          offset += size.asInt();
        }
        inputs.put(name, tensor(datatype, shape, input.path("data"), raw));
      }
      try (OrtSession.Result result = session.run(inputs)) {
        respond(exchange, result, binaryOut);
      }
    } catch (OrtException | IllegalArgumentException e) {
      sendError(exchange, 400, e.getMessage());
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  private OnnxTensor tensor(String datatype, long[] shape, JsonNode data, ByteBuffer raw) throws OrtException {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    switch (datatype) {
      case "FP32" -> {
        float[] values = new float[n];
        if (raw != null) {
          raw.asFloatBuffer().get(values);
        } else {
          List<JsonNode> flat = flatten(data, n);
          for (int i = 0; i < n; i++) {
            values[i] = (float) flat.get(i).asDouble();
          }
        }
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(values), shape);
      }
      case "INT64" -> {
        long[] values = new long[n];
        if (raw != null) {
          raw.asLongBuffer().get(values);
        } else {
          List<JsonNode> flat = flatten(data, n);
          for (int i = 0; i < n; i++) {
            values[i] = flat.get(i).asLong();
          }
        }
        return OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape);
      }
      case "INT32" -> {
        int[] values = new int[n];
        if (raw != null) {
          raw.asIntBuffer().get(values);
        } else {
          List<JsonNode> flat = flatten(data, n);
          for (int i = 0; i < n; i++) {
            values[i] = flat.get(i).asInt();
          }
        }
        return OnnxTensor.createTensor(env, IntBuffer.wrap(values), shape);
      }
      default -> throw new IllegalArgumentException("datatype " + datatype + " is not supported");
    }
  }

  private static List<JsonNode> flatten(JsonNode data, int expected) {
    List<JsonNode> flat = new ArrayList<>(expected);
    flattenInto(data, flat);
    if (flat.size() != expected) {
      throw new IllegalArgumentException("expected " + expected + " values, got " + flat.size());
    }
    return flat;
  }

  private static void flattenInto(JsonNode node, List<JsonNode> out) {
    if (node.isArray()) {
      node.forEach(child -> flattenInto(child, out));
    } else {
      out.add(node);
    }
  }

  private void respond(HttpExchange exchange, OrtSession.Result result, boolean binary) throws IOException {
    ByteArrayOutputStream json = new ByteArrayOutputStream();
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.getFactory().createGenerator(json)) {
      g.writeStartObject();
      g.writeStringField("model_name", modelName);
      g.writeStringField("model_version", "1");
      g.writeArrayFieldStart("outputs");
      for (Map.Entry<String, OnnxValue> output : result) {
        OnnxTensor tensor = (OnnxTensor) output.getValue();
        TensorInfo info = tensor.getInfo();
        g.writeStartObject();
        g.writeStringField("name", output.getKey());
        g.writeStringField("datatype", wireType(info.type));
        g.writeFieldName("shape");
        long[] shape = info.getShape();
        g.writeArray(shape, 0, shape.length);
        if (binary) {
          ByteBuffer bytes = tensor.getByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
          byte[] copy = new byte[bytes.remaining()];
          bytes.get(copy);
          data.writeBytes(copy);
          g.writeObjectFieldStart("parameters");
          g.writeNumberField("binary_data_size", copy.length);
          g.writeEndObject();
        } else {
          g.writeArrayFieldStart("data");
          switch (info.type) {
            case FLOAT -> {
              FloatBuffer b = tensor.getFloatBuffer();
              while (b.hasRemaining()) {
                g.writeNumber(b.get());
              }
            }
            case INT64 -> {
              LongBuffer b = tensor.getLongBuffer();
              while (b.hasRemaining()) {
                g.writeNumber(b.get());
              }
            }
            case INT32 -> {
              IntBuffer b = tensor.getIntBuffer();
              while (b.hasRemaining()) {
                g.writeNumber(b.get());
              }
            }
            default -> throw new IllegalArgumentException("output type " + info.type + " is not supported");
          }
          g.writeEndArray();
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    int jsonLength = json.size();
    json.writeBytes(data.toByteArray());
    send(exchange, 200, binary ? "application/octet-stream" : "application/json", json.toByteArray(),
        binary ? jsonLength : -1);
  }

  private static String wireType(OnnxJavaType type) {
    return switch (type) {
      case FLOAT -> "FP32";
      case DOUBLE -> "FP64";
      case INT64 -> "INT64";
      case INT32 -> "INT32";
      default -> type.name();
    };
  }

  private static byte[] metadata(OrtSession session, String modelName) throws OrtException, IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("name", modelName);
    json.put("versions", List.of("1"));
    json.put("platform", "onnxruntime_onnx");
    json.put("inputs", tensors(session.getInputInfo()));
    json.put("outputs", tensors(session.getOutputInfo()));
    return JSON.writeValueAsBytes(json);
  }

  private static List<Map<String, Object>> tensors(Map<String, NodeInfo> nodes) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (NodeInfo node : nodes.values()) {
      TensorInfo info = (TensorInfo) node.getInfo();
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("name", node.getName());
      t.put("datatype", wireType(info.type));
      t.put("shape", info.getShape());
      list.add(t);
    }
    return list;
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body, int headerLength)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    if (headerLength >= 0) {
      exchange.getResponseHeaders().set(HEADER_LENGTH, Integer.toString(headerLength));
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static void sendError(HttpExchange exchange, int status, String message) throws IOException {
    byte[] body = JSON.writeValueAsBytes(Map.of("error", message == null ? "" : message));
    send(exchange, status, "application/json", body, -1);
  }
}
