package dev.neutrino.runtime.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo.OnnxTensorType;
import dev.neutrino.runtime.DataType;
import java.util.Locale;

/** Maps our {@link DataType} to ONNX Runtime's element types and back. */
final class OnnxElementTypes {
  private static final String ONNX_TYPE_PREFIX = "ONNX_TENSOR_ELEMENT_DATA_TYPE_";

  private OnnxElementTypes() {}

  /**
   * The datatype of an ONNX element type, or {@code null} when Neutrino has none (complex, float8,
   * undefined).
   */
  static DataType toDataType(OnnxTensorType onnxType) {
    return switch (onnxType) {
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL -> DataType.BOOL;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 -> DataType.UINT8;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16 -> DataType.UINT16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32 -> DataType.UINT32;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64 -> DataType.UINT64;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 -> DataType.INT8;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16 -> DataType.INT16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 -> DataType.INT32;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 -> DataType.INT64;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 -> DataType.FP16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT -> DataType.FP32;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE -> DataType.FP64;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16 -> DataType.BF16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING -> DataType.BYTES;
      default -> null;
    };
  }

  /**
   * The Java-side type ONNX Runtime creates a tensor of {@code type} from. The unsigned types wider
   * than a byte have none: they map to their signed twins, which hold the same bits (the backend
   * rewrites such model inputs to take the signed type). {@link DataType#BYTES} maps to
   * {@link OnnxJavaType#STRING}, which cannot be created from a buffer.
   */
  static OnnxJavaType toJavaType(DataType type) {
    return switch (type) {
      case BOOL -> OnnxJavaType.BOOL;
      case UINT8 -> OnnxJavaType.UINT8;
      case INT8 -> OnnxJavaType.INT8;
      case UINT16, INT16 -> OnnxJavaType.INT16;
      case UINT32, INT32 -> OnnxJavaType.INT32;
      case UINT64, INT64 -> OnnxJavaType.INT64;
      case FP16 -> OnnxJavaType.FLOAT16;
      case BF16 -> OnnxJavaType.BFLOAT16;
      case FP32 -> OnnxJavaType.FLOAT;
      case FP64 -> OnnxJavaType.DOUBLE;
      case BYTES -> OnnxJavaType.STRING;
    };
  }

  /** Whether ONNX Runtime's Java API cannot create a tensor of this type directly. */
  static boolean isWideUnsigned(DataType type) {
    return type == DataType.UINT16 || type == DataType.UINT32 || type == DataType.UINT64;
  }

  /** A short lower-case name of an ONNX element type, such as {@code complex64}, for messages. */
  static String describe(OnnxTensorType onnxType) {
    String name = onnxType.name();
    if (name.startsWith(ONNX_TYPE_PREFIX)) {
      name = name.substring(ONNX_TYPE_PREFIX.length());
    }
    return name.toLowerCase(Locale.ROOT);
  }
}
