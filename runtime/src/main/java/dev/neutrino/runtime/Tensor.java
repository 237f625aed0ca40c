package dev.neutrino.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An immutable view of tensor data: a datatype, a shape and little-endian, row-major bytes.
 *
 * <p>Fixed-size types hold exactly {@code elementCount * elementSize} bytes. {@link DataType#BYTES}
 * holds, per element, a 4-byte little-endian length followed by that many bytes: the layout of the
 * protocol's binary extension, so a tensor read off the wire needs no re-encoding.
 *
 * <p>The buffer is shared, never copied, by {@link #data()}: callers get a read-only duplicate
 * positioned at zero. Whoever builds a tensor hands over its buffer and must not change it after.
 */
public final class Tensor {
  private final DataType datatype;
  private final long[] shape;
  private final ByteBuffer data;
  private final long elementCount;

  private Tensor(DataType datatype, long[] shape, ByteBuffer data, long elementCount) {
    this.datatype = datatype;
    this.shape = shape;
    this.data = data;
    this.elementCount = elementCount;
  }

  /**
   * Wraps {@code data} (from its position to its limit) as a tensor, checking that its size agrees
   * with the datatype and shape.
   *
   * @throws IllegalArgumentException naming the mismatch
   */
  public static Tensor of(DataType datatype, long[] shape, ByteBuffer data) {
    Objects.requireNonNull(datatype, "datatype");
    long count = Shapes.elementCount(shape);
    if (count < 0) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " has a negative dimension or too many elements");
    }
    ByteBuffer view = data.slice().order(ByteOrder.LITTLE_ENDIAN);
    if (datatype.isFixedSize()) {
      long expected = count * datatype.elementSize();
      if (expected != view.remaining()) {
        throw new IllegalArgumentException(
            "expected " + expected + " bytes for " + datatype + Arrays.toString(shape)
                + ", got " + view.remaining());
      }
    } else {
      String problem = checkBytesFraming(view, count);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
    }
    return new Tensor(datatype, shape.clone(), view.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN), count);
  }

  /**
   * Checks that {@code buffer} holds exactly {@code count} length-prefixed elements.
   *
   * @return null when it does, else what is wrong
   */
  public static String checkBytesFraming(ByteBuffer buffer, long count) {
    ByteBuffer b = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long seen = 0;
    while (b.remaining() > 0) {
      if (b.remaining() < 4) {
        return "BYTES element " + seen + " has a truncated length prefix";
      }
      int length = b.getInt();
      if (length < 0 || length > b.remaining()) {
        return "BYTES element " + seen + " declares " + Integer.toUnsignedString(length)
            + " bytes but only " + b.remaining() + " remain";
      }
      b.position(b.position() + length);
      seen++;
    }
    if (seen != count) {
      return "expected " + count + " BYTES elements, got " + seen;
    }
    return null;
  }

  public DataType datatype() {
    return datatype;
  }

  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public long dim(int index) {
    return shape[index];
  }

  public long elementCount() {
    return elementCount;
  }

  public int byteSize() {
    return data.remaining();
  }

  /** A read-only, little-endian view of the bytes, positioned at zero. */
  public ByteBuffer data() {
    return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Allocates a direct little-endian buffer of {@code bytes} bytes. */
  public static ByteBuffer allocate(long bytes) {
    if (bytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("tensor of " + bytes + " bytes is too large");
    }
    return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  public static Tensor ofFloats(long[] shape, float... values) {
    ByteBuffer b = allocate(4L * values.length);
    b.asFloatBuffer().put(values);
    return of(DataType.FP32, shape, b);
  }

  public static Tensor ofInts(long[] shape, int... values) {
    ByteBuffer b = allocate(4L * values.length);
    b.asIntBuffer().put(values);
    return of(DataType.INT32, shape, b);
  }

  public static Tensor ofLongs(long[] shape, long... values) {
    ByteBuffer b = allocate(8L * values.length);
    b.asLongBuffer().put(values);
    return of(DataType.INT64, shape, b);
  }

  /** A BYTES tensor of UTF-8 strings. */
  public static Tensor ofStrings(long[] shape, String... values) {
    List<byte[]> encoded = new ArrayList<>(values.length);
    long total = 0;
    for (String value : values) {
      byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
      encoded.add(bytes);
      total += 4 + bytes.length;
    }
    ByteBuffer b = allocate(total);
    for (byte[] bytes : encoded) {
      b.putInt(bytes.length).put(bytes);
    }
    b.flip();
    return of(DataType.BYTES, shape, b);
  }

  public float[] toFloatArray() {
    requireType(DataType.FP32);
    float[] out = new float[(int) elementCount];
    data().asFloatBuffer().get(out);
    return out;
  }

  public int[] toIntArray() {
    requireType(DataType.INT32);
    int[] out = new int[(int) elementCount];
    data().asIntBuffer().get(out);
    return out;
  }

  public long[] toLongArray() {
    requireType(DataType.INT64);
    long[] out = new long[(int) elementCount];
    data().asLongBuffer().get(out);
    return out;
  }

  /** The elements of a BYTES tensor, each as its raw bytes. */
  public List<byte[]> toByteElements() {
    requireType(DataType.BYTES);
    List<byte[]> out = new ArrayList<>((int) elementCount);
    ByteBuffer b = data();
    while (b.remaining() > 0) {
      byte[] element = new byte[b.getInt()];
      b.get(element);
      out.add(element);
    }
    return out;
  }

  private void requireType(DataType expected) {
    if (datatype != expected) {
      throw new IllegalStateException("tensor is " + datatype + ", not " + expected);
    }
  }

  @Override
  public String toString() {
    return datatype + Arrays.toString(shape) + "(" + data.remaining() + " bytes)";
  }
}
