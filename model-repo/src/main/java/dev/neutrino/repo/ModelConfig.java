package dev.neutrino.repo;

import dev.neutrino.batching.DynamicBatching;
import dev.neutrino.runtime.GpuOptions;
import dev.neutrino.runtime.OversizedBatch;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's configuration, with Triton's field names: read from {@code config.yaml} where present,
 * completed from the model file itself where not. Immutable and validated on construction.
 *
 * @param name the model's name (its folder)
 * @param platform Triton's platform string, for example {@code onnxruntime_onnx}
 * @param backend the backend that runs it, for example {@code onnxruntime}
 * @param maxBatchSize rows per request and per batch; 0 means the model does not batch
 * @param inputs inputs without the batch dimension when batching
 * @param outputs outputs likewise
 * @param instanceGroups where and how many instances run
 * @param defaultModelFilename the file inside each version folder
 * @param parameters backend parameters, for example {@code intra_op_thread_count}
 * @param dynamicBatching Triton's {@code dynamic_batching} (with Neutrino's
 *     {@code target_latency_microseconds} inside it), or null when the model has none: then each
 *     request runs alone, as it comes
 * @param versionPolicy which version folders are served
 * @param warmup Triton's {@code model_warmup}; empty means one zero-filled run per preferred batch
 *     size (or one row) on every instance
 * @param responseCache whether responses are cached ({@code response_cache { enable: true }})
 * @param ensemble the steps of an ensemble ({@code platform: ensemble}), or null for a model run by
 *     a backend; an ensemble has no instances
 * @param gpu how GPU instances use ONNX Runtime's CUDA and TensorRT providers (Triton's
 *     {@code optimization.execution_accelerators} and the CUDA provider's {@code parameters})
 */
public record ModelConfig(
    String name,
    String platform,
    String backend,
    int maxBatchSize,
    List<TensorConfig> inputs,
    List<TensorConfig> outputs,
    List<InstanceGroup> instanceGroups,
    String defaultModelFilename,
    Map<String, String> parameters,
    DynamicBatching dynamicBatching,
    VersionPolicy versionPolicy,
    List<WarmupSample> warmup,
    boolean responseCache,
    EnsembleConfig ensemble,
    GpuOptions gpu) {

  public ModelConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(backend, "backend");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    instanceGroups = instanceGroups.isEmpty() && ensemble == null ? List.of(InstanceGroup.DEFAULT)
        : List.copyOf(instanceGroups);
    parameters = Map.copyOf(parameters);
    versionPolicy = versionPolicy == null ? VersionPolicy.DEFAULT : versionPolicy;
    warmup = List.copyOf(warmup);
    gpu = gpu == null ? GpuOptions.NONE : gpu;
    if (maxBatchSize < 0) {
      throw new IllegalArgumentException("max_batch_size must be >= 0, got " + maxBatchSize);
    }
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("model '" + name + "' declares no inputs");
    }
    if (outputs.isEmpty()) {
      throw new IllegalArgumentException("model '" + name + "' declares no outputs");
    }
    if (dynamicBatching != null) {
      dynamicBatching.checkMaxBatchSize(maxBatchSize);
    }
    OversizedBatch.fromParameters(parameters);
  }

  /** What a batch larger than the engine's profile maximum gets: {@code parameters.engine_oversized_batch}. */
  public OversizedBatch oversizedBatch() {
    return OversizedBatch.fromParameters(parameters);
  }

  /** This configuration with another {@code max_batch_size} (the effective one, once the engine is known). */
  public ModelConfig withMaxBatchSize(int newMaxBatchSize) {
    return new ModelConfig(name, platform, backend, newMaxBatchSize, inputs, outputs, instanceGroups,
        defaultModelFilename, parameters, dynamicBatching, versionPolicy, warmup, responseCache, ensemble, gpu);
  }

  /** A configuration without GPU options: an ensemble's, or a model's on the CPU. */
  public ModelConfig(String name, String platform, String backend, int maxBatchSize, List<TensorConfig> inputs,
      List<TensorConfig> outputs, List<InstanceGroup> instanceGroups, String defaultModelFilename,
      Map<String, String> parameters, DynamicBatching dynamicBatching, VersionPolicy versionPolicy,
      List<WarmupSample> warmup, boolean responseCache, EnsembleConfig ensemble) {
    this(name, platform, backend, maxBatchSize, inputs, outputs, instanceGroups, defaultModelFilename, parameters,
        dynamicBatching, versionPolicy, warmup, responseCache, ensemble, GpuOptions.NONE);
  }

  /** A model run by a backend (not an ensemble), without GPU options. */
  public ModelConfig(String name, String platform, String backend, int maxBatchSize, List<TensorConfig> inputs,
      List<TensorConfig> outputs, List<InstanceGroup> instanceGroups, String defaultModelFilename,
      Map<String, String> parameters, DynamicBatching dynamicBatching, VersionPolicy versionPolicy,
      List<WarmupSample> warmup, boolean responseCache) {
    this(name, platform, backend, maxBatchSize, inputs, outputs, instanceGroups, defaultModelFilename, parameters,
        dynamicBatching, versionPolicy, warmup, responseCache, null, GpuOptions.NONE);
  }

  /** A configuration with the default version policy, warm-up and no response cache. */
  public ModelConfig(String name, String platform, String backend, int maxBatchSize, List<TensorConfig> inputs,
      List<TensorConfig> outputs, List<InstanceGroup> instanceGroups, String defaultModelFilename,
      Map<String, String> parameters, DynamicBatching dynamicBatching) {
    this(name, platform, backend, maxBatchSize, inputs, outputs, instanceGroups, defaultModelFilename, parameters,
        dynamicBatching, VersionPolicy.DEFAULT, List.of(), false);
  }

  /** A configuration without {@code dynamic_batching}. */
  public ModelConfig(String name, String platform, String backend, int maxBatchSize, List<TensorConfig> inputs,
      List<TensorConfig> outputs, List<InstanceGroup> instanceGroups, String defaultModelFilename,
      Map<String, String> parameters) {
    this(name, platform, backend, maxBatchSize, inputs, outputs, instanceGroups, defaultModelFilename, parameters,
        null);
  }

  /** Whether this is an ensemble: its steps run other models, it has no instances of its own. */
  public boolean isEnsemble() {
    return ensemble != null;
  }

  public boolean batched() {
    return maxBatchSize > 0;
  }

  /** Whether requests are batched dynamically (the model has {@code dynamic_batching}). */
  public boolean dynamicallyBatched() {
    return dynamicBatching != null;
  }

  public int instanceCount() {
    return instanceGroups.stream().mapToInt(InstanceGroup::instances).sum();
  }

  public TensorConfig input(String inputName) {
    for (TensorConfig input : inputs) {
      if (input.name().equals(inputName)) {
        return input;
      }
    }
    return null;
  }

  public TensorConfig output(String outputName) {
    for (TensorConfig output : outputs) {
      if (output.name().equals(outputName)) {
        return output;
      }
    }
    return null;
  }
}
