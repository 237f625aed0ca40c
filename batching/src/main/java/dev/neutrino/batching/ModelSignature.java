package dev.neutrino.batching;

import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A model's inputs and outputs as the batcher needs them: how many rows a request brings, and which
 * requests may share a batch. Immutable.
 */
final class ModelSignature {
  /** The shape key of every request of a model whose non-batch dimensions are all fixed. */
  private static final Object FIXED_SHAPE = new Object() {
    @Override
    public String toString() {
      return "fixed shape";
    }
  };

  private final List<TensorSpec> inputs;
  private final List<String> outputNames;
  private final boolean batched;
  private final boolean variableDims;

  private ModelSignature(List<TensorSpec> inputs, List<TensorSpec> outputs, boolean batched) {
    this.inputs = List.copyOf(inputs);
    List<String> names = new ArrayList<>();
    outputs.forEach(spec -> names.add(spec.name()));
    this.outputNames = List.copyOf(names);
    this.batched = batched;
    boolean variable = false;
    for (TensorSpec spec : inputs) {
      for (int i = 1; i < spec.rank(); i++) {
        variable |= spec.dim(i) < 0;
      }
    }
    this.variableDims = batched && variable;
  }

  /**
   * @param batched whether the first dimension of every input is the batch dimension
   * @throws IllegalArgumentException when {@code batched} but an input has no variable first dimension
   */
  static ModelSignature of(LoadedModel model, boolean batched) {
    if (batched && !batchable(model)) {
      throw new IllegalArgumentException("batching needs a variable first dimension on every input and output, "
          + "but the model declares " + model.inputs() + " -> " + model.outputs());
    }
    return new ModelSignature(model.inputs(), model.outputs(), batched);
  }

  /** Whether every input and output of the model has a variable first dimension. */
  static boolean batchable(LoadedModel model) {
    for (List<TensorSpec> specs : List.of(model.inputs(), model.outputs())) {
      for (TensorSpec spec : specs) {
        if (spec.rank() == 0 || spec.dim(0) != -1) {
          return false;
        }
      }
    }
    return true;
  }

  List<TensorSpec> inputs() {
    return inputs;
  }

  /** The model's outputs, in its order. */
  List<String> outputNames() {
    return outputNames;
  }

  /**
   * The rows a request brings: its first dimension when the model batches, else 1.
   *
   * @throws InferenceException.InvalidInput when an input is missing, of another datatype or rank,
   *     or the inputs disagree on the batch size
   */
  int rows(InferenceRequest request) {
    long rows = -1;
    for (TensorSpec spec : inputs) {
      Tensor tensor = request.inputs().get(spec.name());
      if (tensor == null) {
        throw new InferenceException.InvalidInput("missing input '" + spec.name() + "'");
      }
      if (tensor.datatype() != spec.datatype()) {
        throw new InferenceException.InvalidInput("input '" + spec.name() + "': datatype " + tensor.datatype()
            + " does not match the model's " + spec.datatype());
      }
      if (!batched) {
        continue;
      }
      if (tensor.rank() != spec.rank()) {
        throw new InferenceException.InvalidInput("input '" + spec.name() + "': shape "
            + Arrays.toString(tensor.shape()) + " does not match the model's " + Arrays.toString(spec.shape()));
      }
      long batch = tensor.dim(0);
      if (batch < 1 || (rows >= 0 && batch != rows)) {
        throw new InferenceException.InvalidInput("input '" + spec.name() + "': batch size " + batch
            + (batch < 1 ? " must be at least 1" : " differs from the other inputs' " + rows));
      }
      rows = batch;
      for (int i = 1; i < spec.rank(); i++) {
        if (spec.dim(i) >= 0 && spec.dim(i) != tensor.dim(i)) {
          throw new InferenceException.InvalidInput("input '" + spec.name() + "': shape "
              + Arrays.toString(tensor.shape()) + " does not match the model's " + Arrays.toString(spec.shape()));
        }
      }
    }
    if (rows > Integer.MAX_VALUE) {
      throw new InferenceException.InvalidInput("batch size " + rows + " is too large");
    }
    return rows < 0 ? 1 : (int) rows;
  }

  /**
   * What must be equal for requests to share a batch: the non-batch dimensions of every input. Call
   * after {@link #rows}, which checked ranks.
   */
  Object shapeKey(InferenceRequest request) {
    if (!variableDims) {
      return FIXED_SHAPE;
    }
    int length = 0;
    for (TensorSpec spec : inputs) {
      length += spec.rank() - 1;
    }
    long[] dims = new long[length];
    int at = 0;
    for (TensorSpec spec : inputs) {
      Tensor tensor = request.inputs().get(spec.name());
      for (int i = 1; i < spec.rank(); i++) {
        dims[at++] = tensor.dim(i);
      }
    }
    return new ShapeKey(dims);
  }

  /** Non-batch dimensions of every input, in the model's input order. */
  private static final class ShapeKey {
    private final long[] dims;
    private final int hash;

    ShapeKey(long[] dims) {
      this.dims = dims;
      this.hash = Arrays.hashCode(dims);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof ShapeKey that && hash == that.hash && Arrays.equals(dims, that.dims);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public String toString() {
      return Arrays.toString(dims);
    }
  }
}
