package dev.neutrino.runtime;

import java.util.Arrays;
import java.util.Objects;

/**
 * The declared name, type and shape of a model input or output. A dimension of -1 is variable.
 *
 * @param shape the full shape, including the batch dimension when the model batches
 */
public record TensorSpec(String name, DataType datatype, long[] shape) {
  public TensorSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(datatype, "datatype");
    shape = shape.clone();
    for (long dim : shape) {
      if (dim < -1) {
        throw new IllegalArgumentException("dimension " + dim + " of " + name + " is below -1");
      }
    }
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public long dim(int index) {
    return shape[index];
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TensorSpec that
        && name.equals(that.name)
        && datatype == that.datatype
        && Arrays.equals(shape, that.shape);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, datatype, Arrays.hashCode(shape));
  }

  @Override
  public String toString() {
    return name + ":" + datatype + Arrays.toString(shape);
  }
}
