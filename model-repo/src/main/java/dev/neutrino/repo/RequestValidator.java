package dev.neutrino.repo;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.RequestChecks;
import dev.neutrino.runtime.Shapes;
import dev.neutrino.runtime.Tensor;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks a decoded request against its model's configuration before anything is queued: names,
 * datatypes, shapes and the batch size. The codecs have already checked that each tensor's data
 * agrees with its own shape. Checks and wording shared with the codecs come from
 * {@link RequestChecks}.
 */
final class RequestValidator {
  private RequestValidator() {}

  /** @throws InferenceException.InvalidInput naming the input or output at fault */
  static void validate(ModelConfig config, InferenceRequest request) {
    Map<String, Tensor> inputs = request.inputs();
    for (String name : inputs.keySet()) {
      if (config.input(name) == null) {
        throw invalid("unknown input '" + name + "' for model '" + config.name() + "' (expected "
            + config.inputs().stream().map(TensorConfig::name).collect(Collectors.joining(", ")) + ")");
      }
    }
    long rows = -1;
    String firstInput = null;
    for (TensorConfig expected : config.inputs()) {
      Tensor tensor = inputs.get(expected.name());
      if (tensor == null) {
        throw invalid("missing input '" + expected.name() + "' for model '" + config.name() + "'");
      }
      if (tensor.datatype() != expected.dataType()) {
        throw invalid("input '" + expected.name() + "': datatype " + tensor.datatype()
            + " does not match the model's " + expected.dataType());
      }
      long[] shape = tensor.shape();
      long[] declared = expected.fullShape(config.batched());
      if (!Shapes.matches(declared, shape)) {
        throw invalid("input '" + expected.name() + "': shape " + Shapes.toString(shape)
            + " does not match the model's " + Shapes.toString(declared));
      }
      if (config.batched()) {
        long batch = shape[0];
        if (batch < 1) {
          throw invalid("input '" + expected.name() + "': batch size must be at least 1, got " + batch);
        }
        if (batch > config.maxBatchSize()) {
          throw invalid("input '" + expected.name() + "': batch size " + batch
              + " exceeds the model's max_batch_size " + config.maxBatchSize());
        }
        if (rows >= 0 && batch != rows) {
          throw invalid("input '" + expected.name() + "': batch size " + batch + " differs from input '"
              + firstInput + "' (" + rows + ")");
        }
        rows = batch;
        firstInput = expected.name();
      }
    }
    List<String> outputs = request.outputs();
    Set<String> seen = new HashSet<>();
    for (String name : outputs) {
      if (config.output(name) == null) {
        throw invalid("unknown output '" + name + "' for model '" + config.name() + "' (expected "
            + config.outputs().stream().map(TensorConfig::name).collect(Collectors.joining(", ")) + ")");
      }
      RequestChecks.distinctOutput(name, !seen.add(name));
    }
  }

  private static InferenceException.InvalidInput invalid(String message) {
    return new InferenceException.InvalidInput(message);
  }
}
