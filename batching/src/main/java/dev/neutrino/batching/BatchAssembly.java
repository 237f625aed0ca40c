package dev.neutrino.batching;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Joins the inputs of a batch's requests into one tensor per input, and splits the outputs back.
 *
 * <p>Inputs are copied once, each into one contiguous direct buffer holding the members' rows in
 * batch order (the members' buffers stay theirs). Outputs are not copied: each request gets views
 * ({@link ByteBuffer#slice(int, int)}) of its rows of the batch's output buffers, which the runtime
 * allocated for the batch and nothing else holds. BYTES outputs are split by walking their length
 * prefixes. Stateless.
 */
final class BatchAssembly {
  private BatchAssembly() {}

  /** One tensor per declared input, the members' rows in order: {@code rows} rows in all. */
  static Map<String, Tensor> concatenate(List<TensorSpec> inputs, List<QueuedRequest> members, int rows) {
    Map<String, Tensor> batch = new LinkedHashMap<>();
    for (TensorSpec spec : inputs) {
      String name = spec.name();
      long bytes = 0;
      for (QueuedRequest member : members) {
        bytes += member.request.inputs().get(name).byteSize();
      }
      ByteBuffer buffer = Tensor.allocate(bytes);
      for (QueuedRequest member : members) {
        buffer.put(member.request.inputs().get(name).data());
      }
      buffer.flip();
      long[] shape = members.get(0).request.inputs().get(name).shape();
      shape[0] = rows;
      batch.put(name, Tensor.of(spec.datatype(), shape, buffer));
    }
    return batch;
  }

  /** The outputs to compute for a batch: every output when a member asks for all, else the union. */
  static Set<String> outputsToRun(List<QueuedRequest> members, List<String> modelOutputs) {
    Set<String> names = new LinkedHashSet<>();
    for (QueuedRequest member : members) {
      List<String> asked = member.request.outputs();
      if (asked.isEmpty()) {
        return new LinkedHashSet<>(modelOutputs);
      }
      names.addAll(asked);
    }
    return names;
  }

  /** The outputs of a batch of one, in the order the request wants them. */
  static Map<String, Tensor> select(Map<String, Tensor> produced, QueuedRequest member, List<String> modelOutputs) {
    Map<String, Tensor> result = new LinkedHashMap<>();
    for (String name : wanted(member, modelOutputs)) {
      result.put(name, require(produced.get(name), name));
    }
    return result;
  }

  /**
   * Each member's rows of every output it asked for, in member order.
   *
   * @throws InferenceException.BackendFailure when an output does not have the batch's rows
   */
  static List<Map<String, Tensor>> split(
      Map<String, Tensor> produced, List<QueuedRequest> members, int rows, List<String> modelOutputs) {
    Map<String, Tensor[]> pieces = new HashMap<>();
    for (Map.Entry<String, Tensor> output : produced.entrySet()) {
      pieces.put(output.getKey(), slices(output.getKey(), output.getValue(), members, rows));
    }
    List<Map<String, Tensor>> results = new ArrayList<>(members.size());
    for (int i = 0; i < members.size(); i++) {
      Map<String, Tensor> result = new LinkedHashMap<>();
      for (String name : wanted(members.get(i), modelOutputs)) {
        Tensor[] slices = pieces.get(name);
        result.put(name, require(slices == null ? null : slices[i], name));
      }
      results.add(result);
    }
    return results;
  }

  private static Tensor[] slices(String name, Tensor tensor, List<QueuedRequest> members, int rows) {
    if (tensor.rank() == 0 || tensor.dim(0) != rows) {
      throw new InferenceException.BackendFailure("output '" + name + "' has shape "
          + Arrays.toString(tensor.shape()) + " for a batch of " + rows + " rows", null);
    }
    long[] shape = tensor.shape();
    ByteBuffer data = tensor.data();
    Tensor[] slices = new Tensor[members.size()];
    int offset = 0;
    if (tensor.datatype().isFixedSize()) {
      int rowBytes = tensor.byteSize() / rows;
      for (int i = 0; i < slices.length; i++) {
        int memberRows = members.get(i).rows;
        int length = memberRows * rowBytes;
        shape[0] = memberRows;
        slices[i] = Tensor.of(tensor.datatype(), shape, data.slice(offset, length));
        offset += length;
      }
    } else {
      long elementsPerRow = tensor.elementCount() / rows;
      for (int i = 0; i < slices.length; i++) {
        int memberRows = members.get(i).rows;
        int start = offset;
        for (long element = 0; element < elementsPerRow * memberRows; element++) {
          offset += 4 + data.getInt(offset);
        }
        shape[0] = memberRows;
        slices[i] = Tensor.of(DataType.BYTES, shape, data.slice(start, offset - start));
      }
    }
    return slices;
  }

  private static List<String> wanted(QueuedRequest member, List<String> modelOutputs) {
    List<String> asked = member.request.outputs();
    return asked.isEmpty() ? modelOutputs : asked;
  }

  private static Tensor require(Tensor tensor, String name) {
    if (tensor == null) {
      throw new InferenceException.BackendFailure("the model did not return output '" + name + "'", null);
    }
    return tensor;
  }
}
