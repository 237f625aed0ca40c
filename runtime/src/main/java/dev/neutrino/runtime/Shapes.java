package dev.neutrino.runtime;

/** Arithmetic on tensor shapes that refuses to overflow. */
public final class Shapes {
  private Shapes() {}

  /**
   * The number of elements of a fully known shape.
   *
   * @return the element count, or -1 when a dimension is negative or the product overflows a long
   */
  public static long elementCount(long[] shape) {
    long count = 1;
    for (long dim : shape) {
      if (dim < 0) {
        return -1;
      }
      try {
        count = Math.multiplyExact(count, dim);
      } catch (ArithmeticException overflow) {
        return -1;
      }
    }
    return count;
  }

  /** Whether {@code actual} fits {@code declared}, where -1 in the declared shape matches any size. */
  public static boolean matches(long[] declared, long[] actual) {
    if (declared.length != actual.length) {
      return false;
    }
    for (int i = 0; i < declared.length; i++) {
      if (declared[i] >= 0 && declared[i] != actual[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * A shape as messages to clients write it: the protocol's own JSON form, {@code [1,16]}, one
   * spelling for every front end and check.
   */
  public static String toString(long[] shape) {
    StringBuilder text = new StringBuilder(2 + 4 * shape.length).append('[');
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        text.append(',');
      }
      text.append(shape[i]);
    }
    return text.append(']').toString();
  }
}
