package dev.neutrino.gateway.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.gateway.grpc.proto.InferParameter;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest.InferInputTensor;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest.InferRequestedOutputTensor;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse.InferOutputTensor;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.RequestChecks;
import dev.neutrino.runtime.Shapes;
import dev.neutrino.runtime.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gRPC inference codec: {@code ModelInferRequest} to a protocol-neutral {@link InferenceRequest},
 * and a request's outputs back to a {@code ModelInferResponse}.
 *
 * <p>Inputs arrive either as typed {@code contents} (one repeated field per datatype family) or as
 * {@code raw_input_contents} (one little-endian byte string per input, BYTES elements length-prefixed),
 * never mixed. A raw input's tensor is a view of its byte string, not a copy; a typed input's is a
 * heap buffer its elements are written into. Either way batch assembly copies it once into the
 * batch's direct buffer, and no direct buffer is allocated per request. Everything this class can check without the model is checked
 * here, with the wording of {@link RequestChecks}: datatype names, shapes (negative dimensions,
 * products that overflow), the decoded size of every tensor against the request limit (computed from
 * its shape, before anything is allocated), element counts, byte sizes, BYTES framing, integer
 * ranges of the narrow types. The model's own expectations (names,
 * datatypes, shapes, batch size) are checked by {@code ModelVersion.infer}. Every problem is an
 * {@link InferenceException.InvalidInput} whose message names the input, output or parameter.
 *
 * <p>A response is raw when its request was raw, and typed otherwise, except that a response with an
 * FP16 or BF16 output is raw throughout: those types have no typed field, and the protocol does not
 * allow a response to mix the two forms.
 *
 * <p>Stateless and thread-safe.
 */
final class GrpcInferenceCodec {
  /** The repeated fields of {@code InferTensorContents}, by their protocol names. */
  private static final List<String> FIELDS = List.of("bool_contents", "int_contents", "int64_contents",
      "uint_contents", "uint64_contents", "fp32_contents", "fp64_contents", "bytes_contents");

  private GrpcInferenceCodec() {}

  /**
   * A decoded request and the form its response takes.
   *
   * @param request the request; its input tensors own their buffers or view the message's, which
   *     nothing writes
   * @param rawOutputs whether the response carries {@code raw_output_contents}
   */
  record Decoded(InferenceRequest request, boolean rawOutputs) {}

  // ---------------------------------------------------------------------------------------------
  // Decoding

  /**
   * @param maxRequestBytes the most bytes the request's tensors may take once decoded, all together
   * @return the request, without a deadline (the call adds its own)
   * @throws InferenceException.InvalidInput naming the input, output or parameter at fault
   * @throws InferenceException.TooLarge when the tensors would decode past {@code maxRequestBytes}
   */
  static Decoded decode(ModelInferRequest message, long maxRequestBytes) {
    int inputCount = message.getInputsCount();
    if (inputCount == 0) {
      throw invalid("the request has no inputs");
    }
    int rawCount = message.getRawInputContentsCount();
    boolean raw = rawCount > 0;
    if (raw && rawCount != inputCount) {
      throw invalid("raw_input_contents has " + rawCount + " entries but the request has " + inputCount
          + " inputs: give one entry per input, in input order");
    }
    Map<String, Tensor> inputs = new LinkedHashMap<>(inputCount * 2);
    long decodedBytes = 0;
    for (int i = 0; i < inputCount; i++) {
      InferInputTensor input = message.getInputs(i);
      String name = input.getName();
      if (name.isEmpty()) {
        throw invalid("inputs[" + i + "]: missing name");
      }
      String label = "input '" + name + "'";
      if (inputs.containsKey(name)) {
        throw invalid(label + " appears more than once");
      }
      DataType type = datatype(input.getDatatype(), label);
      long[] shape = shape(input);
      long count = RequestChecks.elementCount(label, shape);
      long before = decodedBytes;
      decodedBytes = RequestChecks.decodedBytes(label, type, shape, decodedBytes, maxRequestBytes);
      if (input.getParametersCount() > 0) {
        checkInputParameters(input.getParametersMap(), label);
      }
      Tensor tensor = raw
          ? rawTensor(label, type, shape, count, input, message.getRawInputContents(i), i)
          : typedTensor(label, type, shape, count, input, maxRequestBytes - before);
      decodedBytes = before + tensor.byteSize();
      inputs.put(name, tensor);
    }
    List<String> outputs = outputs(message);
    int priority = 0;
    long timeoutMicros = 0;
    Map<String, Object> parameters = message.getParametersCount() == 0 ? Map.of() : new HashMap<>();
    if (message.getParametersCount() > 0) {
      for (Map.Entry<String, InferParameter> entry : message.getParametersMap().entrySet()) {
        String key = entry.getKey();
        InferParameter value = entry.getValue();
        switch (key) {
          case "priority" -> {
            long n = integerParameter(key, value);
            priority = RequestChecks.priority(n, Long.toString(n));
          }
          case "timeout" -> {
            long n = integerParameter(key, value);
            timeoutMicros = RequestChecks.timeoutMicros(n, Long.toString(n));
          }
          default -> {
            Object carried = carried(value);
            if (carried != null) {
              parameters.put(key, carried);
            }
          }
        }
      }
    }
    InferenceRequest request = new InferenceRequest(message.getId(), inputs, outputs, priority, timeoutMicros,
        InferenceRequest.NO_DEADLINE, parameters);
    return new Decoded(request, raw);
  }

  private static DataType datatype(String name, String label) {
    DataType type = DataType.fromName(name);
    // fromName also knows the configuration's spellings (TYPE_FP32); the protocol uses FP32 only.
    if (type == null || !type.wireName().equals(name)) {
      if (name.isEmpty()) {
        throw invalid(label + ": missing datatype");
      }
      throw invalid(label + ": unknown datatype '" + shorten(name) + "'");
    }
    return type;
  }

  private static long[] shape(InferInputTensor input) {
    int rank = input.getShapeCount();
    long[] shape = new long[rank];
    for (int d = 0; d < rank; d++) {
      shape[d] = input.getShape(d);
    }
    return shape;
  }

  private static void checkInputParameters(Map<String, InferParameter> parameters, String label) {
    for (String key : parameters.keySet()) {
      if (key.startsWith("shared_memory_")) {
        throw invalid(label + ": shared memory inputs are not supported");
      }
    }
  }

  private static List<String> outputs(ModelInferRequest message) {
    int count = message.getOutputsCount();
    if (count == 0) {
      return List.of();
    }
    List<String> names = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      InferRequestedOutputTensor output = message.getOutputs(i);
      String name = output.getName();
      if (name.isEmpty()) {
        throw invalid("outputs[" + i + "]: missing name");
      }
      String label = "output '" + name + "'";
      RequestChecks.distinctOutput(name, names.contains(name));
      for (String key : output.getParametersMap().keySet()) {
        if (key.equals("classification")) {
          throw invalid(label + ": the classification extension is not supported");
        }
        if (key.startsWith("shared_memory_")) {
          throw invalid(label + ": shared memory outputs are not supported");
        }
      }
      names.add(name);
    }
    return names;
  }

  private static long integerParameter(String key, InferParameter value) {
    return switch (value.getParameterChoiceCase()) {
      case INT64_PARAM -> value.getInt64Param();
      case UINT64_PARAM -> {
        long n = value.getUint64Param();
        if (n < 0) {
          throw invalid("parameter '" + key + "' is out of range: " + Long.toUnsignedString(n));
        }
        yield n;
      }
      default -> throw invalid("parameter '" + key + "' must be an integer (int64_param or uint64_param)");
    };
  }

  /** A parameter Neutrino does not interpret, as InferenceRequest carries it; null when unset. */
  private static Object carried(InferParameter value) {
    return switch (value.getParameterChoiceCase()) {
      case BOOL_PARAM -> value.getBoolParam();
      case INT64_PARAM -> value.getInt64Param();
      case STRING_PARAM -> value.getStringParam();
      case DOUBLE_PARAM -> value.getDoubleParam();
      // Above Long.MAX_VALUE an unsigned value has no Long form; carry its decimal text.
      case UINT64_PARAM -> value.getUint64Param() >= 0
          ? (Object) value.getUint64Param() : Long.toUnsignedString(value.getUint64Param());
      case PARAMETERCHOICE_NOT_SET -> null;
    };
  }

  private static Tensor rawTensor(
      String label, DataType type, long[] shape, long count, InferInputTensor input, ByteString raw, int index) {
    if (input.hasContents() && elementCount(input.getContents()) > 0) {
      throw invalid(label + ": has both contents and raw_input_contents; use one or the other");
    }
    int size = raw.size();
    if (type.isFixedSize()) {
      long expected = count * type.elementSize();
      if (size != expected) {
        throw invalid(label + ": raw_input_contents[" + index + "] holds " + size + " bytes but shape "
            + Shapes.toString(shape) + " of " + type.wireName() + " needs " + expected + " bytes");
      }
    }
    // A view of the message's bytes, not a copy: batch assembly copies it once, into the batch's buffer.
    ByteBuffer data = raw.asReadOnlyByteBuffer();
    if (!type.isFixedSize()) {
      String problem = Tensor.checkBytesFraming(data, count);
      if (problem != null) {
        throw invalid(label + ": raw_input_contents[" + index + "]: " + problem + " (shape "
            + Shapes.toString(shape) + ")");
      }
    }
    return Tensor.of(type, shape, data);
  }

  /** @param limitBytes the most bytes this tensor may take, what the request limit leaves for it */
  private static Tensor typedTensor(
      String label, DataType type, long[] shape, long count, InferInputTensor input, long limitBytes) {
    InferTensorContents contents = input.getContents();
    String field = typedField(type);
    if (field == null) {
      throw invalid(label + ": " + type.wireName() + " data can only be sent in raw_input_contents");
    }
    long given = fieldCount(contents, field);
    long total = elementCount(contents);
    if (total != given) {
      throw invalid(label + ": " + type.wireName() + " data belongs in " + field + ", not in "
          + otherField(contents, field));
    }
    if (given != count) {
      if (given == 0 && !input.hasContents()) {
        throw invalid(label + ": no data: give contents or raw_input_contents");
      }
      throw invalid(label + ": expected " + count + " elements for shape " + Shapes.toString(shape) + ", got "
          + given + " in " + field);
    }
    int n = (int) count;
    ByteBuffer data;
    switch (type) {
      case BOOL -> {
        data = heap(n);
        for (int j = 0; j < n; j++) {
          data.put((byte) (contents.getBoolContents(j) ? 1 : 0));
        }
      }
      case UINT8 -> {
        data = heap(n);
        for (int j = 0; j < n; j++) {
          data.put((byte) unsigned(contents.getUintContents(j), 0xFFL, type, j, label));
        }
      }
      case UINT16 -> {
        data = heap(2L * n);
        for (int j = 0; j < n; j++) {
          data.putShort((short) unsigned(contents.getUintContents(j), 0xFFFFL, type, j, label));
        }
      }
      case UINT32 -> {
        data = heap(4L * n);
        for (int j = 0; j < n; j++) {
          data.putInt(contents.getUintContents(j));
        }
      }
      case INT8 -> {
        data = heap(n);
        for (int j = 0; j < n; j++) {
          data.put((byte) signed(contents.getIntContents(j), Byte.MIN_VALUE, Byte.MAX_VALUE, type, j, label));
        }
      }
      case INT16 -> {
        data = heap(2L * n);
        for (int j = 0; j < n; j++) {
          data.putShort((short) signed(contents.getIntContents(j), Short.MIN_VALUE, Short.MAX_VALUE, type, j, label));
        }
      }
      case INT32 -> {
        data = heap(4L * n);
        for (int j = 0; j < n; j++) {
          data.putInt(contents.getIntContents(j));
        }
      }
      case INT64 -> {
        data = heap(8L * n);
        for (int j = 0; j < n; j++) {
          data.putLong(contents.getInt64Contents(j));
        }
      }
      case UINT64 -> {
        data = heap(8L * n);
        for (int j = 0; j < n; j++) {
          data.putLong(contents.getUint64Contents(j));
        }
      }
      case FP32 -> {
        data = heap(4L * n);
        for (int j = 0; j < n; j++) {
          data.putFloat(contents.getFp32Contents(j));
        }
      }
      case FP64 -> {
        data = heap(8L * n);
        for (int j = 0; j < n; j++) {
          data.putDouble(contents.getFp64Contents(j));
        }
      }
      case BYTES -> {
        long bytes = 0;
        for (int j = 0; j < n; j++) {
          bytes += 4L + contents.getBytesContents(j).size();
        }
        if (bytes > Math.min(limitBytes, RequestChecks.MAX_TENSOR_BYTES)) {
          throw new InferenceException.TooLarge(label + ": " + bytes + " bytes of BYTES elements decode past"
              + " the request limit");
        }
        data = heap(bytes);
        for (int j = 0; j < n; j++) {
          ByteString element = contents.getBytesContents(j);
          data.putInt(element.size());
          element.copyTo(data);
        }
      }
      default -> throw new IllegalStateException("no typed contents for " + type);
    }
    data.flip();
    return Tensor.of(type, shape, data);
  }

  /**
   * A little-endian heap buffer for a typed input's elements: the tensor is copied once, by batch
   * assembly, into the batch's direct buffer, so no direct buffer is allocated per request.
   */
  private static ByteBuffer heap(long bytes) {
    return ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static long unsigned(int value, long max, DataType type, int index, String label) {
    long n = Integer.toUnsignedLong(value);
    if (n > max) {
      throw invalid(label + ": element " + index + " is out of range for " + type.wireName() + ": " + n);
    }
    return n;
  }

  private static int signed(int value, int min, int max, DataType type, int index, String label) {
    if (value < min || value > max) {
      throw invalid(label + ": element " + index + " is out of range for " + type.wireName() + ": " + value);
    }
    return value;
  }

  /** The contents field that carries {@code type}, or null for FP16 and BF16, which have none. */
  private static String typedField(DataType type) {
    return switch (type) {
      case BOOL -> "bool_contents";
      case UINT8, UINT16, UINT32 -> "uint_contents";
      case INT8, INT16, INT32 -> "int_contents";
      case INT64 -> "int64_contents";
      case UINT64 -> "uint64_contents";
      case FP32 -> "fp32_contents";
      case FP64 -> "fp64_contents";
      case BYTES -> "bytes_contents";
      case FP16, BF16 -> null;
    };
  }

  private static long fieldCount(InferTensorContents c, String field) {
    return switch (field) {
      case "bool_contents" -> c.getBoolContentsCount();
      case "int_contents" -> c.getIntContentsCount();
      case "int64_contents" -> c.getInt64ContentsCount();
      case "uint_contents" -> c.getUintContentsCount();
      case "uint64_contents" -> c.getUint64ContentsCount();
      case "fp32_contents" -> c.getFp32ContentsCount();
      case "fp64_contents" -> c.getFp64ContentsCount();
      case "bytes_contents" -> c.getBytesContentsCount();
      default -> throw new IllegalArgumentException(field);
    };
  }

  private static long elementCount(InferTensorContents c) {
    long total = 0;
    for (String field : FIELDS) {
      total += fieldCount(c, field);
    }
    return total;
  }

  private static String otherField(InferTensorContents c, String expected) {
    for (String field : FIELDS) {
      if (!field.equals(expected) && fieldCount(c, field) > 0) {
        return field;
      }
    }
    return expected;
  }

  // ---------------------------------------------------------------------------------------------
  // Encoding

  /**
   * @param outputs the request's outputs, in the order they are returned
   * @param raw whether the request used raw inputs
   */
  static ModelInferResponse encode(String model, String version, String id, Map<String, Tensor> outputs, boolean raw) {
    boolean rawOutputs = raw;
    for (Tensor tensor : outputs.values()) {
      rawOutputs |= typedField(tensor.datatype()) == null;
    }
    ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
        .setModelName(model)
        .setModelVersion(version)
        .setId(id);
    for (Map.Entry<String, Tensor> entry : outputs.entrySet()) {
      Tensor tensor = entry.getValue();
      InferOutputTensor.Builder output = InferOutputTensor.newBuilder()
          .setName(entry.getKey())
          .setDatatype(tensor.datatype().wireName());
      for (int d = 0; d < tensor.rank(); d++) {
        output.addShape(tensor.dim(d));
      }
      if (rawOutputs) {
        // The output's buffer, wrapped, not copied: nothing writes it once the batch has run.
        response.addRawOutputContents(UnsafeByteOperations.unsafeWrap(tensor.data()));
      } else {
        output.setContents(typedContents(tensor));
      }
      response.addOutputs(output);
    }
    return response.build();
  }

  private static InferTensorContents typedContents(Tensor tensor) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    ByteBuffer data = tensor.data();
    int n = (int) tensor.elementCount();
    switch (tensor.datatype()) {
      case BOOL -> {
        for (int j = 0; j < n; j++) {
          c.addBoolContents(data.get(j) != 0);
        }
      }
      case UINT8 -> {
        for (int j = 0; j < n; j++) {
          c.addUintContents(data.get(j) & 0xFF);
        }
      }
      case UINT16 -> {
        for (int j = 0; j < n; j++) {
          c.addUintContents(data.getShort(2 * j) & 0xFFFF);
        }
      }
      case UINT32 -> {
        for (int j = 0; j < n; j++) {
          c.addUintContents(data.getInt(4 * j));
        }
      }
      case INT8 -> {
        for (int j = 0; j < n; j++) {
          c.addIntContents(data.get(j));
        }
      }
      case INT16 -> {
        for (int j = 0; j < n; j++) {
          c.addIntContents(data.getShort(2 * j));
        }
      }
      case INT32 -> {
        for (int j = 0; j < n; j++) {
          c.addIntContents(data.getInt(4 * j));
        }
      }
      case INT64 -> {
        for (int j = 0; j < n; j++) {
          c.addInt64Contents(data.getLong(8 * j));
        }
      }
      case UINT64 -> {
        for (int j = 0; j < n; j++) {
          c.addUint64Contents(data.getLong(8 * j));
        }
      }
      case FP32 -> {
        for (int j = 0; j < n; j++) {
          c.addFp32Contents(data.getFloat(4 * j));
        }
      }
      case FP64 -> {
        for (int j = 0; j < n; j++) {
          c.addFp64Contents(data.getDouble(8 * j));
        }
      }
      case BYTES -> {
        while (data.remaining() > 0) {
          int length = data.getInt();
          ByteBuffer element = data.slice();
          element.limit(length);
          c.addBytesContents(ByteString.copyFrom(element));
          data.position(data.position() + length);
        }
      }
      default -> throw new IllegalStateException("no typed contents for " + tensor.datatype());
    }
    return c.build();
  }

  private static String shorten(String text) {
    return text.length() <= 64 ? text : text.substring(0, 64) + "...";
  }

  private static InferenceException.InvalidInput invalid(String message) {
    return new InferenceException.InvalidInput(message);
  }
}
