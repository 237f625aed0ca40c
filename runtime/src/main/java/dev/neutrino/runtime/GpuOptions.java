package dev.neutrino.runtime;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How a model uses the GPU on ONNX Runtime: whether ORT's TensorRT execution provider runs it, and
 * the options of the TensorRT and CUDA providers, already in ORT's own option names.
 *
 * <p>{@link #fromTriton} reads Triton's spelling: {@code optimization.execution_accelerators
 * .gpu_execution_accelerator [{name: tensorrt, parameters: {...}}]} with the parameter names of
 * Triton's ONNX Runtime backend, and the CUDA provider's options from the model's
 * {@code parameters}. A name it does not know, or a value of the wrong form, is refused with a
 * message naming it, when the configuration is read, before any provider is tried.
 *
 * @param tensorrt run on ORT's TensorRT provider (CUDA taking the nodes TensorRT does not)
 * @param tensorrtOptions the TensorRT provider's options, by ORT's names ({@code trt_fp16_enable}, ...)
 * @param cudaOptions the CUDA provider's options, by ORT's names ({@code cudnn_conv_algo_search}, ...)
 */
public record GpuOptions(boolean tensorrt, Map<String, String> tensorrtOptions, Map<String, String> cudaOptions) {
  /** CUDA with ORT's defaults, no TensorRT. */
  public static final GpuOptions NONE = new GpuOptions(false, Map.of(), Map.of());
  /** Triton's name of the TensorRT accelerator. */
  public static final String TENSORRT_ACCELERATOR = "tensorrt";

  /** Triton's TensorRT accelerator parameters that ORT spells differently. */
  private static final Map<String, String> RENAMED_TENSORRT = Map.of(
      "max_workspace_size_bytes", "trt_max_workspace_size",
      "minimum_segment_size", "trt_min_subgraph_size",
      "int8_calibration_table_name", "trt_int8_calibration_table_name",
      "int8_use_native_calibration_table", "trt_int8_use_native_calibration_table");
  /** Triton's TensorRT accelerator parameters that ORT spells the same. */
  private static final Set<String> SAME_TENSORRT = Set.of(
      "trt_engine_cache_enable", "trt_engine_cache_path", "trt_timing_cache_enable", "trt_timing_cache_path",
      "trt_builder_optimization_level", "trt_max_partition_iterations", "trt_dla_enable", "trt_dla_core",
      "trt_layer_norm_fp32_fallback", "trt_sparsity_enable", "trt_force_sequential_engine_build",
      "trt_context_memory_sharing_enable", "trt_detailed_build_log", "trt_auxiliary_streams",
      "trt_profile_min_shapes", "trt_profile_opt_shapes", "trt_profile_max_shapes");
  private static final Set<String> BOOLEAN_TENSORRT = Set.of(
      "trt_engine_cache_enable", "trt_timing_cache_enable", "trt_dla_enable", "trt_layer_norm_fp32_fallback",
      "trt_sparsity_enable", "trt_force_sequential_engine_build", "trt_context_memory_sharing_enable",
      "trt_detailed_build_log", "trt_int8_use_native_calibration_table");
  private static final Set<String> NUMBER_TENSORRT = Set.of(
      "trt_max_workspace_size", "trt_min_subgraph_size", "trt_builder_optimization_level",
      "trt_max_partition_iterations", "trt_dla_core", "trt_auxiliary_streams");
  /** The model parameters (Triton's ONNX Runtime backend names) that configure the CUDA provider. */
  public static final Set<String> CUDA_PARAMETERS = Set.of(
      "cudnn_conv_algo_search", "gpu_mem_limit", "arena_extend_strategy", "do_copy_in_default_stream",
      "cudnn_conv_use_max_workspace");

  public GpuOptions {
    tensorrtOptions = Map.copyOf(Objects.requireNonNull(tensorrtOptions, "tensorrtOptions"));
    cudaOptions = Map.copyOf(Objects.requireNonNull(cudaOptions, "cudaOptions"));
    if (!tensorrt && !tensorrtOptions.isEmpty()) {
      throw new IllegalArgumentException("TensorRT options without the TensorRT accelerator: " + tensorrtOptions);
    }
  }

  /** One of Triton's {@code gpu_execution_accelerator} entries. */
  public record Accelerator(String name, Map<String, String> parameters) {
    public Accelerator {
      Objects.requireNonNull(name, "name");
      parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
    }
  }

  /**
   * Reads Triton's configuration.
   *
   * @param gpuAccelerators {@code optimization.execution_accelerators.gpu_execution_accelerator}; at
   *     most one, named {@value #TENSORRT_ACCELERATOR}
   * @param modelParameters the model's {@code parameters}; those in {@link #CUDA_PARAMETERS} configure
   *     the CUDA provider, the others are left alone
   * @param cudaGraphs {@code optimization.cuda.graphs}
   * @throws IllegalArgumentException naming the accelerator, parameter or value that is refused
   */
  public static GpuOptions fromTriton(
      List<Accelerator> gpuAccelerators, Map<String, String> modelParameters, boolean cudaGraphs) {
    if (cudaGraphs) {
      throw new IllegalArgumentException("optimization.cuda.graphs is not supported: ONNX Runtime runs CUDA graphs"
          + " only through I/O binding, which its Java API (1.23) does not expose");
    }
    Map<String, String> cuda = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : modelParameters.entrySet()) {
      if (CUDA_PARAMETERS.contains(e.getKey())) {
        cuda.put(e.getKey(), cudaValue(e.getKey(), e.getValue()));
      }
    }
    if (gpuAccelerators.size() > 1) {
      throw new IllegalArgumentException("gpu_execution_accelerator takes one entry, got " + gpuAccelerators.size());
    }
    if (gpuAccelerators.isEmpty()) {
      return new GpuOptions(false, Map.of(), cuda);
    }
    Accelerator accelerator = gpuAccelerators.get(0);
    if (!accelerator.name().equals(TENSORRT_ACCELERATOR)) {
      throw new IllegalArgumentException("gpu_execution_accelerator '" + accelerator.name()
          + "' is not supported; the ONNX Runtime backend knows '" + TENSORRT_ACCELERATOR + "'");
    }
    Map<String, String> trt = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : accelerator.parameters().entrySet()) {
      String key = e.getKey();
      String value = Objects.requireNonNullElse(e.getValue(), "").trim();
      if (key.equals("precision_mode")) {
        switch (value.toUpperCase(Locale.ROOT)) {
          case "FP32" -> {}
          case "FP16" -> trt.put("trt_fp16_enable", "1");
          case "INT8" -> trt.put("trt_int8_enable", "1");
          default -> throw new IllegalArgumentException(
              "tensorrt precision_mode must be FP32, FP16 or INT8, got '" + value + "'");
        }
        continue;
      }
      String ortName = RENAMED_TENSORRT.getOrDefault(key, SAME_TENSORRT.contains(key) ? key : null);
      if (ortName == null) {
        throw new IllegalArgumentException("tensorrt accelerator parameter '" + key + "' is not supported");
      }
      if (BOOLEAN_TENSORRT.contains(ortName)) {
        value = flag(key, value);
      } else if (NUMBER_TENSORRT.contains(ortName)) {
        number(key, value);
      } else if (value.isEmpty()) {
        throw new IllegalArgumentException("tensorrt accelerator parameter '" + key + "' is empty");
      }
      trt.put(ortName, value);
    }
    return new GpuOptions(true, trt, cuda);
  }

  private static String cudaValue(String key, String raw) {
    String value = Objects.requireNonNullElse(raw, "").trim();
    return switch (key) {
      // Triton's ORT backend takes 0, 1, 2; ORT's provider option takes the names.
      case "cudnn_conv_algo_search" -> switch (value.toUpperCase(Locale.ROOT)) {
        case "0", "EXHAUSTIVE" -> "EXHAUSTIVE";
        case "1", "HEURISTIC" -> "HEURISTIC";
        case "2", "DEFAULT" -> "DEFAULT";
        default -> throw new IllegalArgumentException(
            "parameters.cudnn_conv_algo_search must be 0 (EXHAUSTIVE), 1 (HEURISTIC) or 2 (DEFAULT), got '"
                + value + "'");
      };
      case "arena_extend_strategy" -> switch (value) {
        case "0", "kNextPowerOfTwo" -> "kNextPowerOfTwo";
        case "1", "kSameAsRequested" -> "kSameAsRequested";
        default -> throw new IllegalArgumentException(
            "parameters.arena_extend_strategy must be 0 (kNextPowerOfTwo) or 1 (kSameAsRequested), got '"
                + value + "'");
      };
      case "gpu_mem_limit" -> {
        number("parameters.gpu_mem_limit", value);
        yield value;
      }
      default -> flag("parameters." + key, value);
    };
  }

  private static String flag(String key, String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "1", "true" -> "1";
      case "0", "false" -> "0";
      default -> throw new IllegalArgumentException(key + " must be true or false, got '" + value + "'");
    };
  }

  private static void number(String key, String value) {
    try {
      if (Long.parseLong(value) >= 0) {
        return;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(key + " must be a non-negative integer, got '" + value + "'");
  }
}
