package dev.neutrino.runtime;

/**
 * The checks of an inference request that do not depend on its protocol, with one set of limits and
 * one wording: the HTTP and gRPC codecs and the model's validator all call these, so a client reads
 * the same message whichever way it came in.
 *
 * <p>Every check throws an {@link InferenceException} (never returns an error code) whose message
 * names the input, output or parameter at fault. Shapes are written as {@link Shapes#toString}
 * writes them ({@code [1,16]}). Stateless.
 */
public final class RequestChecks {
  /** The largest tensor one direct buffer can hold, whatever the request limit. */
  public static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 8;
  /** What a BYTES element takes at least once decoded: its 4-byte length prefix. */
  private static final int MIN_BYTES_ELEMENT = 4;

  private RequestChecks() {}

  /**
   * The element count of an input's shape, refusing negative dimensions and products that overflow
   * a long.
   *
   * @param label names the input, for example {@code input 'INPUT0'}
   * @throws InferenceException.InvalidInput when the shape has no element count
   */
  public static long elementCount(String label, long[] shape) {
    for (long dim : shape) {
      if (dim < 0) {
        throw new InferenceException.InvalidInput(label + ": shape " + Shapes.toString(shape)
            + " has a negative dimension");
      }
    }
    long count = Shapes.elementCount(shape);
    if (count < 0) {
      throw new InferenceException.InvalidInput(label + ": shape " + Shapes.toString(shape)
          + " has too many elements");
    }
    return count;
  }

  /**
   * The bytes a tensor of {@code type} and {@code shape} takes once decoded (at least, for BYTES,
   * whose elements' lengths are not known yet), computed from the shape alone so that it can be
   * checked before anything is allocated. Adds it to {@code bytesSoFar}, the decoded size of the
   * request's earlier inputs, and refuses the request when the sum passes {@code limitBytes}.
   *
   * @return the request's decoded size so far, this input included
   * @throws InferenceException.InvalidInput when the shape has no element count
   * @throws InferenceException.TooLarge when the decoded request would pass the limit
   */
  public static long decodedBytes(String label, DataType type, long[] shape, long bytesSoFar, long limitBytes) {
    long count = elementCount(label, shape);
    long elementBytes = type.isFixedSize() ? type.elementSize() : MIN_BYTES_ELEMENT;
    long limit = Math.min(limitBytes, MAX_TENSOR_BYTES);
    if (count > (limit - bytesSoFar) / elementBytes) {
      throw new InferenceException.TooLarge(label + ": shape " + Shapes.toString(shape) + " of " + type.wireName()
          + " decodes to more than the request limit of " + limitBytes + " bytes");
    }
    return bytesSoFar + count * elementBytes;
  }

  /**
   * Refuses an output requested twice.
   *
   * @param alreadyRequested whether the request named {@code name} before
   */
  public static void distinctOutput(String name, boolean alreadyRequested) {
    if (alreadyRequested) {
      throw new InferenceException.InvalidInput("output '" + name + "' is requested more than once");
    }
  }

  /**
   * The {@code priority} parameter, checked.
   *
   * @param given the value as the client wrote it, for the message
   * @param value the value, or -1 when {@code given} is not a non-negative integer
   */
  public static int priority(long value, String given) {
    if (value < 0 || value > Integer.MAX_VALUE) {
      throw new InferenceException.InvalidInput("parameter 'priority' must be an integer from 0 to "
          + Integer.MAX_VALUE + ", got " + given);
    }
    return (int) value;
  }

  /**
   * The {@code timeout} parameter in microseconds, checked.
   *
   * @param given the value as the client wrote it, for the message
   * @param value the value, or -1 when {@code given} is not a non-negative integer
   */
  public static long timeoutMicros(long value, String given) {
    if (value < 0) {
      throw new InferenceException.InvalidInput("parameter 'timeout' must be a non-negative integer"
          + " (microseconds), got " + given);
    }
    return value;
  }
}
