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
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Builds the requests the generator sends, from the model's metadata: {@code --input-data random}
 * (a few distinct requests of random values, cycled), {@code zero} (one request of zeros) or a JSON
 * file in perf_analyzer's format:
 *
 * <pre>{"data": [ {"INPUT0": [1, 2, 3], "INPUT1": {"content": [...], "shape": [1, 16]}}, ... ]}</pre>
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
      for (JsonNode entry : entries) {
        List<TensorData> tensors = new ArrayList<>();
        for (TensorSpec spec : model.inputs()) {
          JsonNode value = entry.get(spec.name());
          if (value == null) {
            throw new IllegalArgumentException(file.file() + ": an entry has no data for input '" + spec.name() + "'");
          }
          tensors.add(fromJson(spec, value, shapes, batchSize));
        }
        payloads.add(List.copyOf(tensors));
      }
      return List.copyOf(payloads);
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
    return List.copyOf(payloads);
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

  private static TensorData fromJson(TensorSpec spec, JsonNode value, Map<String, long[]> shapes, int batchSize) {
    JsonNode content = value;
    long[] shape;
    if (value.isObject()) {
      content = value.path("content");
      JsonNode dims = value.path("shape");
      if (dims.isArray()) {
        shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = dims.get(i).asLong();
        }
        if (shape.length == spec.rank() - 1) {
          // perf_analyzer's shapes leave out the batch dimension.
          long[] full = new long[spec.rank()];
          full[0] = batchSize;
          System.arraycopy(shape, 0, full, 1, shape.length);
          shape = full;
        }
      } else {
        shape = resolveShape(spec, shapes, batchSize);
      }
    } else {
      shape = resolveShape(spec, shapes, batchSize);
    }
    List<JsonNode> elements = new ArrayList<>();
    flatten(content, elements);
    long expected = count(shape);
    if (elements.size() != expected) {
      throw new IllegalArgumentException("input '" + spec.name() + "': the file gives " + elements.size()
          + " values for shape " + Arrays.toString(shape) + ", which needs " + expected);
    }
    DataType type = spec.datatype();
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
    ByteBuffer b = ByteBuffer.allocate(elements.size() * type.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (JsonNode e : elements) {
      switch (type) {
        case BOOL -> b.put((byte) (e.asBoolean() || e.asLong() != 0 ? 1 : 0));
        case UINT8, INT8 -> b.put((byte) e.asLong());
        case UINT16, INT16 -> b.putShort((short) e.asLong());
        case UINT32, INT32 -> b.putInt((int) e.asLong());
        case UINT64, INT64 -> b.putLong(e.asLong());
        case FP16 -> b.putShort(toHalf((float) e.asDouble()));
        case BF16 -> b.putShort((short) (Float.floatToIntBits((float) e.asDouble()) >>> 16));
        case FP32 -> b.putFloat((float) e.asDouble());
        case FP64 -> b.putDouble(e.asDouble());
        default -> throw new IllegalStateException("unhandled datatype " + type);
      }
    }
    return new TensorData(spec.name(), type, shape, b.array());
  }

  private static void flatten(JsonNode node, List<JsonNode> out) {
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
