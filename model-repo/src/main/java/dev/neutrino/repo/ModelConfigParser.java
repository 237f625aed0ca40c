package dev.neutrino.repo;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.neutrino.batching.DynamicBatching;
import dev.neutrino.batching.QueuePolicy;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.GpuOptions;
import dev.neutrino.runtime.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads {@code config.yaml} (Triton's field names) and completes it from what the model file declares.
 *
 * <p>Unknown keys are an error that names the key; so are values that contradict the model file.
 *
 * <p>{@code dynamic_batching} takes Triton's fields ({@code preferred_batch_size},
 * {@code max_queue_delay_microseconds}, {@code preserve_ordering}, {@code priority_levels},
 * {@code default_priority_level}, {@code default_queue_policy} and {@code priority_queue_policy}, a map
 * from level to policy; a policy has {@code timeout_action} REJECT or DELAY,
 * {@code default_timeout_microseconds}, {@code allow_timeout_override} and {@code max_queue_size}) and
 * Neutrino's {@code target_latency_microseconds}, which turns on the latency-target mode:
 *
 * <pre>
 * dynamic_batching:
 *   preferred_batch_size: [16, 32]
 *   max_queue_delay_microseconds: 100
 *   target_latency_microseconds: 5000
 *   priority_levels: 2
 *   default_priority_level: 2
 *   default_queue_policy:
 *     max_queue_size: 256
 *   priority_queue_policy:
 *     1:
 *       timeout_action: DELAY
 *       default_timeout_microseconds: 20000
 *       allow_timeout_override: true
 * </pre>
 */
public final class ModelConfigParser {
  /** Triton's default for models that can batch but do not say how much (its default-max-batch-size). */
  public static final int DEFAULT_MAX_BATCH_SIZE = ConfigCompletion.DEFAULT_MAX_BATCH_SIZE;

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

  private ModelConfigParser() {}

  /** The configuration as written, before completion. Absent fields are null. */
  record Raw(
      String name,
      String platform,
      String backend,
      Integer maxBatchSize,
      List<RawTensor> input,
      List<RawTensor> output,
      List<RawInstanceGroup> instanceGroup,
      String defaultModelFilename,
      @JsonDeserialize(contentUsing = ParameterValue.class) Map<String, String> parameters,
      RawDynamicBatching dynamicBatching,
      RawVersionPolicy versionPolicy,
      List<RawWarmup> modelWarmup,
      RawResponseCache responseCache,
      RawEnsembleScheduling ensembleScheduling,
      RawOptimization optimization) {

    static final Raw EMPTY = new Raw(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);

    /** A configuration without {@code ensemble_scheduling}. */
    Raw(String name, String platform, String backend, Integer maxBatchSize, List<RawTensor> input,
        List<RawTensor> output, List<RawInstanceGroup> instanceGroup, String defaultModelFilename,
        Map<String, String> parameters, RawDynamicBatching dynamicBatching, RawVersionPolicy versionPolicy,
        List<RawWarmup> modelWarmup, RawResponseCache responseCache) {
      this(name, platform, backend, maxBatchSize, input, output, instanceGroup, defaultModelFilename, parameters,
          dynamicBatching, versionPolicy, modelWarmup, responseCache, null, null);
    }

    Raw(String name, String platform, String backend, Integer maxBatchSize, List<RawTensor> input,
        List<RawTensor> output, List<RawInstanceGroup> instanceGroup, String defaultModelFilename,
        Map<String, String> parameters) {
      this(name, platform, backend, maxBatchSize, input, output, instanceGroup, defaultModelFilename, parameters,
          null, null, null, null, null, null);
    }
  }

  /**
   * Triton's {@code optimization}: the GPU execution accelerators and CUDA settings; Triton's other
   * fields there are refused by name.
   */
  record RawOptimization(RawExecutionAccelerators executionAccelerators, RawCuda cuda) {}

  record RawExecutionAccelerators(List<RawAccelerator> gpuExecutionAccelerator) {}

  record RawAccelerator(
      String name, @JsonDeserialize(contentUsing = ParameterValue.class) Map<String, String> parameters) {}

  record RawCuda(Boolean graphs) {}

  /** Exactly one of the three, as in Triton: {@code latest: {num_versions: 2}}, {@code all: {}}, {@code specific: {versions: [1, 3]}}. */
  record RawVersionPolicy(RawLatest latest, Map<String, Object> all, RawSpecific specific) {}

  record RawLatest(Integer numVersions) {}

  record RawSpecific(List<Long> versions) {}

  record RawWarmup(String name, Integer batchSize, Integer count, Map<String, RawWarmupInput> inputs) {}

  record RawWarmupInput(String dataType, List<Long> dims, Boolean zeroData, Boolean randomData) {}

  record RawResponseCache(Boolean enable) {}

  /** Triton's {@code ensemble_scheduling}; see {@link Ensembles#config}. */
  record RawEnsembleScheduling(List<RawStep> step) {}

  record RawStep(String modelName, Long modelVersion, Map<String, String> inputMap, Map<String, String> outputMap) {}

  record RawDynamicBatching(
      List<Integer> preferredBatchSize,
      Long maxQueueDelayMicroseconds,
      Boolean preserveOrdering,
      Integer priorityLevels,
      Integer defaultPriorityLevel,
      RawQueuePolicy defaultQueuePolicy,
      Map<Integer, RawQueuePolicy> priorityQueuePolicy,
      Long targetLatencyMicroseconds) {}

  record RawQueuePolicy(
      String timeoutAction, Long defaultTimeoutMicroseconds, Boolean allowTimeoutOverride, Integer maxQueueSize) {}

  record RawTensor(String name, String dataType, List<Long> dims) {}

  /** Triton's JSON form also names each group; the name is accepted and not used. */
  record RawInstanceGroup(String name, Integer count, String kind, List<Integer> gpus) {}

  /**
   * A parameter's value: a plain scalar ({@code intra_op_thread_count: 1}) or Triton's JSON form
   * ({@code {"string_value": "1"}}), so the configuration served by {@code /config} loads back as is.
   */
  static final class ParameterValue extends StdDeserializer<String> {
    private static final long serialVersionUID = 1L;

    ParameterValue() {
      super(String.class);
    }

    @Override
    public String deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      JsonNode node = parser.readValueAsTree();
      if (node.isObject() && node.size() == 1 && node.has("string_value") && node.get("string_value").isValueNode()) {
        return node.get("string_value").asText();
      }
      if (node.isValueNode() && !node.isNull()) {
        return node.asText();
      }
      throw JsonMappingException.from(parser, "a parameter must be a scalar or {string_value: ...}");
    }
  }

  /**
   * Parses the text of a {@code config.yaml}.
   *
   * @throws IllegalArgumentException naming the unknown key or the bad value
   */
  public static Raw parse(String yaml) {
    if (yaml.isBlank()) {
      return Raw.EMPTY;
    }
    try {
      Raw raw = YAML.readValue(yaml, Raw.class);
      return raw == null ? Raw.EMPTY : raw;
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException("unknown key '" + e.getPropertyName() + "'" + where(e));
    } catch (JsonMappingException e) {
      throw new IllegalArgumentException("invalid value" + where(e) + ": " + e.getOriginalMessage().split("\n")[0]);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("malformed YAML: " + e.getOriginalMessage());
    }
  }

  private static String where(JsonMappingException e) {
    String path = e.getPath().stream()
        .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
        .collect(Collectors.joining(".")).replace(".[", "[");
    return path.isEmpty() ? "" : " at " + path;
  }

  /** {@link #complete(String, Raw, String, String, String, List, List, ConfigCompletion)} as Triton's default. */
  public static ModelConfig complete(
      String modelName, Raw raw, String platform, String backend, String defaultFile,
      List<TensorSpec> modelInputs, List<TensorSpec> modelOutputs) {
    return complete(modelName, raw, platform, backend, defaultFile, modelInputs, modelOutputs,
        ConfigCompletion.DEFAULT);
  }

  /**
   * Completes a parsed configuration from the model's own inputs and outputs, checking that what the
   * configuration says agrees with the model (see {@link ConfigCompletion} for what is completed).
   *
   * @throws IllegalArgumentException naming the disagreement
   */
  public static ModelConfig complete(
      String modelName, Raw raw, String platform, String backend, String defaultFile,
      List<TensorSpec> modelInputs, List<TensorSpec> modelOutputs, ConfigCompletion completion) {
    if (raw.name() != null && !raw.name().equals(modelName)) {
      throw new IllegalArgumentException(
          "config name '" + raw.name() + "' does not match the model's folder '" + modelName + "'");
    }
    if (raw.platform() != null && !raw.platform().equals(platform)) {
      throw new IllegalArgumentException("platform '" + raw.platform() + "' is not supported; expected '" + platform + "'");
    }
    if (raw.backend() != null && !raw.backend().equals(backend)) {
      throw new IllegalArgumentException("backend '" + raw.backend() + "' is not supported; expected '" + backend + "'");
    }
    if (!completion.enabled()) {
      requireDeclared("input", raw.input());
      requireDeclared("output", raw.output());
    }
    int maxBatchSize;
    if (raw.maxBatchSize() != null) {
      maxBatchSize = raw.maxBatchSize();
    } else if (completion.enabled() && completion.defaultMaxBatchSize() > 0
        && canBatch(modelInputs) && canBatch(modelOutputs)
        && !declaresBatchDimension(raw.input(), modelInputs) && !declaresBatchDimension(raw.output(), modelOutputs)) {
      maxBatchSize = completion.defaultMaxBatchSize();
    } else {
      maxBatchSize = 0;
    }
    if (maxBatchSize < 0) {
      throw new IllegalArgumentException("max_batch_size must be >= 0, got " + maxBatchSize);
    }
    boolean batched = maxBatchSize > 0;
    if (batched) {
      requireBatchDimension(maxBatchSize, modelInputs);
      requireBatchDimension(maxBatchSize, modelOutputs);
    }
    List<TensorConfig> inputs = tensors("input", raw.input(), modelInputs, batched);
    List<TensorConfig> outputs = tensors("output", raw.output(), modelOutputs, batched);
    List<InstanceGroup> groups = new ArrayList<>();
    if (raw.instanceGroup() != null) {
      for (RawInstanceGroup group : raw.instanceGroup()) {
        groups.add(instanceGroup(group));
      }
    }
    DynamicBatching batching = raw.dynamicBatching() == null ? null : dynamicBatching(raw.dynamicBatching());
    if (batching == null && completion.enabled() && maxBatchSize > 1) {
      // Triton's auto-complete: a model that batches, with no scheduler configured, gets the dynamic
      // batcher with its default settings.
      batching = DynamicBatching.defaults();
    }
    if (batching != null) {
      if (maxBatchSize == 0) {
        throw new IllegalArgumentException("dynamic_batching needs max_batch_size >= 1, but the model does not batch");
      }
      try {
        batching.checkMaxBatchSize(maxBatchSize);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("dynamic_batching: " + e.getMessage());
      }
    }
    return new ModelConfig(
        modelName, platform, backend, maxBatchSize, inputs, outputs, groups,
        raw.defaultModelFilename() != null ? raw.defaultModelFilename() : defaultFile,
        raw.parameters() != null ? raw.parameters() : Map.of(), batching,
        versionPolicy(raw.versionPolicy()), warmup(raw.modelWarmup(), inputs),
        raw.responseCache() != null && Boolean.TRUE.equals(raw.responseCache().enable()), null,
        gpuOptions(raw.optimization(), raw.parameters() != null ? raw.parameters() : Map.of()));
  }

  /** Triton's GPU settings, as ONNX Runtime's providers take them. */
  static GpuOptions gpuOptions(RawOptimization optimization, Map<String, String> parameters) {
    List<GpuOptions.Accelerator> accelerators = new ArrayList<>();
    boolean graphs = false;
    if (optimization != null) {
      if (optimization.executionAccelerators() != null
          && optimization.executionAccelerators().gpuExecutionAccelerator() != null) {
        for (RawAccelerator raw : optimization.executionAccelerators().gpuExecutionAccelerator()) {
          if (raw == null || raw.name() == null) {
            throw new IllegalArgumentException("gpu_execution_accelerator needs a name");
          }
          accelerators.add(new GpuOptions.Accelerator(raw.name(), raw.parameters()));
        }
      }
      graphs = optimization.cuda() != null && Boolean.TRUE.equals(optimization.cuda().graphs());
    }
    return GpuOptions.fromTriton(accelerators, parameters, graphs);
  }

  static VersionPolicy versionPolicy(RawVersionPolicy raw) {
    if (raw == null) {
      return VersionPolicy.DEFAULT;
    }
    int given = (raw.latest() != null ? 1 : 0) + (raw.all() != null ? 1 : 0) + (raw.specific() != null ? 1 : 0);
    if (given != 1) {
      throw new IllegalArgumentException("version_policy must hold exactly one of latest, all, specific");
    }
    if (raw.latest() != null) {
      return new VersionPolicy.Latest(raw.latest().numVersions() == null ? 1 : raw.latest().numVersions());
    }
    if (raw.all() != null) {
      return new VersionPolicy.All();
    }
    if (raw.specific().versions() == null) {
      throw new IllegalArgumentException("version_policy specific needs versions");
    }
    return new VersionPolicy.Specific(new java.util.HashSet<>(raw.specific().versions()));
  }

  private static List<WarmupSample> warmup(List<RawWarmup> raw, List<TensorConfig> inputs) {
    List<WarmupSample> samples = new ArrayList<>();
    if (raw == null) {
      return samples;
    }
    for (RawWarmup sample : raw) {
      String name = sample.name() == null ? "warmup_" + samples.size() : sample.name();
      Map<String, WarmupSample.Input> sampleInputs = new LinkedHashMap<>();
      if (sample.inputs() != null) {
        sample.inputs().forEach((inputName, input) -> {
          TensorConfig declared = inputs.stream().filter(t -> t.name().equals(inputName)).findFirst()
              .orElseThrow(() -> new IllegalArgumentException(
                  "model_warmup '" + name + "': unknown input '" + inputName + "'"));
          DataType type = input.dataType() == null ? declared.dataType() : DataType.fromName(input.dataType());
          if (type != declared.dataType()) {
            throw new IllegalArgumentException("model_warmup '" + name + "': input '" + inputName
                + "' data_type must be " + declared.dataType().configName());
          }
          long[] dims = input.dims() == null ? declared.dims()
              : input.dims().stream().mapToLong(Long::longValue).toArray();
          sampleInputs.put(inputName, new WarmupSample.Input(type, dims, Boolean.TRUE.equals(input.randomData())));
        });
      }
      samples.add(new WarmupSample(name, sample.batchSize() == null ? 1 : sample.batchSize(),
          sample.count() == null ? 1 : sample.count(), sampleInputs));
    }
    return samples;
  }

  private static DynamicBatching dynamicBatching(RawDynamicBatching raw) {
    DynamicBatching defaults = DynamicBatching.defaults();
    Map<Integer, QueuePolicy> levels = new LinkedHashMap<>();
    if (raw.priorityQueuePolicy() != null) {
      raw.priorityQueuePolicy().forEach((level, policy) ->
          levels.put(level, queuePolicy("dynamic_batching.priority_queue_policy." + level, policy)));
    }
    try {
      return new DynamicBatching(
          raw.preferredBatchSize() != null ? raw.preferredBatchSize() : defaults.preferredBatchSizes(),
          orDefault(raw.maxQueueDelayMicroseconds(), defaults.maxQueueDelayMicros()),
          raw.preserveOrdering() != null ? raw.preserveOrdering() : defaults.preserveOrdering(),
          raw.priorityLevels() != null ? raw.priorityLevels() : defaults.priorityLevels(),
          raw.defaultPriorityLevel() != null ? raw.defaultPriorityLevel() : defaults.defaultPriorityLevel(),
          raw.defaultQueuePolicy() != null
              ? queuePolicy("dynamic_batching.default_queue_policy", raw.defaultQueuePolicy())
              : defaults.defaultQueuePolicy(),
          levels,
          orDefault(raw.targetLatencyMicroseconds(), defaults.targetLatencyMicros()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("dynamic_batching: " + e.getMessage());
    }
  }

  private static QueuePolicy queuePolicy(String where, RawQueuePolicy raw) {
    QueuePolicy defaults = QueuePolicy.DEFAULT;
    QueuePolicy.TimeoutAction action = defaults.timeoutAction();
    if (raw.timeoutAction() != null) {
      try {
        action = QueuePolicy.TimeoutAction.valueOf(raw.timeoutAction());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ".timeout_action '" + raw.timeoutAction()
            + "' is not one of REJECT, DELAY");
      }
    }
    try {
      return new QueuePolicy(action,
          orDefault(raw.defaultTimeoutMicroseconds(), defaults.defaultTimeoutMicros()),
          raw.allowTimeoutOverride() != null ? raw.allowTimeoutOverride() : defaults.allowTimeoutOverride(),
          raw.maxQueueSize() != null ? raw.maxQueueSize() : defaults.maxQueueSize());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage());
    }
  }

  private static long orDefault(Long value, long fallback) {
    return value != null ? value : fallback;
  }

  /** With auto-complete off every tensor must be declared in full: name, data_type and dims. */
  private static void requireDeclared(String what, List<RawTensor> declared) {
    if (declared == null || declared.isEmpty()) {
      throw new IllegalArgumentException("the configuration declares no " + what
          + "; auto-complete is disabled (--disable-auto-complete-config), so every " + what + " must be declared");
    }
    for (RawTensor tensor : declared) {
      String missing = tensor.dataType() == null ? "data_type" : tensor.dims() == null ? "dims" : null;
      if (missing != null) {
        throw new IllegalArgumentException(what + " '" + tensor.name() + "' has no " + missing
            + "; auto-complete is disabled (--disable-auto-complete-config)");
      }
    }
  }

  /**
   * Whether a declared tensor writes out the model's full shape, batch dimension included: then the
   * configuration says the model does not batch ({@code max_batch_size: 0}, which Triton's text format
   * cannot tell from "not given").
   */
  private static boolean declaresBatchDimension(List<RawTensor> declared, List<TensorSpec> actual) {
    if (declared == null) {
      return false;
    }
    for (RawTensor tensor : declared) {
      for (TensorSpec spec : actual) {
        if (spec.name().equals(tensor.name()) && tensor.dims() != null && tensor.dims().size() == spec.rank()) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean canBatch(List<TensorSpec> specs) {
    return specs.stream().allMatch(spec -> spec.rank() >= 1 && spec.dim(0) == -1);
  }

  private static void requireBatchDimension(int maxBatchSize, List<TensorSpec> specs) {
    for (TensorSpec spec : specs) {
      if (spec.rank() == 0 || spec.dim(0) != -1) {
        throw new IllegalArgumentException("max_batch_size " + maxBatchSize
            + " needs a variable first dimension on every input and output, but '" + spec.name()
            + "' has shape " + Arrays.toString(spec.shape()));
      }
    }
  }

  private static List<TensorConfig> tensors(
      String what, List<RawTensor> declared, List<TensorSpec> actual, boolean batched) {
    Map<String, TensorSpec> byName = new LinkedHashMap<>();
    actual.forEach(spec -> byName.put(spec.name(), spec));
    List<TensorConfig> result = new ArrayList<>();
    if (declared == null || declared.isEmpty()) {
      for (TensorSpec spec : actual) {
        long[] shape = spec.shape();
        long[] dims = batched ? Arrays.copyOfRange(shape, 1, shape.length) : shape;
        result.add(new TensorConfig(spec.name(), spec.datatype(), dims));
      }
      return result;
    }
    for (RawTensor raw : declared) {
      if (raw.name() == null) {
        throw new IllegalArgumentException("an " + what + " has no name");
      }
      TensorSpec spec = byName.get(raw.name());
      if (spec == null) {
        throw new IllegalArgumentException(what + " '" + raw.name() + "' is not in the model (it has "
            + String.join(", ", byName.keySet()) + ")");
      }
      DataType type = raw.dataType() == null ? spec.datatype() : DataType.fromName(raw.dataType());
      if (type == null) {
        throw new IllegalArgumentException(what + " '" + raw.name() + "': unknown data_type '" + raw.dataType() + "'");
      }
      if (type != spec.datatype()) {
        throw new IllegalArgumentException(what + " '" + raw.name() + "': data_type " + type.configName()
            + " does not match the model's " + spec.datatype().configName());
      }
      long[] dims = raw.dims() == null ? null : raw.dims().stream().mapToLong(Long::longValue).toArray();
      long[] modelShape = spec.shape();
      long[] modelDims = batched ? Arrays.copyOfRange(modelShape, 1, modelShape.length) : modelShape;
      if (dims == null) {
        dims = modelDims;
      } else if (!compatible(dims, modelDims)) {
        throw new IllegalArgumentException(what + " '" + raw.name() + "': dims " + Arrays.toString(dims)
            + " do not match the model's " + Arrays.toString(modelDims));
      }
      result.add(new TensorConfig(raw.name(), type, dims));
    }
    if (what.equals("input") && result.size() != actual.size()) {
      List<String> missing = new ArrayList<>(byName.keySet());
      result.forEach(t -> missing.remove(t.name()));
      throw new IllegalArgumentException("the configuration omits model inputs " + missing);
    }
    return result;
  }

  private static boolean compatible(long[] a, long[] b) {
    if (a.length != b.length) {
      return false;
    }
    for (int i = 0; i < a.length; i++) {
      if (a[i] != -1 && b[i] != -1 && a[i] != b[i]) {
        return false;
      }
    }
    return true;
  }

  private static InstanceGroup instanceGroup(RawInstanceGroup raw) {
    InstanceGroup.Kind kind = InstanceGroup.Kind.KIND_CPU;
    if (raw.kind() != null) {
      try {
        kind = InstanceGroup.Kind.valueOf(raw.kind());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("instance_group kind '" + raw.kind()
            + "' is not one of KIND_AUTO, KIND_CPU, KIND_GPU");
      }
    }
    return new InstanceGroup(raw.count() == null ? 1 : raw.count(), kind,
        raw.gpus() == null ? List.of() : raw.gpus());
  }
}
