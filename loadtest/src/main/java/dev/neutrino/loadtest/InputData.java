package dev.neutrino.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Builds the requests the generator sends, from the model's metadata: {@code --input-data random}
 * (a few distinct requests of random values, cycled), {@code zero} (one request of zeros) or a JSON
 * file in perf_analyzer's format:
 *
 * <pre>
 * {"data": [ {"INPUT0": [1, 2, 3], "INPUT1": {"content": [...], "shape": [16]}},
 *            {"INPUT0": {"b64": "AQAAAAIAAAA="}, ...}, ... ],
 *  "validation_data": [ {"OUTPUT0": [2, 4, 6]}, {"OUTPUT0": {"b64": "..."}}, ... ]}
 * </pre>
 *
 * <p>Each entry of {@code data} is one request; the generator sends them in turn. A value is the
 * elements (flat or nested), {@code {"content": elements, "shape": dims}}, or {@code {"b64": ...}}: the
 * tensor's bytes as the binary protocol carries them (little-endian; for BYTES, one element's bytes),
 * with an optional {@code "shape"}. A {@code shape} may leave out the batch dimension, as
 * perf_analyzer's do. {@code validation_data}, when present, has one entry per request: the outputs
 * it must be answered with, compared element by element; an answer that differs counts as the error
 * {@code validation}.
 *
 * <p>Values are built once, before the run: the generator never allocates request data per request.
 * Random values stay small (integers in [0, 100), floats in [0, 1)) so that they are valid for models
 * that look values up, such as token ids.
 */
final class InputData {
  /** Distinct requests prepared for {@code random}. */
  static final int RANDOM_PAYLOADS = 16;
  private static final int RANDOM_INT_BOUND = 100;
  private static final ObjectMapper JSON = new ObjectMapper();

  private InputData() {}

  /**
   * The prepared requests and, per request, the outputs expected in its answer.
   *
   * @param inputs one list of input tensors per distinct request, in the model's input order
   * @param expected empty without {@code validation_data}, else one list per request (the outputs it
   *     names, each tensor's data in the binary layout)
   */
  record Prepared(List<List<TensorData>> inputs, List<List<TensorData>> expected) {
    Prepared {
      inputs = List.copyOf(inputs);
      expected = List.copyOf(expected);
    }

    /** The outputs request {@code payload} must be answered with; empty when it is not checked. */
    List<TensorData> expected(int payload) {
      return expected.isEmpty() ? List.of() : expected.get(payload);
    }
  }

  /** Where request data comes from. */
  sealed interface Source permits Random, Zero, FromFile {
    /**
     * Reads {@code --input-data}: {@code random}, {@code zero} or a file name.
     */
    static Source parse(String value, long seed) {
      return switch (value) {
        case "random" -> new Random(seed);
        case "zero" -> new Zero();
        default -> new FromFile(Path.of(value));
      };
    }
  }

  record Random(long seed) implements Source {}

  record Zero() implements Source {}

  record FromFile(Path file) implements Source {}

  /**
   * Prepares the requests.
   *
   * @param shapes full shapes (batch dimension included) for inputs with variable dimensions, by name
   * @param batchSize rows per request, for inputs whose first dimension is variable
   * @return one list of input tensors per distinct request, in the model's input order
   * @throws IllegalArgumentException naming the input at fault (a variable dimension without a shape,
   *     a file entry of the wrong size)
   */
  static List<List<TensorData>> prepare(ModelMetadata model, Source source, Map<String, long[]> shapes,
      int batchSize) throws IOException {
    return prepareAll(model, source, shapes, batchSize).inputs();
  }

  /**
   * As {@link #prepare}, with the outputs a file's {@code validation_data} expects.
   *
   * @throws IllegalArgumentException naming the entry and the input or output at fault
   */
  static Prepared prepareAll(ModelMetadata model, Source source, Map<String, long[]> shapes, int batchSize)
      throws IOException {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
    for (String name : shapes.keySet()) {
      if (model.inputs().stream().noneMatch(spec -> spec.name().equals(name))) {
        throw new IllegalArgumentException("--shape names '" + name + "', which model '" + model.name()
            + "' does not have (inputs: " + model.inputs() + ")");
      }
    }
    List<List<TensorData>> payloads = new ArrayList<>();
    if (source instanceof FromFile file) {
      JsonNode root = JSON.readTree(Files.readAllBytes(file.file()));
      JsonNode entries = root.isArray() ? root : root.path("data");
      if (!entries.isArray() || entries.isEmpty()) {
        throw new IllegalArgumentException(file.file() + ": expected {\"data\": [ {input: values, ...}, ... ]}");
      }
      int index = 0;
      for (JsonNode entry : entries) {
        String where = file.file() + ": data[" + index++ + "]";
        if (!entry.isObject()) {
          throw new IllegalArgumentException(where + ": expected an object of inputs"
              + (entry.isArray() ? " (streams of sequence requests are not supported)" : ""));
        }
        List<TensorData> tensors = new ArrayList<>();
        for (TensorSpec spec : model.inputs()) {
          JsonNode value = entry.get(spec.name());
          if (value == null) {
            throw new IllegalArgumentException(where + " has no data for input '" + spec.name() + "'");
          }
          tensors.add(fromJson(where + ": input", spec, value, resolveIfNeeded(spec, shapes, batchSize), batchSize));
        }
        payloads.add(List.copyOf(tensors));
      }
      return new Prepared(payloads, expected(model, file.file(), root.path("validation_data"), payloads.size(),
          batchSize));
    }
    int count = source instanceof Random ? RANDOM_PAYLOADS : 1;
    SplittableRandom random = new SplittableRandom(source instanceof Random r ? r.seed() : 0);
    for (int i = 0; i < count; i++) {
      List<TensorData> tensors = new ArrayList<>();
      for (TensorSpec spec : model.inputs()) {
        long[] shape = resolveShape(spec, shapes, batchSize);
        tensors.add(source instanceof Zero ? zeros(spec, shape) : random(spec, shape, random));
      }
      payloads.add(List.copyOf(tensors));
    }
    return new Prepared(payloads, List.of());
  }

  /** A file's {@code validation_data}: one entry per request, each naming outputs of the model. */
  private static List<List<TensorData>> expected(ModelMetadata model, Path file, JsonNode validation, int requests,
      int batchSize) {
    if (validation.isMissingNode() || validation.isNull()) {
      return List.of();
    }
    if (!validation.isArray() || validation.size() != requests) {
      throw new IllegalArgumentException(file + ": validation_data must list one entry per entry of data ("
          + requests + "), it has " + (validation.isArray() ? validation.size() : "no list"));
    }
    List<List<TensorData>> expected = new ArrayList<>();
    int index = 0;
    for (JsonNode entry : validation) {
      String where = file + ": validation_data[" + index++ + "]";
      if (!entry.isObject() || entry.isEmpty()) {
        throw new IllegalArgumentException(where + ": expected an object of outputs");
      }
      List<TensorData> outputs = new ArrayList<>();
      for (java.util.Iterator<String> names = entry.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        TensorSpec spec = model.outputs().stream().filter(o -> o.name().equals(name)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException(where + ": model '" + model.name() + "' has no output '"
                + name + "' (outputs: " + model.outputs() + ")"));
        outputs.add(fromJson(where + ": output", spec, entry.get(name), null, batchSize));
      }
      expected.add(List.copyOf(outputs));
    }
    return expected;
  }

  /** The shape an input is sent with when its entry gives none; null when the entry must give one. */
  private static long[] resolveIfNeeded(TensorSpec spec, Map<String, long[]> shapes, int batchSize) {
    if (shapes.containsKey(spec.name())) {
      return resolveShape(spec, shapes, batchSize);
    }
    try {
      return resolveShape(spec, shapes, batchSize);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The shape to send for an input: the given one, else the declared one with the batch size first. */
  static long[] resolveShape(TensorSpec spec, Map<String, long[]> shapes, int batchSize) {
    long[] declared = spec.shape();
    long[] given = shapes.get(spec.name());
    if (given != null) {
      if (given.length != declared.length) {
        throw new IllegalArgumentException("--shape for '" + spec.name() + "' has " + given.length
            + " dimensions, the model declares " + Arrays.toString(declared));
      }
      for (int i = 0; i < given.length; i++) {
        if (given[i] < 0 || (declared[i] >= 0 && declared[i] != given[i])) {
          throw new IllegalArgumentException("--shape " + Arrays.toString(given) + " for '" + spec.name()
              + "' does not fit the model's " + Arrays.toString(declared));
        }
      }
      return given.clone();
    }
    long[] shape = declared.clone();
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < 0) {
        if (i > 0) {
          StringBuilder example = new StringBuilder();
          for (int k = 0; k < declared.length; k++) {
            example.append(k == 0 ? "" : ",").append(declared[k] >= 0 ? declared[k] : k == 0 ? batchSize : 16);
          }
          throw new IllegalArgumentException("input '" + spec.name() + "' has variable dimensions "
              + Arrays.toString(declared) + "; give its full shape, for example --shape " + spec.name()
              + ":" + example);
        }
        shape[i] = batchSize;
      }
    }
    if (batchSize > 1 && (declared.length == 0 || declared[0] >= 0)) {
      throw new IllegalArgumentException("--batch-size " + batchSize + ": input '" + spec.name()
          + "' has no variable first dimension " + Arrays.toString(declared));
    }
    return shape;
  }

  private static TensorData zeros(TensorSpec spec, long[] shape) {
    long n = count(shape);
    if (spec.datatype() == DataType.BYTES) {
      return new TensorData(spec.name(), DataType.BYTES, shape, new byte[Math.toIntExact(4 * n)]);
    }
    return new TensorData(spec.name(), spec.datatype(), shape,
        new byte[Math.toIntExact(n * spec.datatype().elementSize())]);
  }

  private static TensorData random(TensorSpec spec, long[] shape, SplittableRandom random) {
    int n = Math.toIntExact(count(shape));
    DataType type = spec.datatype();
    if (type == DataType.BYTES) {
      ByteBuffer b = ByteBuffer.allocate(n * 12).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        b.putInt(8);
        for (int k = 0; k < 8; k++) {
          b.put((byte) ('a' + random.nextInt(26)));
        }
      }
      return new TensorData(spec.name(), type, shape, Arrays.copyOf(b.array(), b.position()));
    }
    ByteBuffer b = ByteBuffer.allocate(n * type.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      switch (type) {
        case BOOL -> b.put((byte) random.nextInt(2));
        case UINT8, INT8 -> b.put((byte) random.nextInt(RANDOM_INT_BOUND));
        case UINT16, INT16 -> b.putShort((short) random.nextInt(RANDOM_INT_BOUND));
        case UINT32, INT32 -> b.putInt(random.nextInt(RANDOM_INT_BOUND));
        case UINT64, INT64 -> b.putLong(random.nextInt(RANDOM_INT_BOUND));
        case FP16 -> b.putShort(toHalf((float) random.nextDouble()));
        case BF16 -> b.putShort((short) (Float.floatToIntBits((float) random.nextDouble()) >>> 16));
        case FP32 -> b.putFloat((float) random.nextDouble());
        case FP64 -> b.putDouble(random.nextDouble());
        default -> throw new IllegalStateException("unhandled datatype " + type);
      }
    }
    return new TensorData(spec.name(), type, shape, b.array());
  }

  /**
   * One tensor of a file: elements, {@code {"content", "shape"}} or {@code {"b64", "shape"}}.
   *
   * @param what where it is, for messages: {@code "<file>: data[2]: input"}
   * @param defaultShape the shape when the value gives none, or null: an input must then give one, an
   *     output's is taken from its elements (only its data is compared)
   */
  private static TensorData fromJson(String what, TensorSpec spec, JsonNode value, long[] defaultShape,
      int batchSize) {
    boolean output = what.endsWith(": output");
    String where = what + " '" + spec.name() + "'";
    DataType type = spec.datatype();
    JsonNode content = value;
    long[] shape = defaultShape;
    byte[] raw = null;
    if (value.isObject()) {
      JsonNode dims = value.path("shape");
      if (dims.isArray()) {
        shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = dims.get(i).asLong();
        }
        if (shape.length == spec.rank() - 1 && spec.rank() > 0 && spec.dim(0) < 0) {
          // perf_analyzer's shapes leave out the batch dimension.
          long[] full = new long[spec.rank()];
          full[0] = batchSize;
          System.arraycopy(shape, 0, full, 1, shape.length);
          shape = full;
        }
      } else if (!dims.isMissingNode()) {
        throw new IllegalArgumentException(where + ": \"shape\" must be a list of dimensions");
      }
      if (value.has("b64")) {
        try {
          raw = Base64.getDecoder().decode(value.get("b64").asText());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + ": \"b64\" is not base64: " + e.getMessage());
        }
      } else if (value.has("content")) {
        content = value.get("content");
      } else {
        throw new IllegalArgumentException(where + ": an object must hold \"content\" or \"b64\" (and may hold "
            + "\"shape\"), found " + fieldNames(value));
      }
    }
    if (raw != null) {
      return fromBase64(where, spec, raw, shape, output);
    }
    List<JsonNode> elements = new ArrayList<>();
    flatten(content, elements);
    if (shape == null) {
      if (output) {
        shape = new long[] {elements.size()};
      } else {
        throw new IllegalArgumentException(where + " has variable dimensions " + Arrays.toString(spec.shape())
            + ": give its \"shape\" beside \"content\", or --shape");
      }
    }
    long expected = count(shape);
    if (elements.size() != expected) {
      throw new IllegalArgumentException(where + " has " + elements.size() + " elements, but shape "
          + Arrays.toString(shape) + " needs " + expected);
    }
    if (type == DataType.BYTES) {
      List<byte[]> strings = new ArrayList<>();
      int total = 0;
      for (JsonNode e : elements) {
        byte[] s = e.asText().getBytes(StandardCharsets.UTF_8);
        strings.add(s);
        total += 4 + s.length;
      }
      ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
      strings.forEach(s -> b.putInt(s.length).put(s));
      return new TensorData(spec.name(), type, shape, b.array());
    }
    return new TensorData(spec.name(), type, shape, encode(type, elements));
  }

  /** A {@code b64} value: the tensor's bytes as sent, or for BYTES one element's bytes. */
  private static TensorData fromBase64(String where, TensorSpec spec, byte[] raw, long[] shape, boolean output) {
    DataType type = spec.datatype();
    if (type == DataType.BYTES) {
      long[] one = shape == null ? new long[spec.rank()] : shape;
      if (shape == null) {
        Arrays.fill(one, 1);
      }
      if (count(one) != 1) {
        throw new IllegalArgumentException(where + ": \"b64\" of a BYTES tensor is one element, but shape "
            + Arrays.toString(one) + " has " + count(one));
      }
      ByteBuffer b = ByteBuffer.allocate(4 + raw.length).order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(raw.length).put(raw);
      return new TensorData(spec.name(), type, one, b.array());
    }
    int size = type.elementSize();
    if (raw.length % size != 0) {
      throw new IllegalArgumentException(where + ": \"b64\" decodes to " + raw.length + " bytes, not a whole number of "
          + type + " elements (" + size + " bytes each)");
    }
    if (shape == null) {
      if (!output) {
        throw new IllegalArgumentException(where + " has variable dimensions " + Arrays.toString(spec.shape())
            + ": give its \"shape\" beside \"b64\", or --shape");
      }
      shape = new long[] {raw.length / size};
    }
    long needed = count(shape) * size;
    if (raw.length != needed) {
      throw new IllegalArgumentException(where + ": \"b64\" decodes to " + raw.length + " bytes, but shape "
          + Arrays.toString(shape) + " of " + type + " needs " + needed);
    }
    return new TensorData(spec.name(), type, shape, raw);
  }

  /** Elements of a JSON tensor in the binary layout (not BYTES). */
  static byte[] encode(DataType type, List<JsonNode> elements) {
    ByteBuffer b = ByteBuffer.allocate(elements.size() * type.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (JsonNode e : elements) {
      switch (type) {
        case BOOL -> b.put((byte) (e.asBoolean() || e.asLong() != 0 ? 1 : 0));
        case UINT8, INT8 -> b.put((byte) e.asLong());
        case UINT16, INT16 -> b.putShort((short) e.asLong());
        case UINT32, INT32 -> b.putInt((int) e.asLong());
        case UINT64 -> b.putLong(e.isBigInteger() ? e.bigIntegerValue().longValue() : e.asLong());
        case INT64 -> b.putLong(e.asLong());
        case FP16 -> b.putShort(toHalf((float) e.asDouble()));
        case BF16 -> b.putShort((short) (Float.floatToIntBits((float) e.asDouble()) >>> 16));
        case FP32 -> b.putFloat((float) e.asDouble());
        case FP64 -> b.putDouble(e.asDouble());
        default -> throw new IllegalStateException("unhandled datatype " + type);
      }
    }
    return b.array();
  }

  private static String fieldNames(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names.toString();
  }

  static void flatten(JsonNode node, List<JsonNode> out) {
    if (node.isArray()) {
      node.forEach(child -> flatten(child, out));
    } else {
      out.add(node);
    }
  }

  private static long count(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** IEEE 754 half precision, rounding toward zero; enough for test data. */
  static short toHalf(float value) {
    int bits = Float.floatToIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = ((bits >>> 23) & 0xFF) - 127 + 15;
    int mantissa = bits & 0x7FFFFF;
    if (exponent <= 0) {
      return (short) sign;
    }
    if (exponent >= 31) {
      return (short) (sign | 0x7C00);
    }
    return (short) (sign | (exponent << 10) | (mantissa >>> 13));
  }
}
