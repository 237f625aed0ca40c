package dev.neutrino.gateway.http;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonParser.NumberType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.gateway.http.DecodedInference.OutputEncoding;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.RequestChecks;
import dev.neutrino.runtime.Shapes;
import dev.neutrino.runtime.Tensor;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The HTTP/REST inference codec: the Open Inference Protocol's JSON request and response, with
 * Triton's binary tensor data extension.
 *
 * <p>Design note. This is the hot path of every HTTP inference, so it streams: requests are read with
 * Jackson's {@link JsonParser} straight off the body's bytes (no tree, no {@code String} of the
 * body), tensor elements go into a {@link GrowableBytes} in their little-endian wire form (no boxing)
 * and then, once their count is checked against the shape, become the input's tensor without another
 * copy. A binary input's tensor is a view of its bytes in the body, not a copy. Either way the tensor
 * is a heap buffer that nothing writes, copied once, by batch assembly, into the batch's direct buffer
 * (or by the runtime, for a batch of one): no direct buffer is allocated per request. Fields of an input may
 * come in any order; when {@code data} arrives before the input's name and datatype are known its
 * byte range is remembered and it is parsed after the rest of the input object. Responses are
 * written with a {@link JsonGenerator} into a Vert.x {@link Buffer}, binary outputs appended after
 * the JSON in one bulk copy each.
 *
 * <p>Every problem with a request is an {@link InferenceException.InvalidInput} whose message names
 * the input (or output, or parameter) at fault and never a Java class or a file; the checks shared
 * with gRPC use {@link RequestChecks}' wording. The decoded size of every input is computed from its
 * shape and checked against the request limit before its data is read, and data is never read past
 * the element count its shape gives, so a small body that claims a huge tensor allocates nothing
 * ({@link InferenceException.TooLarge}). JSON {@code data} is either flat (row-major) or nested
 * exactly as the shape; ragged nesting is refused.
 *
 * <p>Stateless and thread-safe: the one {@link JsonFactory} is immutable once built.
 */
final class HttpInferenceCodec {
  private static final int MAX_TENSOR_BYTES = GrowableBytes.MAX_SIZE;

  /** Shared, immutable after construction. Accepts NaN and Infinity tokens, as Triton does. */
  private static final JsonFactory JSON =
      JsonFactory.builder()
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
          .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
          .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
          // The body size limit bounds strings; a BYTES element may be large.
          .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
          .build();

  private HttpInferenceCodec() {}

  // ---------------------------------------------------------------------------------------------
  // Decoding

  /**
   * Decodes an inference request body.
   *
   * @param body the whole request body; it is only read, and binary inputs' tensors are views of it,
   *     so it must not change after
   * @param headerLength the value of the {@code Inference-Header-Content-Length} request header, or
   *     -1 when absent (the whole body is JSON)
   * @param maxRequestBytes the most bytes the request's tensors may take once decoded, all together
   * @return the request, its tensors in buffers it owns (or views of {@code body}), and the output
   *     encoding asked for
   * @throws InferenceException.InvalidInput naming the input, output or parameter at fault
   * @throws InferenceException.TooLarge when the tensors would decode past {@code maxRequestBytes}
   */
  static DecodedInference decode(Buffer body, int headerLength, long maxRequestBytes) {
    Objects.requireNonNull(body, "body");
    int bodyLength = body.length();
    if (headerLength < -1) {
      throw invalid("invalid Inference-Header-Content-Length " + headerLength);
    }
    if (headerLength > bodyLength) {
      throw invalid("Inference-Header-Content-Length " + headerLength + " is larger than the body ("
          + bodyLength + " bytes)");
    }
    int jsonLength = headerLength < 0 ? bodyLength : headerLength;
    ByteBuf bytes = byteBuf(body);
    int base = bytes.readerIndex();
    byte[] array;
    int offset;
    if (bytes.hasArray()) {
      array = bytes.array();
      offset = bytes.arrayOffset() + base;
    } else {
      array = new byte[jsonLength];
      bytes.getBytes(base, array);
      offset = 0;
    }
    RequestReader reader = new RequestReader(array, offset, jsonLength, headerLength >= 0, maxRequestBytes);
    try (JsonParser parser = JSON.createParser(array, offset, jsonLength)) {
      reader.readRequest(parser);
    } catch (JsonProcessingException e) {
      throw malformed(e);
    } catch (IOException e) {
      throw invalid("malformed JSON");
    }
    return reader.finish(bytes, base, jsonLength, bodyLength);
  }

  /**
   * A binary input's bytes: a view of a heap body (Vert.x copies what it receives into heap buffers
   * that nothing else keeps or writes), not a copy, so that batch assembly's copy into the batch's
   * buffer is the only one; a copy into a direct buffer when the body is off-heap, whose memory its
   * owner may release once the request is decoded.
   */
  private static ByteBuffer binaryData(ByteBuf body, int index, int size) {
    if (body.hasArray()) {
      return ByteBuffer.wrap(body.array(), body.arrayOffset() + index, size).slice().order(ByteOrder.LITTLE_ENDIAN);
    }
    ByteBuffer data = Tensor.allocate(size);
    body.getBytes(index, data);
    return data.flip();
  }

  /** The state of one request's decoding. */
  private static final class RequestReader {
    private final byte[] json;
    private final int jsonOffset;
    private final int jsonLength;
    private final boolean hasBinaryPart;
    private final long maxRequestBytes;
    /** What the inputs sized so far take once decoded. */
    private long decodedBytes;

    private String id = "";
    private int priority;
    private long timeoutMicros;
    private boolean binaryDataOutput;
    private final Map<String, Object> parameters = new LinkedHashMap<>();
    private final List<InputSpec> inputs = new ArrayList<>();
    private final Set<String> inputNames = new HashSet<>();
    private final List<String> outputs = new ArrayList<>();
    private final Map<String, Boolean> binaryData = new HashMap<>();

    RequestReader(byte[] json, int jsonOffset, int jsonLength, boolean hasBinaryPart, long maxRequestBytes) {
      this.json = json;
      this.jsonOffset = jsonOffset;
      this.jsonLength = jsonLength;
      this.hasBinaryPart = hasBinaryPart;
      this.maxRequestBytes = maxRequestBytes;
    }

    /**
     * Checks the input's decoded size, from its shape, against what the request limit leaves, before
     * any of its data is read; once per input.
     */
    private void size(InputSpec in) {
      if (in.limitBytes < 0) {
        long before = decodedBytes;
        decodedBytes = RequestChecks.decodedBytes(in.label(), in.type, in.shape, decodedBytes, maxRequestBytes);
        in.count = Shapes.elementCount(in.shape);
        in.limitBytes = Math.min(maxRequestBytes, RequestChecks.MAX_TENSOR_BYTES) - before;
      }
    }

    void readRequest(JsonParser p) throws IOException {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw invalid("malformed JSON: the request is empty");
      }
      if (first != JsonToken.START_OBJECT) {
        throw invalid("the request must be a JSON object");
      }
      boolean sawId = false;
      boolean sawParameters = false;
      boolean sawInputs = false;
      boolean sawOutputs = false;
      String field;
      while ((field = p.nextFieldName()) != null) {
        JsonToken t = p.nextToken();
        switch (field) {
          case "id" -> {
            sawId = once(sawId, "id");
            if (t != JsonToken.VALUE_STRING) {
              throw invalid("'id' must be a string");
            }
            id = p.getText();
          }
          case "parameters" -> {
            sawParameters = once(sawParameters, "parameters");
            readRequestParameters(p, t);
          }
          case "inputs" -> {
            sawInputs = once(sawInputs, "inputs");
            readInputs(p, t);
          }
          case "outputs" -> {
            sawOutputs = once(sawOutputs, "outputs");
            readOutputs(p, t);
          }
          default -> p.skipChildren();
        }
      }
      if (p.nextToken() != null) {
        throw invalid("malformed JSON: unexpected content after the request object");
      }
      if (inputs.isEmpty()) {
        throw invalid("the request has no inputs");
      }
    }

    private void readRequestParameters(JsonParser p, JsonToken t) throws IOException {
      if (t != JsonToken.START_OBJECT) {
        throw invalid("'parameters' must be an object");
      }
      String key;
      while ((key = p.nextFieldName()) != null) {
        JsonToken value = p.nextToken();
        switch (key) {
          case "priority" -> priority = RequestChecks.priority(nonNegativeInteger(p, value), describe(p, value));
          case "timeout" -> timeoutMicros = RequestChecks.timeoutMicros(nonNegativeInteger(p, value),
              describe(p, value));
          case "binary_data_output" -> {
            if (!value.isBoolean()) {
              throw invalid("parameter 'binary_data_output' must be true or false, got "
                  + describe(p, value));
            }
            binaryDataOutput = value == JsonToken.VALUE_TRUE;
          }
          default -> parameters.put(key, scalarParameter(p, value, "parameter '" + key + "'"));
        }
      }
    }

    private void readInputs(JsonParser p, JsonToken t) throws IOException {
      if (t != JsonToken.START_ARRAY) {
        throw invalid("'inputs' must be an array");
      }
      int index = 0;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t != JsonToken.START_OBJECT) {
          throw invalid("inputs[" + index + "] must be an object");
        }
        InputSpec input = readInput(p, index++);
        if (!inputNames.add(input.name)) {
          throw invalid("input '" + input.name + "' appears more than once");
        }
        inputs.add(input);
      }
    }

    /** Reads one input object, the parser on its START_OBJECT; problems wait until its name is known. */
    private InputSpec readInput(JsonParser p, int index) throws IOException {
      InputSpec in = new InputSpec(index);
      String field;
      while ((field = p.nextFieldName()) != null) {
        JsonToken t = p.nextToken();
        switch (field) {
          case "name" -> {
            if (in.name != null) {
              in.problem("duplicate field 'name'");
              p.skipChildren();
            } else if (t == JsonToken.VALUE_STRING) {
              in.name = p.getText();
            } else {
              in.problem("'name' must be a string");
              p.skipChildren();
            }
          }
          case "datatype" -> {
            if (in.datatypeName != null) {
              in.problem("duplicate field 'datatype'");
              p.skipChildren();
            } else if (t == JsonToken.VALUE_STRING) {
              in.datatypeName = p.getText();
              DataType type = DataType.fromName(in.datatypeName);
              if (type != null && type.wireName().equals(in.datatypeName)) {
                in.type = type;
              } else {
                in.problem("unknown datatype '" + shorten(in.datatypeName) + "'");
              }
            } else {
              in.datatypeName = "";
              in.problem("'datatype' must be a string");
              p.skipChildren();
            }
          }
          case "shape" -> {
            if (in.shape != null) {
              in.problem("duplicate field 'shape'");
              p.skipChildren();
            } else {
              readShape(p, t, in);
            }
          }
          case "parameters" -> readInputParameters(p, t, in);
          case "data" -> {
            if (in.hasData) {
              in.problem("duplicate field 'data'");
              p.skipChildren();
            } else if (t != JsonToken.START_ARRAY) {
              in.hasData = true;
              in.problem("'data' must be an array");
              p.skipChildren();
            } else {
              in.hasData = true;
              if (in.name != null && in.type != null && in.shape != null && in.problem == null
                  && in.binarySize < 0) {
                size(in);
                readData(p, in);
              } else {
                in.deferredStart = p.currentTokenLocation().getByteOffset();
                p.skipChildren();
                in.deferredEnd = p.currentLocation().getByteOffset();
              }
            }
          }
          default -> p.skipChildren();
        }
      }
      checkInput(in);
      return in;
    }

    private void readShape(JsonParser p, JsonToken t, InputSpec in) throws IOException {
      if (t != JsonToken.START_ARRAY) {
        in.problem("'shape' must be an array of non-negative integers");
        in.shape = new long[0];
        p.skipChildren();
        return;
      }
      long[] dims = new long[8];
      int rank = 0;
      boolean bad = false;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        long dim = nonNegativeInteger(p, t);
        if (dim < 0) {
          bad = true;
          p.skipChildren();
          continue;
        }
        if (rank == dims.length) {
          dims = Arrays.copyOf(dims, rank * 2);
        }
        dims[rank++] = dim;
      }
      in.shape = Arrays.copyOf(dims, rank);
      if (bad) {
        in.problem("'shape' must be an array of non-negative integers");
      }
    }

    private void readInputParameters(JsonParser p, JsonToken t, InputSpec in) throws IOException {
      if (t != JsonToken.START_OBJECT) {
        in.problem("'parameters' must be an object");
        p.skipChildren();
        return;
      }
      String key;
      while ((key = p.nextFieldName()) != null) {
        JsonToken value = p.nextToken();
        switch (key) {
          case "binary_data_size" -> {
            long size = nonNegativeInteger(p, value);
            if (size < 0) {
              in.problem("parameter 'binary_data_size' must be a non-negative integer, got "
                  + describe(p, value));
            } else {
              in.binarySize = size;
            }
          }
          case "shared_memory_region", "shared_memory_offset", "shared_memory_byte_size" ->
              in.problem("shared memory inputs are not supported");
          default -> { }
        }
        p.skipChildren();
      }
    }

    /** Validates an input once its object is read; JSON data becomes its tensor here. */
    private void checkInput(InputSpec in) throws IOException {
      String label = in.label();
      if (in.problem != null) {
        throw invalid(label + ": " + in.problem);
      }
      if (in.name == null) {
        throw invalid(label + ": missing 'name'");
      }
      if (in.type == null) {
        throw invalid(label + ": missing 'datatype'");
      }
      if (in.shape == null) {
        throw invalid(label + ": missing 'shape'");
      }
      DataType type = in.type;
      size(in);
      long count = in.count;
      if (in.binarySize >= 0) {
        if (in.hasData) {
          throw invalid(label + ": has both 'data' and the binary_data_size parameter");
        }
        if (!hasBinaryPart) {
          throw invalid(label + ": binary_data_size is given but the request has no"
              + " Inference-Header-Content-Length header");
        }
        if (type.isFixedSize()) {
          long expected = count * type.elementSize();
          if (in.binarySize != expected) {
            throw invalid(label + ": binary_data_size is " + in.binarySize + " but shape "
                + Shapes.toString(in.shape) + " of " + type.wireName() + " needs " + expected + " bytes");
          }
        } else if (in.binarySize > in.limitBytes) {
          throw new InferenceException.TooLarge(label + ": binary_data_size " + in.binarySize
              + " is over the request limit of " + maxRequestBytes + " bytes");
        }
        return;
      }
      if (!in.hasData) {
        if (count == 0) {
          in.tensor = tensor(label, type, in.shape, Tensor.allocate(0));
          return;
        }
        throw invalid(label + ": no data: give 'data' or the binary_data_size parameter");
      }
      if (in.data == null) {
        readDeferredData(in);
      }
      if (in.dataCount != count) {
        throw invalid(label + ": expected " + count + " elements for shape " + Shapes.toString(in.shape)
            + ", got " + in.dataCount);
      }
      in.tensor = tensor(label, type, in.shape, in.data.toBuffer());
      in.data = null;
    }

    private void readDeferredData(InputSpec in) throws IOException {
      int start = jsonOffset + (int) in.deferredStart;
      int length = (int) (in.deferredEnd - in.deferredStart);
      try (JsonParser p = JSON.createParser(json, start, length)) {
        p.nextToken();
        readData(p, in);
      }
    }

    /**
     * Reads a data array, the parser on its START_ARRAY, its input already sized: flat, or nested
     * exactly as the shape (then flattened row-major). Elements past the shape's count are counted,
     * not stored.
     */
    private void readData(JsonParser p, InputSpec in) throws IOException {
      DataType type = in.type;
      String label = in.label();
      if (!type.hasJsonForm()) {
        throw invalid(label + ": " + type.wireName() + " data can only be sent in the binary format");
      }
      long[] shape = in.shape;
      int rank = shape.length;
      long count = in.count;
      GrowableBytes out = new GrowableBytes(capacityHint(in));
      // Items seen in the open array at each depth (the data array itself is depth 1), checked against
      // the shape when the data is nested.
      long[] items = new long[rank + 2];
      boolean nested = false;
      boolean flat = false;
      long index = 0;
      int depth = 1;
      while (true) {
        JsonToken t = p.nextToken();
        if (t == JsonToken.START_ARRAY) {
          nested = true;
          if (flat || depth >= rank) {
            throw ragged(label, shape, count);
          }
          items[depth]++;
          items[++depth] = 0;
        } else if (t == JsonToken.END_ARRAY) {
          if (nested && items[depth] != shape[depth - 1]) {
            throw ragged(label, shape, count);
          }
          if (--depth == 0) {
            break;
          }
        } else {
          flat |= !nested;
          if (nested && depth != rank) {
            throw ragged(label, shape, count);
          }
          if (index < count) {
            if (out.size() > in.limitBytes - 8) {
              throw tooLarge(label, maxRequestBytes);
            }
            appendElement(p, t, type, out, index, label, in.limitBytes);
          }
          items[depth]++;
          index++;
        }
      }
      in.data = out;
      in.dataCount = index;
    }

    private int capacityHint(InputSpec in) {
      // Every element takes at least two characters of JSON ("0,"), which bounds a hint taken from a
      // declared shape that the data may not match.
      long elements = Math.min(jsonLength / 2 + 1, in.count);
      long perElement = in.type.isFixedSize() ? in.type.elementSize() : 16;
      return (int) Math.min(elements * perElement, 1 << 26);
    }

    private void readOutputs(JsonParser p, JsonToken t) throws IOException {
      if (t != JsonToken.START_ARRAY) {
        throw invalid("'outputs' must be an array");
      }
      int index = 0;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t != JsonToken.START_OBJECT) {
          throw invalid("outputs[" + index + "] must be an object");
        }
        readOutput(p, index++);
      }
    }

    private void readOutput(JsonParser p, int index) throws IOException {
      String name = null;
      Boolean binary = null;
      String problem = null;
      String field;
      while ((field = p.nextFieldName()) != null) {
        JsonToken t = p.nextToken();
        if (field.equals("name")) {
          if (t == JsonToken.VALUE_STRING && name == null) {
            name = p.getText();
          } else if (problem == null) {
            problem = name == null ? "'name' must be a string" : "duplicate field 'name'";
          }
        } else if (field.equals("parameters")) {
          if (t != JsonToken.START_OBJECT) {
            problem = problem != null ? problem : "'parameters' must be an object";
          } else {
            String key;
            while ((key = p.nextFieldName()) != null) {
              JsonToken value = p.nextToken();
              String found = switch (key) {
                case "binary_data" -> {
                  if (value.isBoolean()) {
                    binary = value == JsonToken.VALUE_TRUE;
                    yield null;
                  }
                  yield "parameter 'binary_data' must be true or false, got " + describe(p, value);
                }
                case "classification" -> "the classification extension is not supported";
                case "shared_memory_region", "shared_memory_offset", "shared_memory_byte_size" ->
                    "shared memory outputs are not supported";
                default -> null;
              };
              problem = problem != null ? problem : found;
              p.skipChildren();
            }
          }
        }
        p.skipChildren();
      }
      String label = name != null ? "output '" + name + "'" : "outputs[" + index + "]";
      if (problem != null) {
        throw invalid(label + ": " + problem);
      }
      if (name == null) {
        throw invalid(label + ": missing 'name'");
      }
      RequestChecks.distinctOutput(name, outputs.contains(name));
      outputs.add(name);
      if (binary != null) {
        binaryData.put(name, binary);
      }
    }

    /** Takes the binary inputs' bytes from the body and assembles the request. */
    DecodedInference finish(ByteBuf body, int base, int jsonLength, int bodyLength) {
      int at = jsonLength;
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (InputSpec in : inputs) {
        if (in.binarySize >= 0) {
          int size = (int) in.binarySize;
          int remaining = bodyLength - at;
          if (size > remaining) {
            throw invalid("truncated binary data for input '" + in.name + "': binary_data_size is "
                + size + " but only " + remaining + " bytes remain");
          }
          at += size;
          in.tensor = tensor(in.label(), in.type, in.shape, binaryData(body, base + at - size, size));
        }
        tensors.put(in.name, in.tensor);
      }
      if (at != bodyLength) {
        throw invalid("the body has " + (bodyLength - at) + " bytes of binary data beyond what the"
            + " inputs' binary_data_size parameters account for");
      }
      InferenceRequest request = new InferenceRequest(id, tensors, outputs, priority, timeoutMicros,
          InferenceRequest.NO_DEADLINE, parameters);
      return new DecodedInference(request, new OutputEncoding(binaryDataOutput, binaryData));
    }
  }

  /** One input while its object is read: fields may come in any order. */
  private static final class InputSpec {
    final int index;
    String name;
    String datatypeName;
    DataType type;
    long[] shape;
    long binarySize = -1;
    /** Its element count, once sized. */
    long count;
    /** The most bytes its data may take, what the request limit leaves; -1 until sized. */
    long limitBytes = -1;
    boolean hasData;
    GrowableBytes data;
    long dataCount;
    long deferredStart = -1;
    long deferredEnd = -1;
    String problem;
    Tensor tensor;

    InputSpec(int index) {
      this.index = index;
    }

    void problem(String message) {
      if (problem == null) {
        problem = message;
      }
    }

    String label() {
      return name != null ? "input '" + name + "'" : "inputs[" + index + "]";
    }
  }

  private static void appendElement(
      JsonParser p, JsonToken t, DataType type, GrowableBytes out, long index, String label, long limitBytes)
      throws IOException {
    switch (type) {
      case BOOL -> {
        if (t == JsonToken.VALUE_TRUE) {
          out.putByte(1);
        } else if (t == JsonToken.VALUE_FALSE) {
          out.putByte(0);
        } else {
          throw elementError(label, index, "must be true or false", p, t);
        }
      }
      case UINT8 -> out.putByte((int) integer(p, t, 0, 0xFF, type, index, label));
      case INT8 -> out.putByte((int) integer(p, t, Byte.MIN_VALUE, Byte.MAX_VALUE, type, index, label));
      case UINT16 -> out.putShort((int) integer(p, t, 0, 0xFFFF, type, index, label));
      case INT16 -> out.putShort((int) integer(p, t, Short.MIN_VALUE, Short.MAX_VALUE, type, index, label));
      case UINT32 -> out.putInt((int) integer(p, t, 0, 0xFFFF_FFFFL, type, index, label));
      case INT32 -> out.putInt((int) integer(p, t, Integer.MIN_VALUE, Integer.MAX_VALUE, type, index, label));
      case INT64 -> out.putLong(integer(p, t, Long.MIN_VALUE, Long.MAX_VALUE, type, index, label));
      case UINT64 -> out.putLong(unsigned64(p, t, index, label));
      case FP32 -> {
        if (t == JsonToken.VALUE_NUMBER_FLOAT || t == JsonToken.VALUE_NUMBER_INT) {
          out.putFloat(p.getFloatValue());
        } else {
          out.putFloat((float) nonFinite(p, t, index, label));
        }
      }
      case FP64 -> {
        if (t == JsonToken.VALUE_NUMBER_FLOAT || t == JsonToken.VALUE_NUMBER_INT) {
          out.putDouble(p.getDoubleValue());
        } else {
          out.putDouble(nonFinite(p, t, index, label));
        }
      }
      case BYTES -> {
        if (t != JsonToken.VALUE_STRING) {
          throw elementError(label, index, "must be a string", p, t);
        }
        int length = p.getTextLength();
        if (out.size() + 4 + 3L * length > limitBytes) {
          throw tooLarge(label, limitBytes);
        }
        out.putUtf8Element(p.getTextCharacters(), p.getTextOffset(), length);
      }
      default -> throw new IllegalStateException("no JSON form for " + type);
    }
  }

  private static long integer(
      JsonParser p, JsonToken t, long min, long max, DataType type, long index, String label)
      throws IOException {
    if (t != JsonToken.VALUE_NUMBER_INT) {
      throw elementError(label, index,
          t == JsonToken.VALUE_NUMBER_FLOAT ? "must be an integer" : "must be a number", p, t);
    }
    if (p.getNumberType() != NumberType.BIG_INTEGER) {
      long value = p.getLongValue();
      if (value >= min && value <= max) {
        return value;
      }
    }
    throw invalid(label + ": element " + index + " is out of range for " + type.wireName() + ": "
        + shorten(p.getText()));
  }

  private static long unsigned64(JsonParser p, JsonToken t, long index, String label) throws IOException {
    if (t != JsonToken.VALUE_NUMBER_INT) {
      throw elementError(label, index,
          t == JsonToken.VALUE_NUMBER_FLOAT ? "must be an integer" : "must be a number", p, t);
    }
    if (p.getNumberType() != NumberType.BIG_INTEGER) {
      long value = p.getLongValue();
      if (value >= 0) {
        return value;
      }
    } else {
      BigInteger value = p.getBigIntegerValue();
      if (value.signum() >= 0 && value.bitLength() <= 64) {
        return value.longValue();
      }
    }
    throw invalid(label + ": element " + index + " is out of range for UINT64: " + shorten(p.getText()));
  }

  /** The strings this codec writes for non-finite floats, read back; anything else is an error. */
  private static double nonFinite(JsonParser p, JsonToken t, long index, String label) throws IOException {
    if (t == JsonToken.VALUE_STRING) {
      switch (p.getText()) {
        case "NaN":
          return Double.NaN;
        case "Infinity":
        case "+Infinity":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          break;
      }
    }
    throw elementError(label, index, "must be a number", p, t);
  }

  // ---------------------------------------------------------------------------------------------
  // Encoding

  /**
   * Encodes an inference response.
   *
   * <p>An output goes binary when {@code encoding} says so, and always when its datatype has no JSON
   * form (FP16, BF16): Triton refuses those as JSON, and a client that receives them binary can read
   * them, where an error would lose the whole response.
   *
   * <p>Non-finite FP32/FP64 values are written as the JSON strings {@code "NaN"}, {@code "Infinity"}
   * and {@code "-Infinity"}: Triton writes the same words as bare tokens, which strict JSON parsers
   * refuse. {@link #decode} accepts both forms. BYTES elements are written as strings; elements that
   * are not valid UTF-8 are decoded with replacement characters (ask for such outputs binary).
   *
   * @param outputs the outputs in the order to return them; the tensors are only read
   */
  static EncodedResponse encode(
      String modelName, String modelVersion, String requestId, OutputEncoding encoding,
      Map<String, Tensor> outputs) {
    Objects.requireNonNull(encoding, "encoding");
    boolean[] binary = new boolean[outputs.size()];
    boolean anyBinary = false;
    long estimate = 128 + length(modelName) + length(modelVersion) + length(requestId);
    long binaryBytes = 0;
    int i = 0;
    for (Map.Entry<String, Tensor> output : outputs.entrySet()) {
      Tensor tensor = output.getValue();
      boolean asBinary = encoding.binary(output.getKey()) || !tensor.datatype().hasJsonForm();
      binary[i++] = asBinary;
      anyBinary |= asBinary;
      estimate += 96 + output.getKey().length() + 21L * tensor.rank();
      if (asBinary) {
        binaryBytes += tensor.byteSize();
      } else {
        estimate += jsonSizeEstimate(tensor);
      }
    }
    Buffer body = Buffer.buffer((int) Math.min(estimate + binaryBytes, MAX_TENSOR_BYTES));
    try (JsonGenerator g = JSON.createGenerator(new BufferOutputStream(body), JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("model_name", modelName == null ? "" : modelName);
      g.writeStringField("model_version", modelVersion == null ? "" : modelVersion);
      if (requestId != null && !requestId.isEmpty()) {
        g.writeStringField("id", requestId);
      }
      g.writeArrayFieldStart("outputs");
      byte[] scratch = new byte[64];
      i = 0;
      for (Map.Entry<String, Tensor> output : outputs.entrySet()) {
        Tensor tensor = output.getValue();
        long[] shape = tensor.shape();
        g.writeStartObject();
        g.writeStringField("name", output.getKey());
        g.writeStringField("datatype", tensor.datatype().wireName());
        g.writeFieldName("shape");
        g.writeArray(shape, 0, shape.length);
        if (binary[i++]) {
          g.writeObjectFieldStart("parameters");
          g.writeNumberField("binary_data_size", tensor.byteSize());
          g.writeEndObject();
        } else {
          g.writeFieldName("data");
          scratch = writeData(g, tensor, scratch);
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // the stream writes to memory and never throws
    }
    if (!anyBinary) {
      return new EncodedResponse(body, -1);
    }
    int headerLength = body.length();
    i = 0;
    for (Tensor tensor : outputs.values()) {
      if (binary[i++]) {
        body.setBytes(body.length(), tensor.data());
      }
    }
    return new EncodedResponse(body, headerLength);
  }

  /** The body of an error response, {@code {"error": message}}. */
  static Buffer errorBody(String message) {
    String text = message == null ? "" : message;
    Buffer body = Buffer.buffer(text.length() + 16);
    try (JsonGenerator g = JSON.createGenerator(new BufferOutputStream(body), JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("error", text);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return body;
  }

  /** Writes a tensor's elements as a flat JSON array; returns the scratch array, perhaps grown. */
  private static byte[] writeData(JsonGenerator g, Tensor tensor, byte[] scratch) throws IOException {
    ByteBuffer d = tensor.data();
    int n = (int) tensor.elementCount();
    g.writeStartArray(tensor, n);
    switch (tensor.datatype()) {
      case BOOL -> {
        for (int i = 0; i < n; i++) {
          g.writeBoolean(d.get(i) != 0);
        }
      }
      case UINT8 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(d.get(i) & 0xFF);
        }
      }
      case INT8 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber((int) d.get(i));
        }
      }
      case UINT16 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(d.getShort(2 * i) & 0xFFFF);
        }
      }
      case INT16 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber((int) d.getShort(2 * i));
        }
      }
      case UINT32 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(d.getInt(4 * i) & 0xFFFF_FFFFL);
        }
      }
      case INT32 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(d.getInt(4 * i));
        }
      }
      case UINT64 -> {
        for (int i = 0; i < n; i++) {
          long v = d.getLong(8 * i);
          if (v >= 0) {
            g.writeNumber(v);
          } else {
            g.writeNumber(Long.toUnsignedString(v));
          }
        }
      }
      case INT64 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(d.getLong(8 * i));
        }
      }
      case FP32 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(d.getFloat(4 * i));
        }
      }
      case FP64 -> {
        for (int i = 0; i < n; i++) {
          g.writeNumber(d.getDouble(8 * i));
        }
      }
      case BYTES -> {
        int at = 0;
        for (int i = 0; i < n; i++) {
          int length = d.getInt(at);
          at += 4;
          if (scratch.length < length) {
            scratch = new byte[Math.max(length, 2 * scratch.length)];
          }
          d.get(at, scratch, 0, length);
          at += length;
          if (isValidUtf8(scratch, length)) {
            g.writeUTF8String(scratch, 0, length);
          } else {
            g.writeString(new String(scratch, 0, length, StandardCharsets.UTF_8));
          }
        }
      }
      default -> throw new IllegalStateException(tensor.datatype() + " has no JSON form");
    }
    g.writeEndArray();
    return scratch;
  }

  private static long jsonSizeEstimate(Tensor tensor) {
    long perElement = switch (tensor.datatype()) {
      case BOOL -> 6;
      case UINT8, INT8 -> 4;
      case UINT16, INT16 -> 6;
      case UINT32, INT32, UINT64, INT64 -> 10;
      case FP32 -> 13;
      case BYTES -> 4;
      default -> 20;
    };
    long estimate = perElement * tensor.elementCount();
    return tensor.datatype() == DataType.BYTES ? estimate + tensor.byteSize() : estimate;
  }

  /** Whether {@code bytes[0, length)} is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
  static boolean isValidUtf8(byte[] bytes, int length) {
    int i = 0;
    while (i < length) {
      int b = bytes[i];
      if (b >= 0) {
        i++;
        continue;
      }
      int lead = b & 0xFF;
      int extra;
      int min;
      if (lead >= 0xC2 && lead <= 0xDF) {
        extra = 1;
        min = 0x80;
      } else if (lead >= 0xE0 && lead <= 0xEF) {
        extra = 2;
        min = 0x800;
      } else if (lead >= 0xF0 && lead <= 0xF4) {
        extra = 3;
        min = 0x10000;
      } else {
        return false;
      }
      if (i + extra >= length) {
        return false;
      }
      int cp = lead & (0x3F >> extra);
      for (int k = 1; k <= extra; k++) {
        int c = bytes[i + k] & 0xFF;
        if ((c & 0xC0) != 0x80) {
          return false;
        }
        cp = (cp << 6) | (c & 0x3F);
      }
      if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return false;
      }
      i += extra + 1;
    }
    return true;
  }

  /** Appends what the generator writes to a Vert.x buffer. */
  private static final class BufferOutputStream extends OutputStream {
    private final Buffer buffer;

    BufferOutputStream(Buffer buffer) {
      this.buffer = buffer;
    }

    @Override
    public void write(int b) {
      buffer.appendByte((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      buffer.appendBytes(b, off, len);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Shared

  private static ByteBuf byteBuf(Buffer body) {
    return body instanceof BufferInternal internal
        ? internal.getByteBuf()
        : Unpooled.wrappedBuffer(body.getBytes());
  }

  private static Tensor tensor(String label, DataType type, long[] shape, ByteBuffer data) {
    try {
      return Tensor.of(type, shape, data);
    } catch (IllegalArgumentException e) {
      throw invalid(label + ": " + e.getMessage());
    }
  }

  /** A JSON integer in [0, Long.MAX_VALUE], or -1 for anything else. */
  private static long nonNegativeInteger(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == NumberType.BIG_INTEGER) {
      return -1;
    }
    long value = p.getLongValue();
    return value < 0 ? -1 : value;
  }

  private static Object scalarParameter(JsonParser p, JsonToken t, String label) throws IOException {
    switch (t) {
      case VALUE_STRING:
        return p.getText();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NUMBER_INT:
        if (p.getNumberType() == NumberType.BIG_INTEGER) {
          throw invalid(label + " is out of range: " + shorten(p.getText()));
        }
        return p.getLongValue();
      case VALUE_NUMBER_FLOAT:
        return p.getDoubleValue();
      default:
        throw invalid(label + " must be a string, number or boolean, got " + describe(p, t));
    }
  }

  private static boolean once(boolean seen, String field) {
    if (seen) {
      throw invalid("duplicate field '" + field + "'");
    }
    return true;
  }

  private static InferenceException.InvalidInput elementError(
      String label, long index, String requirement, JsonParser p, JsonToken t) throws IOException {
    return invalid(label + ": element " + index + " " + requirement + ", got " + describe(p, t));
  }

  private static InferenceException.TooLarge tooLarge(String label, long limitBytes) {
    return new InferenceException.TooLarge(label + ": data decodes to more than the request limit of "
        + limitBytes + " bytes");
  }

  private static InferenceException.InvalidInput ragged(String label, long[] shape, long count) {
    return invalid(label + ": nested 'data' does not match shape " + Shapes.toString(shape)
        + ": give a flat array of " + count + " elements, or arrays nested exactly as the shape");
  }

  /** A short rendering of the current value, for error messages. */
  private static String describe(JsonParser p, JsonToken t) throws IOException {
    if (t == null) {
      return "nothing";
    }
    return switch (t) {
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      case VALUE_STRING -> "\"" + shorten(p.getText()) + "\"";
      case VALUE_NULL -> "null";
      default -> shorten(p.getText());
    };
  }

  private static String shorten(String text) {
    return text.length() <= 40 ? text : text.substring(0, 37) + "...";
  }

  private static int length(String s) {
    return s == null ? 0 : s.length();
  }

  /** A JSON syntax error as a client message: Jackson's reason and where, without its internals. */
  private static InferenceException.InvalidInput malformed(JsonProcessingException e) {
    String reason = e.getOriginalMessage();
    if (reason == null || reason.isBlank()) {
      reason = "unreadable";
    }
    int cut = reason.indexOf('\n');
    if (cut >= 0) {
      reason = reason.substring(0, cut);
    }
    cut = reason.indexOf(" (start marker at");
    if (cut >= 0) {
      reason = reason.substring(0, cut);
    }
    cut = reason.indexOf('`');
    if (cut >= 0) {
      int open = reason.lastIndexOf('(', cut);
      reason = reason.substring(0, open >= 0 ? open : cut);
    }
    StringBuilder message = new StringBuilder("malformed JSON: ").append(reason.strip());
    JsonLocation location = e.getLocation();
    if (location != null && location.getLineNr() > 0) {
      message.append(" at line ").append(location.getLineNr())
          .append(", column ").append(location.getColumnNr());
    }
    return invalid(message.toString());
  }

  private static InferenceException.InvalidInput invalid(String message) {
    return new InferenceException.InvalidInput(message);
  }
}
