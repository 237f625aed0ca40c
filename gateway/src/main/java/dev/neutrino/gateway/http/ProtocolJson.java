package dev.neutrino.gateway.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.neutrino.batching.DynamicBatching;
import dev.neutrino.batching.QueuePolicy;
import dev.neutrino.repo.InstanceGroup;
import dev.neutrino.repo.ModelStatus;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.repo.ModelConfig;
import dev.neutrino.repo.TensorConfig;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON documents of the REST protocol other than inference, as records Jackson writes. */
final class ProtocolJson {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
      .setSerializationInclusion(JsonInclude.Include.NON_NULL);

  private ProtocolJson() {}

  record ServerMetadata(String name, String version, List<String> extensions) {}

  record TensorMetadata(String name, String datatype, long[] shape) {}

  record ModelMetadata(
      String name, List<String> versions, String platform, List<TensorMetadata> inputs, List<TensorMetadata> outputs) {}

  /** One row of the repository index; absent fields are left out, as Triton does. */
  record IndexRow(String name, String version, String state, String reason) {}

  static List<IndexRow> index(List<ModelStatus> rows) {
    List<IndexRow> out = new ArrayList<>(rows.size());
    for (ModelStatus row : rows) {
      out.add(new IndexRow(row.name(), row.version().isEmpty() ? null : row.version(), row.state().name(),
          row.reason().isEmpty() ? null : row.reason()));
    }
    return out;
  }

  /**
   * The body of a repository call: {@code {"ready": bool}} for the index, {@code {"parameters":
   * {"config": "<JSON>"}}} for a load (a configuration used instead of config.yaml). Empty bodies
   * are fine.
   */
  record RepositoryRequest(boolean readyOnly, String config) {}

  static RepositoryRequest repositoryRequest(Buffer body) {
    if (body.length() == 0) {
      return new RepositoryRequest(false, null);
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(body.getBytes());
    } catch (java.io.IOException e) {
      throw new InferenceException.InvalidInput("malformed JSON in the request body");
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return new RepositoryRequest(false, null);
    }
    if (!root.isObject()) {
      throw new InferenceException.InvalidInput("the request body must be a JSON object");
    }
    JsonNode ready = root.path("ready");
    if (!ready.isMissingNode() && !ready.isBoolean()) {
      throw new InferenceException.InvalidInput("'ready' must be a boolean");
    }
    String config = null;
    JsonNode parameters = root.path("parameters");
    if (!parameters.isMissingNode()) {
      if (!parameters.isObject()) {
        throw new InferenceException.InvalidInput("'parameters' must be an object");
      }
      var fields = parameters.fields();
      while (fields.hasNext()) {
        var field = fields.next();
        if (field.getKey().equals("config")) {
          if (!field.getValue().isTextual()) {
            throw new InferenceException.InvalidInput("parameter 'config' must be a string holding JSON");
          }
          config = field.getValue().asText();
        } else if (field.getKey().startsWith("file:")) {
          throw new InferenceException.InvalidInput("file parameters of the load request are not supported");
        }
        // Other parameters (unload_dependents, ...) have no effect here: there are no ensembles.
      }
    }
    return new RepositoryRequest(ready.asBoolean(false), config);
  }

  static Buffer write(Object document) {
    try {
      return Buffer.buffer(MAPPER.writeValueAsBytes(document));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + document.getClass().getSimpleName(), e);
    }
  }

  static ModelMetadata metadata(ModelConfig config, List<String> versions) {
    return new ModelMetadata(config.name(), versions, config.platform(),
        tensors(config.inputs(), config.batched()), tensors(config.outputs(), config.batched()));
  }

  private static List<TensorMetadata> tensors(List<TensorConfig> tensors, boolean batched) {
    List<TensorMetadata> result = new ArrayList<>(tensors.size());
    for (TensorConfig tensor : tensors) {
      result.add(new TensorMetadata(tensor.name(), tensor.dataType().wireName(), tensor.fullShape(batched)));
    }
    return result;
  }

  /** The model configuration in the JSON form of Triton's model configuration. */
  static Map<String, Object> config(ModelConfig config) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("name", config.name());
    json.put("platform", config.platform());
    json.put("backend", config.backend());
    json.put("version_policy", Map.of("latest", Map.of("num_versions", 1)));
    json.put("max_batch_size", config.maxBatchSize());
    json.put("input", configTensors(config.inputs()));
    json.put("output", configTensors(config.outputs()));
    List<Map<String, Object>> groups = new ArrayList<>();
    int index = 0;
    for (InstanceGroup group : config.instanceGroups()) {
      Map<String, Object> g = new LinkedHashMap<>();
      g.put("name", config.name() + "_" + index++);
      g.put("kind", group.kind().name());
      g.put("count", group.count());
      g.put("gpus", group.gpus());
      groups.add(g);
    }
    json.put("instance_group", groups);
    if (config.dynamicBatching() != null) {
      json.put("dynamic_batching", dynamicBatching(config.dynamicBatching()));
    }
    json.put("default_model_filename", config.defaultModelFilename());
    Map<String, Object> parameters = new LinkedHashMap<>();
    config.parameters().forEach((key, value) -> parameters.put(key, Map.of("string_value", value)));
    json.put("parameters", parameters);
    return json;
  }

  private static Map<String, Object> dynamicBatching(DynamicBatching batching) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("preferred_batch_size", batching.preferredBatchSizes());
    json.put("max_queue_delay_microseconds", batching.maxQueueDelayMicros());
    json.put("preserve_ordering", batching.preserveOrdering());
    json.put("priority_levels", batching.priorityLevels());
    json.put("default_priority_level", batching.defaultPriorityLevel());
    json.put("default_queue_policy", queuePolicy(batching.defaultQueuePolicy()));
    Map<String, Object> perLevel = new LinkedHashMap<>();
    batching.priorityQueuePolicy().forEach((level, policy) -> perLevel.put(level.toString(), queuePolicy(policy)));
    json.put("priority_queue_policy", perLevel);
    if (batching.targetLatencyMicros() > 0) {
      json.put("target_latency_microseconds", batching.targetLatencyMicros());
    }
    return json;
  }

  private static Map<String, Object> queuePolicy(QueuePolicy policy) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("timeout_action", policy.timeoutAction().name());
    json.put("default_timeout_microseconds", policy.defaultTimeoutMicros());
    json.put("allow_timeout_override", policy.allowTimeoutOverride());
    json.put("max_queue_size", policy.maxQueueSize());
    return json;
  }

  private static List<Map<String, Object>> configTensors(List<TensorConfig> tensors) {
    List<Map<String, Object>> result = new ArrayList<>();
    for (TensorConfig tensor : tensors) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("name", tensor.name());
      t.put("data_type", tensor.dataType().configName());
      t.put("dims", tensor.dims());
      result.add(t);
    }
    return result;
  }
}
