package dev.neutrino.gateway.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.neutrino.gateway.RepositoryLoadParameters;
import dev.neutrino.gateway.metrics.ModelStatistics;
import dev.neutrino.repo.ModelStatus;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.repo.ModelConfig;
import dev.neutrino.repo.TensorConfig;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;

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
   * {"config": "<JSON>"}}} for a load (a configuration used instead of the model folder's file).
   * Empty bodies are fine.
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


}
