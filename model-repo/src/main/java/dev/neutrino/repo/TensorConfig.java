package dev.neutrino.repo;

import dev.neutrino.runtime.DataType;
import java.util.Arrays;
import java.util.Objects;

/**
 * One input or output of a model configuration, as Triton declares it.
 *
 * @param dims the shape without the batch dimension when the model batches; -1 is variable
 */
public record TensorConfig(String name, DataType dataType, long[] dims) {
  public TensorConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dataType, "data_type");
    dims = dims.clone();
    for (long dim : dims) {
      if (dim < -1) {
        throw new IllegalArgumentException("dims of '" + name + "' must be -1 or more, got " + dim);
      }
    }
  }

  @Override
  public long[] dims() {
    return dims.clone();
  }

  /** The full shape a request carries: {@code [-1] + dims} when the model batches. */
  public long[] fullShape(boolean batched) {
    if (!batched) {
      return dims.clone();
    }
    long[] full = new long[dims.length + 1];
    full[0] = -1;
    System.arraycopy(dims, 0, full, 1, dims.length);
    return full;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TensorConfig that
        && name.equals(that.name) && dataType == that.dataType && Arrays.equals(dims, that.dims);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dataType, Arrays.hashCode(dims));
  }

  @Override
  public String toString() {
    return name + ":" + dataType + Arrays.toString(dims);
  }
}
