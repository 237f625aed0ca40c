package dev.neutrino.gateway.grpc;

import dev.neutrino.batching.DynamicBatching;
import dev.neutrino.batching.QueuePolicy;
import dev.neutrino.gateway.grpc.proto.DataType;
import dev.neutrino.gateway.grpc.proto.InferBatchStatistics;
import dev.neutrino.gateway.grpc.proto.InferStatistics;
import dev.neutrino.gateway.grpc.proto.MemoryUsage;
import dev.neutrino.gateway.grpc.proto.ModelConfig;
import dev.neutrino.gateway.grpc.proto.ModelDynamicBatching;
import dev.neutrino.gateway.grpc.proto.ModelEnsembling;
import dev.neutrino.gateway.grpc.proto.ModelInput;
import dev.neutrino.gateway.grpc.proto.ModelInstanceGroup;
import dev.neutrino.gateway.grpc.proto.ModelMetadataResponse;
import dev.neutrino.gateway.grpc.proto.ModelMetadataResponse.TensorMetadata;
import dev.neutrino.gateway.grpc.proto.ModelOutput;
import dev.neutrino.gateway.grpc.proto.ModelParameter;
import dev.neutrino.gateway.grpc.proto.ModelQueuePolicy;
import dev.neutrino.gateway.grpc.proto.ModelResponseCache;
import dev.neutrino.gateway.grpc.proto.ModelStatistics;
import dev.neutrino.gateway.grpc.proto.ModelStatisticsResponse;
import dev.neutrino.gateway.grpc.proto.StatisticDuration;
import dev.neutrino.gateway.grpc.proto.ModelVersionPolicy;
import dev.neutrino.repo.EnsembleConfig;
import dev.neutrino.repo.InstanceGroup;
import dev.neutrino.repo.TensorConfig;
import dev.neutrino.repo.VersionPolicy;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** A model's metadata, configuration and statistics as the protocol's messages. Stateless. */
final class ModelMessages {
  private ModelMessages() {}

  /** The statistics extension's answer (Triton's {@code ModelStatisticsResponse}). */
  static ModelStatisticsResponse statistics(List<dev.neutrino.gateway.metrics.ModelStatistics> models) {
    ModelStatisticsResponse.Builder response = ModelStatisticsResponse.newBuilder();
    for (dev.neutrino.gateway.metrics.ModelStatistics m : models) {
      dev.neutrino.gateway.metrics.ModelStatistics.InferStatistics s = m.inferenceStats();
      ModelStatistics.Builder model = ModelStatistics.newBuilder()
          .setName(m.name())
          .setVersion(m.version())
          .setLastInference(m.lastInferenceMillis())
          .setInferenceCount(m.inferenceCount())
          .setExecutionCount(m.executionCount())
          .setInferenceStats(InferStatistics.newBuilder()
              .setSuccess(duration(s.success()))
              .setFail(duration(s.fail()))
              .setQueue(duration(s.queue()))
              .setComputeInput(duration(s.computeInput()))
              .setComputeInfer(duration(s.computeInfer()))
              .setComputeOutput(duration(s.computeOutput()))
              .setCacheHit(duration(s.cacheHit()))
              .setCacheMiss(duration(s.cacheMiss())));
      for (dev.neutrino.gateway.metrics.ModelStatistics.BatchStatistics b : m.batchStats()) {
        model.addBatchStats(InferBatchStatistics.newBuilder()
            .setBatchSize(b.batchSize())
            .setComputeInput(duration(b.computeInput()))
            .setComputeInfer(duration(b.computeInfer()))
            .setComputeOutput(duration(b.computeOutput())));
      }
      for (dev.neutrino.gateway.metrics.ModelStatistics.MemoryUsage u : m.memoryUsage()) {
        model.addMemoryUsage(MemoryUsage.newBuilder().setType(u.type()).setId(u.id()).setByteSize(u.byteSize()));
      }
      response.addModelStats(model);
    }
    return response.build();
  }

  private static StatisticDuration duration(dev.neutrino.gateway.metrics.ModelStatistics.Duration d) {
    return StatisticDuration.newBuilder().setCount(d.count()).setNs(d.ns()).build();
  }

  static ModelMetadataResponse metadata(dev.neutrino.repo.ModelConfig config, List<String> versions) {
    ModelMetadataResponse.Builder metadata = ModelMetadataResponse.newBuilder()
        .setName(config.name())
        .addAllVersions(versions)
        .setPlatform(config.platform());
    for (TensorConfig input : config.inputs()) {
      metadata.addInputs(tensorMetadata(input, config.batched()));
    }
    for (TensorConfig output : config.outputs()) {
      metadata.addOutputs(tensorMetadata(output, config.batched()));
    }
    return metadata.build();
  }

  private static TensorMetadata tensorMetadata(TensorConfig tensor, boolean batched) {
    TensorMetadata.Builder metadata = TensorMetadata.newBuilder()
        .setName(tensor.name())
        .setDatatype(tensor.dataType().wireName());
    for (long dim : tensor.fullShape(batched)) {
      metadata.addShape(dim);
    }
    return metadata.build();
  }

  /**
   * The configuration in Triton's {@code ModelConfig} message: what the HTTP form shows, plus the
   * version policy and response cache setting.
   */
  static ModelConfig config(dev.neutrino.repo.ModelConfig config) {
    ModelConfig.Builder message = ModelConfig.newBuilder()
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
          .setDataType(dataType(input.dataType()));
      for (long dim : input.dims()) {
        tensor.addDims(dim);
      }
      message.addInput(tensor);
    }
    for (TensorConfig output : config.outputs()) {
      ModelOutput.Builder tensor = ModelOutput.newBuilder()
          .setName(output.name())
          .setDataType(dataType(output.dataType()));
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
    }
    for (Map.Entry<String, String> parameter : config.parameters().entrySet()) {
      message.putParameters(parameter.getKey(), ModelParameter.newBuilder().setStringValue(parameter.getValue()).build());
    }
    if (config.responseCache()) {
      message.setResponseCache(ModelResponseCache.newBuilder().setEnable(true));
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

  /** Triton's configuration enum for a datatype: TYPE_FP32, and TYPE_STRING for BYTES. */
  static DataType dataType(dev.neutrino.runtime.DataType type) {
    return DataType.valueOf(type.configName());
  }
}
