package dev.neutrino.gateway.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.neutrino.batching.DynamicBatching;
import dev.neutrino.batching.QueuePolicy;
import dev.neutrino.gateway.RepositoryLoadParameters;
import dev.neutrino.gateway.metrics.ModelStatistics;
import dev.neutrino.repo.EnsembleConfig;
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
      config = RepositoryLoadParameters.configOverride(parameters.fields(), JsonNode::textValue);
    }
    return new RepositoryRequest(ready.asBoolean(false), config);
  }

  /** Triton's statistics extension: {@code {"model_stats": [...]}}. */
  record StatisticsResponse(@JsonProperty("model_stats") List<ModelStat> modelStats) {}

  record ModelStat(String name, String version, @JsonProperty("last_inference") long lastInference,
      @JsonProperty("inference_count") long inferenceCount, @JsonProperty("execution_count") long executionCount,
      @JsonProperty("inference_stats") InferStats inferenceStats,
      @JsonProperty("batch_stats") List<BatchStat> batchStats,
      @JsonProperty("memory_usage") List<MemoryStat> memoryUsage) {}

  record StatDuration(long count, long ns) {}

  record MemoryStat(String type, long id, @JsonProperty("byte_size") long byteSize) {}

  record InferStats(StatDuration success, StatDuration fail, StatDuration queue,
      @JsonProperty("compute_input") StatDuration computeInput,
      @JsonProperty("compute_infer") StatDuration computeInfer,
      @JsonProperty("compute_output") StatDuration computeOutput,
      @JsonProperty("cache_hit") StatDuration cacheHit,
      @JsonProperty("cache_miss") StatDuration cacheMiss) {}

  record BatchStat(@JsonProperty("batch_size") long batchSize,
      @JsonProperty("compute_input") StatDuration computeInput,
      @JsonProperty("compute_infer") StatDuration computeInfer,
      @JsonProperty("compute_output") StatDuration computeOutput) {}

  static StatisticsResponse statistics(List<ModelStatistics> models) {
    List<ModelStat> out = new ArrayList<>(models.size());
    for (ModelStatistics m : models) {
      ModelStatistics.InferStatistics s = m.inferenceStats();
      List<BatchStat> batches = new ArrayList<>(m.batchStats().size());
      for (ModelStatistics.BatchStatistics b : m.batchStats()) {
        batches.add(new BatchStat(b.batchSize(), duration(b.computeInput()), duration(b.computeInfer()),
            duration(b.computeOutput())));
      }
      List<MemoryStat> memory = new ArrayList<>(m.memoryUsage().size());
      for (ModelStatistics.MemoryUsage u : m.memoryUsage()) {
        memory.add(new MemoryStat(u.type(), u.id(), u.byteSize()));
      }
      out.add(new ModelStat(m.name(), m.version(), m.lastInferenceMillis(), m.inferenceCount(), m.executionCount(),
          new InferStats(duration(s.success()), duration(s.fail()), duration(s.queue()), duration(s.computeInput()),
              duration(s.computeInfer()), duration(s.computeOutput()), duration(s.cacheHit()),
              duration(s.cacheMiss())),
          batches, memory));
    }
    return new StatisticsResponse(out);
  }

  private static StatDuration duration(ModelStatistics.Duration d) {
    return new StatDuration(d.count(), d.ns());
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
    if (config.isEnsemble()) {
      json.put("ensemble_scheduling", ensembleScheduling(config.ensemble()));
    }
    return json;
  }

  /** Triton's {@code ensemble_scheduling}: the steps, with their maps as JSON objects. */
  private static Map<String, Object> ensembleScheduling(EnsembleConfig ensemble) {
    List<Map<String, Object>> steps = new ArrayList<>();
    for (EnsembleConfig.Step step : ensemble.steps()) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("model_name", step.modelName());
      json.put("model_version", step.modelVersion());
      json.put("input_map", step.inputMap());
      json.put("output_map", step.outputMap());
      steps.add(json);
    }
    return Map.of("step", steps);
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
