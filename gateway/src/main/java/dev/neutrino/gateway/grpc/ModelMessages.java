package dev.neutrino.gateway.grpc;

import dev.neutrino.gateway.grpc.proto.DataType;
import dev.neutrino.gateway.grpc.proto.InferBatchStatistics;
import dev.neutrino.gateway.grpc.proto.InferStatistics;
import dev.neutrino.gateway.grpc.proto.MemoryUsage;
import dev.neutrino.gateway.grpc.proto.ModelConfig;
import dev.neutrino.gateway.grpc.proto.ModelMetadataResponse;
import dev.neutrino.gateway.grpc.proto.ModelMetadataResponse.TensorMetadata;
import dev.neutrino.gateway.grpc.proto.ModelStatistics;
import dev.neutrino.gateway.grpc.proto.ModelStatisticsResponse;
import dev.neutrino.gateway.grpc.proto.StatisticDuration;
import dev.neutrino.repo.TritonConfigFormat;
import dev.neutrino.repo.TensorConfig;
import java.util.List;

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

  /** The configuration in Triton's {@code ModelConfig} message, as {@code /config} prints it. */
  static ModelConfig config(dev.neutrino.repo.ModelConfig config) {
    return TritonConfigFormat.toProto(config);
  }

  /** Triton's configuration enum for a datatype: TYPE_FP32, and TYPE_STRING for BYTES. */
  static DataType dataType(dev.neutrino.runtime.DataType type) {
    return DataType.valueOf(type.configName());
  }
}
