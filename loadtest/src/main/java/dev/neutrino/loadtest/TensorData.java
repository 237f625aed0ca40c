package dev.neutrino.loadtest;

import dev.neutrino.runtime.DataType;
import java.util.Arrays;
import java.util.Objects;

/**
 * One input tensor of a prepared request: name, datatype, shape and its elements in the protocol's
 * binary layout (little-endian, row-major; BYTES elements each a 4-byte length and the bytes).
 * Immutable by convention: nobody writes {@link #data} after construction.
 */
record TensorData(String name, DataType datatype, long[] shape, byte[] data) {

  TensorData {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(datatype, "datatype");
    shape = shape.clone();
    Objects.requireNonNull(data, "data");
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  long elementCount() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  /** The first dimension, the rows this tensor brings to a batch. */
  long rows() {
    return shape.length == 0 ? 1 : shape[0];
  }

  @Override
  public String toString() {
    return name + ":" + datatype + Arrays.toString(shape);
  }
}
