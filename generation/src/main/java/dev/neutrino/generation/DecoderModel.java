package dev.neutrino.generation;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.TensorSpec;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A decoder-only model that takes and returns its key/value cache, as the usual ONNX exporters write
 * them: INT64 {@code input_ids}, {@code attention_mask} and (optionally) {@code position_ids}, FP32
 * {@code past_key_values.<layer>.key} / {@code .value} [batch, heads, past, head width]; FP32 {@code
 * logits} [batch, sequence, vocabulary] and {@code present.<layer>.key} / {@code .value}.
 *
 * @param model the loaded instance; only the engine's thread runs it
 * @param layers layers, counted from the past inputs
 * @param heads key/value heads per layer
 * @param headWidth floats per head and token
 * @param vocabulary logits per token
 * @param positionIds whether the model takes {@code position_ids}
 */
record DecoderModel(LoadedModel model, int layers, int heads, int headWidth, int vocabulary, boolean positionIds) {
  static final String INPUT_IDS = "input_ids";
  static final String ATTENTION_MASK = "attention_mask";
  static final String POSITION_IDS = "position_ids";
  static final String LOGITS = "logits";
  static final String[] KV = {"key", "value"};

  static String past(int layer, int kv) {
    return "past_key_values." + layer + "." + KV[kv];
  }

  static String present(int layer, int kv) {
    return "present." + layer + "." + KV[kv];
  }

  /** Whether a model with these inputs takes a key/value cache, and so is served by generation. */
  static boolean takesCache(List<TensorSpec> inputs) {
    return inputs.stream().anyMatch(i -> i.name().equals(past(0, 0)));
  }

  /**
   * Reads the model's layout from its declared inputs and outputs.
   *
   * @throws IllegalArgumentException naming the input or output that is missing or not as expected
   */
  static DecoderModel of(LoadedModel model) {
    Map<String, TensorSpec> inputs = model.inputs().stream()
        .collect(Collectors.toMap(TensorSpec::name, Function.identity()));
    Map<String, TensorSpec> outputs = model.outputs().stream()
        .collect(Collectors.toMap(TensorSpec::name, Function.identity()));
    require(inputs, INPUT_IDS, DataType.INT64, 2);
    require(inputs, ATTENTION_MASK, DataType.INT64, 2);
    boolean positions = inputs.containsKey(POSITION_IDS);
    if (positions) {
      require(inputs, POSITION_IDS, DataType.INT64, 2);
    }
    TensorSpec logits = require(outputs, LOGITS, DataType.FP32, 3);
    if (logits.dim(2) < 1) {
      throw new IllegalArgumentException("output logits must declare its vocabulary size as its last dimension");
    }
    int layers = 0;
    while (inputs.containsKey(past(layers, 0))) {
      layers++;
    }
    if (layers == 0) {
      throw new IllegalArgumentException("the model has no input " + past(0, 0) + ": it takes no key/value cache");
    }
    TensorSpec first = require(inputs, past(0, 0), DataType.FP32, 4);
    if (first.dim(1) < 1 || first.dim(3) < 1) {
      throw new IllegalArgumentException(
          "input " + first.name() + " must declare heads and head width as fixed dimensions 1 and 3, got " + first);
    }
    for (int layer = 0; layer < layers; layer++) {
      for (int kv = 0; kv < 2; kv++) {
        for (TensorSpec spec : new TensorSpec[] {
            require(inputs, past(layer, kv), DataType.FP32, 4), require(outputs, present(layer, kv), DataType.FP32, 4)}) {
          if (spec.dim(1) != first.dim(1) || spec.dim(3) != first.dim(3)) {
            throw new IllegalArgumentException(spec.name() + " is " + spec + ", unlike " + first);
          }
        }
      }
    }
    return new DecoderModel(model, layers, (int) first.dim(1), (int) first.dim(3), (int) logits.dim(2), positions);
  }

  /** The outputs one step asks for: the logits and every present. */
  Set<String> stepOutputs() {
    Set<String> names = new LinkedHashSet<>();
    names.add(LOGITS);
    for (int layer = 0; layer < layers; layer++) {
      names.add(present(layer, 0));
      names.add(present(layer, 1));
    }
    return names;
  }

  private static TensorSpec require(Map<String, TensorSpec> specs, String name, DataType type, int rank) {
    TensorSpec spec = specs.get(name);
    if (spec == null) {
      throw new IllegalArgumentException("the model has no " + name);
    }
    if (spec.datatype() != type || spec.rank() != rank) {
      throw new IllegalArgumentException(name + " must be " + type + " of rank " + rank + ", got " + spec);
    }
    return spec;
  }
}
