package dev.neutrino.gateway.http;

import dev.neutrino.runtime.Tensor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A growable little-endian byte array that tensor elements parsed from JSON are appended to, without
 * boxing, until their count is known and they become a tensor's buffer ({@link #toBuffer}).
 *
 * <p>Not thread-safe: one decode owns it. Callers keep the size within {@link #MAX_SIZE} (they check
 * before appending, so that the error can name the input); growing past it is a bug.
 */
final class GrowableBytes {
  /** The largest tensor {@link Tensor#allocate} accepts, and so the most this ever holds. */
  static final int MAX_SIZE = Integer.MAX_VALUE - 8;

  private static final VarHandle SHORT_LE =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT_LE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static final byte[] EMPTY = new byte[0];

  private byte[] bytes;
  private int size;

  GrowableBytes(int initialCapacity) {
    bytes = new byte[Math.max(16, Math.min(initialCapacity, MAX_SIZE))];
  }

  int size() {
    return size;
  }

  void putByte(int value) {
    ensure(1);
    bytes[size++] = (byte) value;
  }

  void putShort(int value) {
    ensure(2);
    SHORT_LE.set(bytes, size, (short) value);
    size += 2;
  }

  void putInt(int value) {
    ensure(4);
    INT_LE.set(bytes, size, value);
    size += 4;
  }

  void putLong(long value) {
    ensure(8);
    LONG_LE.set(bytes, size, value);
    size += 8;
  }

  void putFloat(float value) {
    putInt(Float.floatToRawIntBits(value));
  }

  void putDouble(double value) {
    putLong(Double.doubleToRawLongBits(value));
  }

  /**
   * Appends one BYTES element: a 4-byte length, then {@code chars} encoded as UTF-8 (an unpaired
   * surrogate becomes {@code '?'}, as {@link String#getBytes} does).
   */
  void putUtf8Element(char[] chars, int offset, int length) {
    ensure(4 + 3L * length);
    int lengthAt = size;
    int at = size + 4;
    byte[] b = bytes;
    int end = offset + length;
    for (int i = offset; i < end; i++) {
      char c = chars[i];
      if (c < 0x80) {
        b[at++] = (byte) c;
      } else if (c < 0x800) {
        b[at++] = (byte) (0xC0 | (c >> 6));
        b[at++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(chars[i + 1])) {
        int cp = Character.toCodePoint(c, chars[++i]);
        b[at++] = (byte) (0xF0 | (cp >> 18));
        b[at++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        b[at++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        b[at++] = (byte) (0x80 | (cp & 0x3F));
      } else if (Character.isSurrogate(c)) {
        b[at++] = '?';
      } else {
        b[at++] = (byte) (0xE0 | (c >> 12));
        b[at++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        b[at++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    INT_LE.set(b, lengthAt, at - lengthAt - 4);
    size = at;
  }

  /**
   * The contents as a little-endian heap buffer positioned at zero, handed over: nothing may be
   * appended after. It wraps the array itself, unless that is more than twice the size, when the
   * contents are copied into an array of their own rather than keep the slack alive.
   */
  ByteBuffer toBuffer() {
    byte[] contents = bytes.length / 2 > size ? Arrays.copyOf(bytes, size) : bytes;
    bytes = EMPTY;
    ByteBuffer buffer = ByteBuffer.wrap(contents, 0, size).order(ByteOrder.LITTLE_ENDIAN);
    size = 0;
    return buffer;
  }

  private void ensure(long extra) {
    long needed = size + extra;
    if (needed > bytes.length) {
      if (needed > MAX_SIZE) {
        throw new IllegalStateException("collector would exceed " + MAX_SIZE + " bytes");
      }
      long doubled = Math.max(needed, 2L * bytes.length);
      bytes = Arrays.copyOf(bytes, (int) Math.min(doubled, MAX_SIZE));
    }
  }
}
