package dev.neutrino.runtime.onnx;

import com.google.protobuf.ByteString;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.Shapes;
import dev.neutrino.runtime.onnx.proto.OnnxProto.AttributeProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.GraphProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.ModelProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.NodeProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.TensorProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.TensorShapeProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.TypeProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Writes small ONNX models from code: the example models of the repository and the models tests
 * load, without Python or the ONNX package at build time.
 *
 * <p>Models target ONNX IR version 8 and opset 13 of the default domain, the level every supported
 * ONNX Runtime accepts. Initializers are stored as little-endian {@code raw_data}. The output is
 * deterministic: the same calls give the same bytes (attributes are written sorted by name, nodes
 * are named by their position), so generated files can be compared byte for byte.
 *
 * <p>A builder is not thread-safe; use it from one thread and discard it after writing.
 */
public final class OnnxModelBuilder {
  /** The ONNX IR version written into every model. */
  public static final long IR_VERSION = 8;
  /** The version of the default operator set every model imports. */
  public static final long OPSET_VERSION = 13;
  /** The producer name written into every model. */
  public static final String PRODUCER_NAME = "neutrino";

  private final GraphProto.Builder graph;

  public OnnxModelBuilder(String graphName) {
    graph = GraphProto.newBuilder().setName(Objects.requireNonNull(graphName, "graphName"));
  }

  /**
   * Declares a graph input. A dimension of -1 becomes a symbolic dimension: {@code batch} for the
   * first dimension, {@code d1}, {@code d2}, ... for the others.
   */
  public OnnxModelBuilder input(String name, DataType type, long... shape) {
    graph.addInput(valueInfo(name, type, shape));
    return this;
  }

  /** Declares a graph output, with symbolic dimensions named as for {@link #input}. */
  public OnnxModelBuilder output(String name, DataType type, long... shape) {
    graph.addOutput(valueInfo(name, type, shape));
    return this;
  }

  /**
   * Adds a constant tensor whose elements are the bytes of {@code littleEndianData} from its
   * position to its limit (the buffer itself is not moved).
   *
   * @throws IllegalArgumentException when the type is {@link DataType#BYTES} (ONNX strings cannot
   *     be raw data) or the byte count does not match the shape
   */
  public OnnxModelBuilder initializer(
      String name, DataType type, long[] shape, ByteBuffer littleEndianData) {
    Objects.requireNonNull(name, "name");
    if (!type.isFixedSize()) {
      throw new IllegalArgumentException(
          "initializer " + name + ": " + type + " has no fixed-width raw form");
    }
    long count = Shapes.elementCount(shape);
    long expected = count < 0 ? -1 : count * type.elementSize();
    if (count < 0 || expected != littleEndianData.remaining()) {
      throw new IllegalArgumentException(
          "initializer " + name + ": " + type + Arrays.toString(shape) + " needs " + expected
              + " bytes, got " + littleEndianData.remaining());
    }
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(onnxElementType(type))
            .setRawData(ByteString.copyFrom(littleEndianData.duplicate()));
    for (long dim : shape) {
      tensor.addDims(dim);
    }
    graph.addInitializer(tensor);
    return this;
  }

  /** Adds an FP32 constant tensor. */
  public OnnxModelBuilder initializer(String name, long[] shape, float[] values) {
    ByteBuffer data = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    data.asFloatBuffer().put(values);
    return initializer(name, DataType.FP32, shape, data);
  }

  /** Adds an INT64 constant tensor. */
  public OnnxModelBuilder initializer(String name, long[] shape, long[] values) {
    ByteBuffer data = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    data.asLongBuffer().put(values);
    return initializer(name, DataType.INT64, shape, data);
  }

  /** Adds a node of the default domain without attributes. */
  public OnnxModelBuilder node(String opType, List<String> inputs, List<String> outputs) {
    return node(opType, inputs, outputs, Map.of());
  }

  /**
   * Adds a node of the default domain. Nodes must be added in topological order; each is named
   * {@code <opType>_<index>}.
   *
   * @param attributes values of type Long or Integer (INT), Float or Double (FLOAT), String
   *     (STRING), long[] (INTS) or float[] (FLOATS)
   * @throws IllegalArgumentException naming an attribute whose value has another type
   */
  public OnnxModelBuilder node(
      String opType, List<String> inputs, List<String> outputs, Map<String, Object> attributes) {
    NodeProto.Builder node =
        NodeProto.newBuilder()
            .setName(opType + "_" + graph.getNodeCount())
            .setOpType(opType)
            .addAllInput(inputs)
            .addAllOutput(outputs);
    for (Map.Entry<String, Object> entry : new TreeMap<>(attributes).entrySet()) {
      node.addAttribute(attribute(opType, entry.getKey(), entry.getValue()));
    }
    graph.addNode(node);
    return this;
  }

  /** The serialized model. */
  public byte[] toByteArray() {
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET_VERSION))
        .setProducerName(PRODUCER_NAME)
        .setGraph(graph)
        .build()
        .toByteArray();
  }

  /** Writes the serialized model to {@code file}, creating its parent directories. */
  public void writeTo(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.write(file, toByteArray());
  }

  /** The ONNX {@code TensorProto.DataType} number of {@code type}. */
  public static int onnxElementType(DataType type) {
    return switch (type) {
      case BOOL -> TensorProto.DataType.BOOL_VALUE;
      case UINT8 -> TensorProto.DataType.UINT8_VALUE;
      case UINT16 -> TensorProto.DataType.UINT16_VALUE;
      case UINT32 -> TensorProto.DataType.UINT32_VALUE;
      case UINT64 -> TensorProto.DataType.UINT64_VALUE;
      case INT8 -> TensorProto.DataType.INT8_VALUE;
      case INT16 -> TensorProto.DataType.INT16_VALUE;
      case INT32 -> TensorProto.DataType.INT32_VALUE;
      case INT64 -> TensorProto.DataType.INT64_VALUE;
      case FP16 -> TensorProto.DataType.FLOAT16_VALUE;
      case FP32 -> TensorProto.DataType.FLOAT_VALUE;
      case FP64 -> TensorProto.DataType.DOUBLE_VALUE;
      case BF16 -> TensorProto.DataType.BFLOAT16_VALUE;
      case BYTES -> TensorProto.DataType.STRING_VALUE;
    };
  }

  /**
   * The datatype for an ONNX {@code TensorProto.DataType} number.
   *
   * @return the datatype, or {@code null} when Neutrino has none for it (complex, 8-bit and 4-bit
   *     types)
   */
  public static DataType fromOnnxElementType(int onnxType) {
    for (DataType type : DataType.values()) {
      if (onnxElementType(type) == onnxType) {
        return type;
      }
    }
    return null;
  }

  private static ValueInfoProto valueInfo(String name, DataType type, long[] shape) {
    Objects.requireNonNull(name, "name");
    TensorShapeProto.Builder shapeProto = TensorShapeProto.newBuilder();
    for (int i = 0; i < shape.length; i++) {
      TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
      if (shape[i] == -1) {
        dim.setDimParam(i == 0 ? "batch" : "d" + i);
      } else if (shape[i] >= 0) {
        dim.setDimValue(shape[i]);
      } else {
        throw new IllegalArgumentException(
            "dimension " + i + " of " + name + " is " + shape[i] + "; use -1 for a variable size");
      }
      shapeProto.addDim(dim);
    }
    TypeProto.Tensor tensorType =
        TypeProto.Tensor.newBuilder()
            .setElemType(onnxElementType(type))
            .setShape(shapeProto)
            .build();
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(TypeProto.newBuilder().setTensorType(tensorType))
        .build();
  }

  private static AttributeProto attribute(String opType, String name, Object value) {
    AttributeProto.Builder attribute = AttributeProto.newBuilder().setName(name);
    if (value instanceof Long || value instanceof Integer) {
      attribute.setType(AttributeProto.AttributeType.INT).setI(((Number) value).longValue());
    } else if (value instanceof Float || value instanceof Double) {
      attribute.setType(AttributeProto.AttributeType.FLOAT).setF(((Number) value).floatValue());
    } else if (value instanceof String text) {
      attribute
          .setType(AttributeProto.AttributeType.STRING)
          .setS(ByteString.copyFrom(text, StandardCharsets.UTF_8));
    } else if (value instanceof long[] ints) {
      attribute.setType(AttributeProto.AttributeType.INTS);
      for (long i : ints) {
        attribute.addInts(i);
      }
    } else if (value instanceof float[] floats) {
      attribute.setType(AttributeProto.AttributeType.FLOATS);
      for (float f : floats) {
        attribute.addFloats(f);
      }
    } else {
      throw new IllegalArgumentException(
          "attribute " + name + " of " + opType + " has unsupported value type "
              + (value == null ? "null" : value.getClass().getSimpleName())
              + "; use Long, Integer, Float, Double, String, long[] or float[]");
    }
    return attribute.build();
  }
}
