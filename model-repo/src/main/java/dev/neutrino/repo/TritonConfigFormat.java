package dev.neutrino.repo;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import com.google.protobuf.util.JsonFormat;
import dev.neutrino.batching.DynamicBatching;
import dev.neutrino.batching.QueuePolicy;
import dev.neutrino.gateway.grpc.proto.DataType;
import dev.neutrino.gateway.grpc.proto.ModelDynamicBatching;
import dev.neutrino.gateway.grpc.proto.ModelEnsembling;
import dev.neutrino.gateway.grpc.proto.ModelInput;
import dev.neutrino.gateway.grpc.proto.ModelInstanceGroup;
import dev.neutrino.gateway.grpc.proto.ModelOptimizationPolicy;
import dev.neutrino.gateway.grpc.proto.ModelOutput;
import dev.neutrino.gateway.grpc.proto.ModelParameter;
import dev.neutrino.gateway.grpc.proto.ModelQueuePolicy;
import dev.neutrino.gateway.grpc.proto.ModelResponseCache;
import dev.neutrino.gateway.grpc.proto.ModelTransactionPolicy;
import dev.neutrino.gateway.grpc.proto.ModelVersionPolicy;
import dev.neutrino.gateway.grpc.proto.ModelWarmup;
import dev.neutrino.runtime.GpuOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Triton's own forms of a model configuration: {@code config.pbtxt} (protobuf text format) and the JSON
 * form (protobuf's JSON mapping with Triton's field names), both read into Triton's {@code ModelConfig}
 * message and from there into what {@link ModelConfigParser} completes; and the effective
 * configuration printed back in the JSON form, so that what {@code /config} answers loads again.
 *
 * <p>Every field Neutrino does not honour is refused by name ("sequence_batching is not supported"):
 * {@link #SUPPORTED} lists the fields, by their path of field names, that are read. Fields that hold
 * Triton's default and change nothing here (pinned memory buffers, which only matter for GPU copies)
 * are accepted too. A field set to its default value is invisible in protobuf's third syntax, so
 * {@code max_batch_size: 0} reads as "not given" and is completed as Triton completes it.
 *
 * <p>Neutrino's latency target has no field in Triton's message: it travels as the parameter
 * {@value #TARGET_LATENCY_PARAMETER} and is printed back the same way.
 */
public final class TritonConfigFormat {
  /** The model parameter that carries Neutrino's {@code target_latency_microseconds}. */
  public static final String TARGET_LATENCY_PARAMETER = "target_latency_microseconds";
  /** The parameter naming a model's task; {@link #GENERATION_TASK} makes it decoupled. */
  static final String TASK_PARAMETER = "task";
  static final String GENERATION_TASK = "generation";

  /**
   * The fields read, as paths of Triton's field names (a map's entries are {@code key} and
   * {@code value}). A path not here is refused when set.
   */
  static final Set<String> SUPPORTED = Set.of(
      "name", "platform", "backend", "max_batch_size", "default_model_filename",
      "version_policy", "version_policy.latest", "version_policy.latest.num_versions", "version_policy.all",
      "version_policy.specific", "version_policy.specific.versions",
      "input", "input.name", "input.data_type", "input.dims",
      "output", "output.name", "output.data_type", "output.dims",
      "instance_group", "instance_group.name", "instance_group.kind", "instance_group.count", "instance_group.gpus",
      "dynamic_batching", "dynamic_batching.preferred_batch_size", "dynamic_batching.max_queue_delay_microseconds",
      "dynamic_batching.preserve_ordering", "dynamic_batching.priority_levels",
      "dynamic_batching.default_priority_level", "dynamic_batching.default_queue_policy",
      "dynamic_batching.default_queue_policy.timeout_action",
      "dynamic_batching.default_queue_policy.default_timeout_microseconds",
      "dynamic_batching.default_queue_policy.allow_timeout_override",
      "dynamic_batching.default_queue_policy.max_queue_size",
      "dynamic_batching.priority_queue_policy", "dynamic_batching.priority_queue_policy.key",
      "dynamic_batching.priority_queue_policy.value",
      "dynamic_batching.priority_queue_policy.value.timeout_action",
      "dynamic_batching.priority_queue_policy.value.default_timeout_microseconds",
      "dynamic_batching.priority_queue_policy.value.allow_timeout_override",
      "dynamic_batching.priority_queue_policy.value.max_queue_size",
      "parameters", "parameters.key", "parameters.value", "parameters.value.string_value",
      "model_warmup", "model_warmup.name", "model_warmup.batch_size", "model_warmup.count", "model_warmup.inputs",
      "model_warmup.inputs.key", "model_warmup.inputs.value", "model_warmup.inputs.value.data_type",
      "model_warmup.inputs.value.dims", "model_warmup.inputs.value.zero_data",
      "model_warmup.inputs.value.random_data",
      "response_cache", "response_cache.enable",
      "ensemble_scheduling", "ensemble_scheduling.step", "ensemble_scheduling.step.model_name",
      "ensemble_scheduling.step.model_version", "ensemble_scheduling.step.input_map",
      "ensemble_scheduling.step.input_map.key", "ensemble_scheduling.step.input_map.value",
      "ensemble_scheduling.step.output_map", "ensemble_scheduling.step.output_map.key",
      "ensemble_scheduling.step.output_map.value",
      // Triton's defaults, which change nothing here: pinned buffers only matter for GPU copies.
      "optimization", "optimization.input_pinned_memory", "optimization.input_pinned_memory.enable",
      "optimization.output_pinned_memory", "optimization.output_pinned_memory.enable",
      // GPU execution: ONNX Runtime's TensorRT and CUDA providers (see ModelConfigParser.gpuOptions).
      "optimization.execution_accelerators", "optimization.execution_accelerators.gpu_execution_accelerator",
      "optimization.execution_accelerators.gpu_execution_accelerator.name",
      "optimization.execution_accelerators.gpu_execution_accelerator.parameters",
      "optimization.execution_accelerators.gpu_execution_accelerator.parameters.key",
      "optimization.execution_accelerators.gpu_execution_accelerator.parameters.value",
      "optimization.cuda", "optimization.cuda.graphs",
      "model_transaction_policy");

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
      .preservingProtoFieldNames()
      .alwaysPrintFieldsWithNoPresence();

  private TritonConfigFormat() {}

  /**
   * Reads a {@code config.pbtxt}.
   *
   * @throws IllegalArgumentException naming the line, column and field of a syntax error, or the
   *     field Neutrino does not support
   */
  public static ModelConfigParser.Raw parseText(String pbtxt) {
    dev.neutrino.gateway.grpc.proto.ModelConfig.Builder message =
        dev.neutrino.gateway.grpc.proto.ModelConfig.newBuilder();
    try {
      TextFormat.Parser.newBuilder().build().merge(pbtxt, message);
    } catch (TextFormat.ParseException e) {
      throw new IllegalArgumentException("not Triton's model configuration text format: " + e.getMessage());
    }
    return toRaw(message.build());
  }

  /**
   * Reads Triton's JSON form of a configuration (what Triton's {@code /config} answers and its
   * repository API's {@code config} parameter takes).
   *
   * @throws IllegalArgumentException naming the unknown or unsupported field, or the bad value
   */
  public static ModelConfigParser.Raw parseJson(String json) {
    return toRaw(readJson(json));
  }

  /** Triton's JSON form into Triton's message, nothing refused yet. */
  static dev.neutrino.gateway.grpc.proto.ModelConfig readJson(String json) {
    dev.neutrino.gateway.grpc.proto.ModelConfig.Builder message =
        dev.neutrino.gateway.grpc.proto.ModelConfig.newBuilder();
    try {
      JsonFormat.parser().merge(json, message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not Triton's model configuration JSON: " + e.getMessage());
    } catch (RuntimeException e) {
      // JsonFormat reports some malformed JSON (an unterminated array, ...) as Gson's runtime errors.
      throw new IllegalArgumentException("not Triton's model configuration JSON: malformed JSON");
    }
    return message.build();
  }

  /**
   * Maps Triton's message to the configuration as written.
   *
   * @throws IllegalArgumentException naming the first field set that Neutrino does not support
   */
  static ModelConfigParser.Raw toRaw(dev.neutrino.gateway.grpc.proto.ModelConfig config) {
    ModelParameter task = config.getParametersMap().get(TASK_PARAMETER);
    if (config.getModelTransactionPolicy().getDecoupled() && task != null
        && GENERATION_TASK.equals(task.getStringValue())) {
      // What /config prints for a generative model reads back: it is decoupled because it generates.
      config = config.toBuilder().clearModelTransactionPolicy().build();
    }
    refuseUnsupported(config, "");
    Map<String, String> parameters = new LinkedHashMap<>();
    config.getParametersMap().forEach((key, value) -> parameters.put(key, value.getStringValue()));
    String targetLatency = parameters.remove(TARGET_LATENCY_PARAMETER);
    ModelConfigParser.RawDynamicBatching batching = null;
    if (config.hasDynamicBatching()) {
      batching = dynamicBatching(config.getDynamicBatching(), targetLatency);
    } else if (targetLatency != null) {
      throw new IllegalArgumentException("parameters." + TARGET_LATENCY_PARAMETER + " needs dynamic_batching");
    }
    return new ModelConfigParser.Raw(
        emptyToNull(config.getName()),
        emptyToNull(config.getPlatform()),
        emptyToNull(config.getBackend()),
        config.getMaxBatchSize() == 0 ? null : config.getMaxBatchSize(),
        config.getInputCount() == 0 ? null : inputs(config.getInputList()),
        config.getOutputCount() == 0 ? null : outputs(config.getOutputList()),
        config.getInstanceGroupCount() == 0 ? null : instanceGroups(config.getInstanceGroupList()),
        emptyToNull(config.getDefaultModelFilename()),
        parameters.isEmpty() ? null : parameters,
        batching,
        config.hasVersionPolicy() ? versionPolicy(config.getVersionPolicy()) : null,
        config.getModelWarmupCount() == 0 ? null : warmup(config.getModelWarmupList()),
        config.hasResponseCache() ? new ModelConfigParser.RawResponseCache(config.getResponseCache().getEnable())
            : null,
        config.hasEnsembleScheduling() ? ensembleScheduling(config.getEnsembleScheduling()) : null,
        config.hasOptimization() ? optimization(config.getOptimization()) : null);
  }

  private static ModelConfigParser.RawOptimization optimization(ModelOptimizationPolicy policy) {
    ModelConfigParser.RawExecutionAccelerators accelerators = null;
    if (policy.hasExecutionAccelerators()) {
      List<ModelConfigParser.RawAccelerator> gpu = new ArrayList<>();
      for (ModelOptimizationPolicy.ExecutionAccelerators.Accelerator accelerator
          : policy.getExecutionAccelerators().getGpuExecutionAcceleratorList()) {
        gpu.add(new ModelConfigParser.RawAccelerator(accelerator.getName(), accelerator.getParametersMap()));
      }
      accelerators = new ModelConfigParser.RawExecutionAccelerators(gpu);
    }
    ModelConfigParser.RawCuda cuda = policy.hasCuda()
        ? new ModelConfigParser.RawCuda(policy.getCuda().getGraphs()) : null;
    return accelerators == null && cuda == null ? null : new ModelConfigParser.RawOptimization(accelerators, cuda);
  }

  private static ModelConfigParser.RawEnsembleScheduling ensembleScheduling(ModelEnsembling ensembling) {
    List<ModelConfigParser.RawStep> steps = new ArrayList<>();
    for (ModelEnsembling.Step step : ensembling.getStepList()) {
      // model_version 0 is "not given": the newest version, as -1 says.
      steps.add(new ModelConfigParser.RawStep(emptyToNull(step.getModelName()),
          step.getModelVersion() == 0 ? null : step.getModelVersion(),
          step.getInputMapMap(), step.getOutputMapMap()));
    }
    return new ModelConfigParser.RawEnsembleScheduling(steps);
  }

  private static void refuseUnsupported(Message message, String prefix) {
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      String path = prefix + field.getKey().getName();
      if (!SUPPORTED.contains(path)) {
        throw new IllegalArgumentException(path + " is not supported");
      }
      if (field.getKey().getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        List<?> values = field.getKey().isRepeated() ? (List<?>) field.getValue() : List.of(field.getValue());
        for (Object value : values) {
          refuseUnsupported((Message) value, path + ".");
        }
      }
    }
  }

  private static String emptyToNull(String value) {
    return value.isEmpty() ? null : value;
  }

  private static String dataType(DataType type) {
    return type == DataType.TYPE_INVALID ? null : type.name();
  }

  private static List<ModelConfigParser.RawTensor> inputs(List<ModelInput> inputs) {
    List<ModelConfigParser.RawTensor> result = new ArrayList<>();
    for (ModelInput input : inputs) {
      result.add(new ModelConfigParser.RawTensor(emptyToNull(input.getName()), dataType(input.getDataType()),
          input.getDimsCount() == 0 ? null : input.getDimsList()));
    }
    return result;
  }

  private static List<ModelConfigParser.RawTensor> outputs(List<ModelOutput> outputs) {
    List<ModelConfigParser.RawTensor> result = new ArrayList<>();
    for (ModelOutput output : outputs) {
      result.add(new ModelConfigParser.RawTensor(emptyToNull(output.getName()), dataType(output.getDataType()),
          output.getDimsCount() == 0 ? null : output.getDimsList()));
    }
    return result;
  }

  private static List<ModelConfigParser.RawInstanceGroup> instanceGroups(List<ModelInstanceGroup> groups) {
    List<ModelConfigParser.RawInstanceGroup> result = new ArrayList<>();
    for (ModelInstanceGroup group : groups) {
      // Triton's default kind is KIND_AUTO (its value 0) and its default count 1 (count 0 is "not given").
      result.add(new ModelConfigParser.RawInstanceGroup(emptyToNull(group.getName()),
          group.getCount() == 0 ? null : group.getCount(), group.getKind().name(), group.getGpusList()));
    }
    return result;
  }

  private static ModelConfigParser.RawVersionPolicy versionPolicy(ModelVersionPolicy policy) {
    return switch (policy.getPolicyChoiceCase()) {
      case LATEST -> new ModelConfigParser.RawVersionPolicy(new ModelConfigParser.RawLatest(
          policy.getLatest().getNumVersions() == 0 ? null : toInt("version_policy.latest.num_versions",
              Integer.toUnsignedLong(policy.getLatest().getNumVersions()))), null, null);
      case ALL -> new ModelConfigParser.RawVersionPolicy(null, Map.of(), null);
      case SPECIFIC -> new ModelConfigParser.RawVersionPolicy(null, null,
          new ModelConfigParser.RawSpecific(policy.getSpecific().getVersionsList()));
      case POLICYCHOICE_NOT_SET -> new ModelConfigParser.RawVersionPolicy(null, null, null);
    };
  }

  private static ModelConfigParser.RawDynamicBatching dynamicBatching(ModelDynamicBatching batching,
      String targetLatency) {
    Map<Integer, ModelConfigParser.RawQueuePolicy> levels = new LinkedHashMap<>();
    batching.getPriorityQueuePolicyMap().forEach((level, policy) -> levels.put(
        toInt("dynamic_batching.priority_queue_policy key", level),
        queuePolicy("dynamic_batching.priority_queue_policy." + Long.toUnsignedString(level), policy)));
    Long target = null;
    if (targetLatency != null) {
      try {
        target = Long.parseLong(targetLatency.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("parameters." + TARGET_LATENCY_PARAMETER
            + " must be a whole number of microseconds, got '" + targetLatency + "'");
      }
    }
    return new ModelConfigParser.RawDynamicBatching(
        batching.getPreferredBatchSizeList(),
        nonNegative("dynamic_batching.max_queue_delay_microseconds", batching.getMaxQueueDelayMicroseconds()),
        batching.getPreserveOrdering(),
        toInt("dynamic_batching.priority_levels", batching.getPriorityLevels()),
        toInt("dynamic_batching.default_priority_level", batching.getDefaultPriorityLevel()),
        batching.hasDefaultQueuePolicy()
            ? queuePolicy("dynamic_batching.default_queue_policy", batching.getDefaultQueuePolicy()) : null,
        levels,
        target);
  }

  private static ModelConfigParser.RawQueuePolicy queuePolicy(String where, ModelQueuePolicy policy) {
    return new ModelConfigParser.RawQueuePolicy(policy.getTimeoutAction().name(),
        nonNegative(where + ".default_timeout_microseconds", policy.getDefaultTimeoutMicroseconds()),
        policy.getAllowTimeoutOverride(),
        toInt(where + ".max_queue_size", Integer.toUnsignedLong(policy.getMaxQueueSize())));
  }

  private static List<ModelConfigParser.RawWarmup> warmup(List<ModelWarmup> samples) {
    List<ModelConfigParser.RawWarmup> result = new ArrayList<>();
    for (ModelWarmup sample : samples) {
      String name = emptyToNull(sample.getName());
      String where = "model_warmup" + (name == null ? "" : " '" + name + "'");
      Map<String, ModelConfigParser.RawWarmupInput> inputs = new LinkedHashMap<>();
      sample.getInputsMap().forEach((input, data) -> inputs.put(input, new ModelConfigParser.RawWarmupInput(
          dataType(data.getDataType()), data.getDimsCount() == 0 ? null : data.getDimsList(),
          data.getInputDataTypeCase() == ModelWarmup.Input.InputDataTypeCase.ZERO_DATA,
          data.getInputDataTypeCase() == ModelWarmup.Input.InputDataTypeCase.RANDOM_DATA)));
      // Triton: count 0 runs the sample once; batch_size 0 is "not given".
      result.add(new ModelConfigParser.RawWarmup(name,
          sample.getBatchSize() == 0 ? null : toInt(where + ": batch_size", Integer.toUnsignedLong(sample.getBatchSize())),
          sample.getCount() == 0 ? null : toInt(where + ": count", Integer.toUnsignedLong(sample.getCount())),
          inputs));
    }
    return result;
  }

  private static int toInt(String field, long unsigned) {
    if (unsigned < 0 || unsigned > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(field + " " + Long.toUnsignedString(unsigned) + " is too large");
    }
    return (int) unsigned;
  }

  private static long nonNegative(String field, long unsigned) {
    if (unsigned < 0) {
      throw new IllegalArgumentException(field + " " + Long.toUnsignedString(unsigned) + " is too large");
    }
    return unsigned;
  }

  /** The effective configuration as Triton's message (what the {@code ModelConfig} RPC answers). */
  public static dev.neutrino.gateway.grpc.proto.ModelConfig toProto(ModelConfig config) {
    dev.neutrino.gateway.grpc.proto.ModelConfig.Builder message = dev.neutrino.gateway.grpc.proto.ModelConfig
        .newBuilder()
        .setName(config.name())
        .setPlatform(config.platform())
        .setBackend(config.backend())
        .setVersionPolicy(versionPolicy(config.versionPolicy()))
        .setMaxBatchSize(config.maxBatchSize());
    if (config.defaultModelFilename() != null) {
      message.setDefaultModelFilename(config.defaultModelFilename());
    }
    for (TensorConfig input : config.inputs()) {
      ModelInput.Builder tensor = ModelInput.newBuilder()
          .setName(input.name())
          .setDataType(DataType.valueOf(input.dataType().configName()));
      for (long dim : input.dims()) {
        tensor.addDims(dim);
      }
      message.addInput(tensor);
    }
    for (TensorConfig output : config.outputs()) {
      ModelOutput.Builder tensor = ModelOutput.newBuilder()
          .setName(output.name())
          .setDataType(DataType.valueOf(output.dataType().configName()));
      for (long dim : output.dims()) {
        tensor.addDims(dim);
      }
      message.addOutput(tensor);
    }
    int index = 0;
    for (InstanceGroup group : config.instanceGroups()) {
      message.addInstanceGroup(ModelInstanceGroup.newBuilder()
          .setName(config.name() + "_" + index++)
          .setKind(ModelInstanceGroup.Kind.valueOf(group.kind().name()))
          .setCount(group.count())
          .addAllGpus(group.gpus()));
    }
    if (config.dynamicBatching() != null) {
      message.setDynamicBatching(dynamicBatching(config.dynamicBatching()));
      if (config.dynamicBatching().targetLatencyMicros() > 0) {
        message.putParameters(TARGET_LATENCY_PARAMETER, ModelParameter.newBuilder()
            .setStringValue(Long.toString(config.dynamicBatching().targetLatencyMicros())).build());
      }
    }
    for (Map.Entry<String, String> parameter : new TreeMap<>(config.parameters()).entrySet()) {
      message.putParameters(parameter.getKey(), ModelParameter.newBuilder().setStringValue(parameter.getValue()).build());
    }
    for (WarmupSample sample : config.warmup()) {
      ModelWarmup.Builder warmup = ModelWarmup.newBuilder()
          .setName(sample.name())
          .setBatchSize(sample.batchSize())
          .setCount(sample.count());
      sample.inputs().forEach((name, input) -> {
        ModelWarmup.Input.Builder data = ModelWarmup.Input.newBuilder()
            .setDataType(DataType.valueOf(input.dataType().configName()));
        for (long dim : input.dims()) {
          data.addDims(dim);
        }
        if (input.randomData()) {
          data.setRandomData(true);
        } else {
          data.setZeroData(true);
        }
        warmup.putInputs(name, data.build());
      });
      message.addModelWarmup(warmup);
    }
    if (config.responseCache()) {
      message.setResponseCache(ModelResponseCache.newBuilder().setEnable(true));
    }
    if (!config.optimization().isEmpty()) {
      message.setOptimization(optimization(config.optimization()));
    }
    if (config.isEnsemble()) {
      ModelEnsembling.Builder ensembling = ModelEnsembling.newBuilder();
      for (EnsembleConfig.Step step : config.ensemble().steps()) {
        ensembling.addStep(ModelEnsembling.Step.newBuilder()
            .setModelName(step.modelName())
            .setModelVersion(step.modelVersion())
            .putAllInputMap(step.inputMap())
            .putAllOutputMap(step.outputMap()));
      }
      message.setEnsembleScheduling(ensembling);
    }
    if (GENERATION_TASK.equals(config.parameters().getOrDefault(TASK_PARAMETER, "").trim().toLowerCase(Locale.ROOT))) {
      // A generative model answers ModelStreamInfer with a response per piece of text: Triton's decoupled mode.
      message.setModelTransactionPolicy(ModelTransactionPolicy.newBuilder().setDecoupled(true));
    }
    return message.build();
  }

  /**
   * The effective configuration in Triton's JSON form: proto field names ({@code max_batch_size}),
   * every field printed, 64-bit numbers as strings, as Triton prints it. It loads back unchanged as a
   * load request's {@code config}.
   */
  public static String toJson(ModelConfig config) {
    try {
      return PRINTER.print(toProto(config));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a model configuration that cannot be printed as JSON", e);
    }
  }

  /** Triton's {@code optimization} as the configuration wrote it (the accelerator parameters under Triton's names). */
  private static ModelOptimizationPolicy optimization(ModelConfig.Optimization optimization) {
    ModelOptimizationPolicy.Builder message = ModelOptimizationPolicy.newBuilder();
    if (!optimization.gpuExecutionAccelerators().isEmpty()) {
      ModelOptimizationPolicy.ExecutionAccelerators.Builder accelerators =
          ModelOptimizationPolicy.ExecutionAccelerators.newBuilder();
      for (GpuOptions.Accelerator accelerator : optimization.gpuExecutionAccelerators()) {
        accelerators.addGpuExecutionAccelerator(ModelOptimizationPolicy.ExecutionAccelerators.Accelerator.newBuilder()
            .setName(accelerator.name())
            .putAllParameters(new TreeMap<>(accelerator.parameters())));
      }
      message.setExecutionAccelerators(accelerators);
    }
    if (optimization.cuda()) {
      // graphs: true is refused when read (GpuOptions.fromTriton), so the section is Triton's defaults.
      message.setCuda(ModelOptimizationPolicy.Cuda.getDefaultInstance());
    }
    return message.build();
  }

  private static ModelVersionPolicy versionPolicy(VersionPolicy policy) {
    ModelVersionPolicy.Builder message = ModelVersionPolicy.newBuilder();
    if (policy instanceof VersionPolicy.Latest latest) {
      message.setLatest(ModelVersionPolicy.Latest.newBuilder().setNumVersions(latest.numVersions()));
    } else if (policy instanceof VersionPolicy.Specific specific) {
      message.setSpecific(ModelVersionPolicy.Specific.newBuilder()
          .addAllVersions(new TreeSet<>(specific.versions())));
    } else {
      message.setAll(ModelVersionPolicy.All.getDefaultInstance());
    }
    return message.build();
  }

  private static ModelDynamicBatching dynamicBatching(DynamicBatching batching) {
    ModelDynamicBatching.Builder message = ModelDynamicBatching.newBuilder()
        .addAllPreferredBatchSize(batching.preferredBatchSizes())
        .setMaxQueueDelayMicroseconds(batching.maxQueueDelayMicros())
        .setPreserveOrdering(batching.preserveOrdering())
        .setPriorityLevels(batching.priorityLevels())
        .setDefaultPriorityLevel(batching.defaultPriorityLevel())
        .setDefaultQueuePolicy(queuePolicy(batching.defaultQueuePolicy()));
    for (Map.Entry<Integer, QueuePolicy> level : batching.priorityQueuePolicy().entrySet()) {
      message.putPriorityQueuePolicy(level.getKey(), queuePolicy(level.getValue()));
    }
    return message.build();
  }

  private static ModelQueuePolicy queuePolicy(QueuePolicy policy) {
    return ModelQueuePolicy.newBuilder()
        .setTimeoutAction(ModelQueuePolicy.TimeoutAction.valueOf(policy.timeoutAction().name()))
        .setDefaultTimeoutMicroseconds(policy.defaultTimeoutMicros())
        .setAllowTimeoutOverride(policy.allowTimeoutOverride())
        .setMaxQueueSize(policy.maxQueueSize())
        .build();
  }
}
