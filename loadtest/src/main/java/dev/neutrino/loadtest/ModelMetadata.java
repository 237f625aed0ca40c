package dev.neutrino.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * What a server says about a model ({@code GET /v2/models/{m}} or gRPC {@code ModelMetadata}): enough to
 * build valid requests. A dimension of -1 is variable.
 */
record ModelMetadata(String name, List<String> versions, String platform, List<TensorSpec> inputs,
    List<TensorSpec> outputs) {

  ModelMetadata {
    versions = List.copyOf(versions);
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /**
   * Reads the protocol's model metadata document.
   *
   * @throws IllegalArgumentException when a field is missing or a datatype unknown
   */
  static ModelMetadata fromJson(JsonNode json) {
    List<String> versions = new ArrayList<>();
    json.path("versions").forEach(v -> versions.add(v.asText()));
    return new ModelMetadata(json.path("name").asText(), versions, json.path("platform").asText(""),
        tensors(json.path("inputs"), "inputs"), tensors(json.path("outputs"), "outputs"));
  }

  private static List<TensorSpec> tensors(JsonNode array, String field) {
    if (!array.isArray()) {
      throw new IllegalArgumentException("model metadata has no '" + field + "' array");
    }
    List<TensorSpec> specs = new ArrayList<>();
    for (JsonNode tensor : array) {
      String name = tensor.path("name").asText();
      String typeName = tensor.path("datatype").asText();
      DataType type = DataType.fromName(typeName);
      if (type == null) {
        throw new IllegalArgumentException(field + " '" + name + "' has unknown datatype '" + typeName + "'");
      }
      JsonNode dims = tensor.path("shape");
      long[] shape = new long[dims.size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = dims.get(i).asLong();
      }
      specs.add(new TensorSpec(name, type, shape));
    }
    return specs;
  }
}
