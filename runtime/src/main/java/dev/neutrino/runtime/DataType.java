package dev.neutrino.runtime;

import java.util.HashMap;
import java.util.Map;

/**
 * The tensor element types of the Open Inference Protocol, with their element sizes and the names
 * they carry on the wire and in Triton's model configuration.
 *
 * <p>{@link #BYTES} has no fixed element size: in memory and on the wire each element is a 4-byte
 * little-endian length followed by that many bytes.
 */
public enum DataType {
  BOOL(1),
  UINT8(1),
  UINT16(2),
  UINT32(4),
  UINT64(8),
  INT8(1),
  INT16(2),
  INT32(4),
  INT64(8),
  FP16(2),
  FP32(4),
  FP64(8),
  BF16(2),
  BYTES(-1);

  private static final Map<String, DataType> BY_NAME = new HashMap<>();

  static {
    for (DataType type : values()) {
      BY_NAME.put(type.name(), type);
      BY_NAME.put(type.configName(), type);
    }
    // Triton's model configuration spells BYTES as TYPE_STRING.
    BY_NAME.put("TYPE_STRING", BYTES);
  }

  private final int elementSize;

  DataType(int elementSize) {
    this.elementSize = elementSize;
  }

  /** Bytes per element, or -1 for {@link #BYTES}, whose elements vary in length. */
  public int elementSize() {
    return elementSize;
  }

  public boolean isFixedSize() {
    return elementSize > 0;
  }

  /** The name used by the inference protocol, for example {@code FP32}. */
  public String wireName() {
    return name();
  }

  /** The name used by Triton's model configuration, for example {@code TYPE_FP32}. */
  public String configName() {
    return this == BYTES ? "TYPE_STRING" : "TYPE_" + name();
  }

  /** Whether the type can travel as JSON numbers or booleans (FP16 and BF16 only travel binary). */
  public boolean hasJsonForm() {
    return this != FP16 && this != BF16;
  }

  /**
   * Looks a type up by its wire name ({@code FP32}) or configuration name ({@code TYPE_FP32}).
   *
   * @return the type, or {@code null} when the name is not a datatype
   */
  public static DataType fromName(String name) {
    return name == null ? null : BY_NAME.get(name);
  }
}
