package dev.neutrino.runtime.onnx;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.Tensor;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Converts between our {@link DataType#BYTES} framing (per element: a 4-byte little-endian length,
 * then the bytes) and the {@code String[]} that ONNX Runtime's Java API takes and returns for string
 * tensors. ORT's Java API only speaks {@link String}, so elements travel as UTF-8 text: an element
 * that is not valid UTF-8 cannot be passed to a string tensor and is refused rather than mangled.
 */
final class StringTensors {
  private StringTensors() {}

  /** Thrown when a BYTES element is not valid UTF-8. */
  static final class NotUtf8Exception extends Exception {
    private static final long serialVersionUID = 1L;
    final long element;

    NotUtf8Exception(long element) {
      super("BYTES element " + element + " is not valid UTF-8", null, false, false);
      this.element = element;
    }
  }

  /** The elements of a BYTES tensor, decoded as strict UTF-8, in row-major order. */
  static String[] decode(Tensor tensor) throws NotUtf8Exception {
    long count = tensor.elementCount();
    if (count > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("too many string elements: " + count);
    }
    String[] out = new String[(int) count];
    ByteBuffer data = tensor.data();
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    for (int i = 0; i < out.length; i++) {
      int length = data.getInt();
      ByteBuffer element = data.slice().limit(length);
      data.position(data.position() + length);
      try {
        CharBuffer chars = decoder.reset().decode(element);
        out[i] = chars.toString();
      } catch (CharacterCodingException e) {
        throw new NotUtf8Exception(i);
      }
    }
    return out;
  }

  /**
   * Encodes strings as a BYTES tensor of {@code shape}: a new direct little-endian buffer owned by the
   * returned tensor.
   */
  static Tensor encode(long[] shape, String[] values) {
    byte[][] encoded = new byte[values.length][];
    long total = 0;
    for (int i = 0; i < values.length; i++) {
      encoded[i] = values[i].getBytes(StandardCharsets.UTF_8);
      total += 4L + encoded[i].length;
    }
    ByteBuffer buffer = Tensor.allocate(total);
    for (byte[] bytes : encoded) {
      buffer.putInt(bytes.length).put(bytes);
    }
    buffer.flip();
    return Tensor.of(DataType.BYTES, shape, buffer);
  }

  /**
   * Flattens what {@code OnnxTensor.getValue()} returns for a string tensor (a {@link String} for a
   * scalar, else nested {@code String} arrays) into row-major order.
   */
  static String[] flatten(Object value, long elementCount) {
    if (value instanceof String s) {
      return new String[] {s};
    }
    if (value instanceof String[] flat) {
      return flat;
    }
    String[] out = new String[(int) elementCount];
    int filled = flattenInto(value, out, 0);
    if (filled != out.length) {
      throw new IllegalStateException(
          "string output holds " + filled + " elements, expected " + elementCount);
    }
    return out;
  }

  private static int flattenInto(Object value, String[] out, int at) {
    if (value instanceof String[] strings) {
      System.arraycopy(strings, 0, out, at, strings.length);
      return at + strings.length;
    }
    if (value instanceof Object[] nested) {
      for (Object inner : nested) {
        at = flattenInto(inner, out, at);
      }
      return at;
    }
    throw new IllegalStateException(
        "unexpected string output value " + (value == null ? "null" : value.getClass().getName()));
  }
}
