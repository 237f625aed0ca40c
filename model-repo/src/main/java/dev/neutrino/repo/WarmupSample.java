package dev.neutrino.repo;

import dev.neutrino.runtime.DataType;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of Triton's {@code model_warmup}: synthetic requests run on every instance of a new
 * version before it takes traffic.
 *
 * @param batchSize rows of each warm-up request (ignored when the model does not batch)
 * @param count how many times to run it
 * @param inputs the data of each input; inputs not listed get zeros of the configured shape
 */
public record WarmupSample(String name, int batchSize, int count, Map<String, Input> inputs) {
  public WarmupSample {
    Objects.requireNonNull(name, "name");
    inputs = Map.copyOf(inputs);
    if (batchSize < 1) {
      throw new IllegalArgumentException("model_warmup '" + name + "': batch_size must be >= 1, got " + batchSize);
    }
    if (count < 1) {
      throw new IllegalArgumentException("model_warmup '" + name + "': count must be >= 1, got " + count);
    }
  }

  /**
   * @param dims shape without the batch dimension; -1 is read as 1
   * @param randomData random bytes instead of zeros
   */
  public record Input(DataType dataType, long[] dims, boolean randomData) {
    public Input {
      Objects.requireNonNull(dataType, "data_type");
      dims = dims.clone();
    }

    @Override
    public long[] dims() {
      return dims.clone();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Input that && dataType == that.dataType && randomData == that.randomData
          && Arrays.equals(dims, that.dims);
    }

    @Override
    public int hashCode() {
      return Objects.hash(dataType, randomData, Arrays.hashCode(dims));
    }
  }
}
