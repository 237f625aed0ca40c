package dev.neutrino.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GpuOptionsTest {

  private static GpuOptions tensorrt(Map<String, String> parameters) {
    return GpuOptions.fromTriton(List.of(new GpuOptions.Accelerator("tensorrt", parameters)), Map.of(), false);
  }

  @Test
  void noAcceleratorMeansCudaWithItsDefaults() {
    GpuOptions options = GpuOptions.fromTriton(List.of(), Map.of("intra_op_thread_count", "2"), false);
    assertFalse(options.tensorrt());
    assertEquals(Map.of(), options.tensorrtOptions());
    assertEquals(Map.of(), options.cudaOptions());
  }

  @Test
  void tritonsTensorRtParametersBecomeOrtsProviderOptions() {
    Map<String, String> parameters = new LinkedHashMap<>();
    parameters.put("precision_mode", "FP16");
    parameters.put("max_workspace_size_bytes", "1073741824");
    parameters.put("trt_engine_cache_enable", "true");
    parameters.put("trt_engine_cache_path", "/var/cache/trt");
    parameters.put("minimum_segment_size", "3");
    parameters.put("trt_timing_cache_enable", "1");
    parameters.put("trt_builder_optimization_level", "5");
    parameters.put("trt_profile_min_shapes", "x:1x4");
    GpuOptions options = tensorrt(parameters);
    assertTrue(options.tensorrt());
    assertEquals(Map.of(
        "trt_fp16_enable", "1",
        "trt_max_workspace_size", "1073741824",
        "trt_engine_cache_enable", "1",
        "trt_engine_cache_path", "/var/cache/trt",
        "trt_min_subgraph_size", "3",
        "trt_timing_cache_enable", "1",
        "trt_builder_optimization_level", "5",
        "trt_profile_min_shapes", "x:1x4"), options.tensorrtOptions());
  }

  @ParameterizedTest
  @CsvSource({"FP32,", "fp16,trt_fp16_enable", "INT8,trt_int8_enable"})
  void precisionModeSelectsTheKernels(String mode, String flag) {
    GpuOptions options = tensorrt(Map.of("precision_mode", mode));
    assertEquals(flag == null ? Map.of() : Map.of(flag, "1"), options.tensorrtOptions());
  }

  @Test
  void int8CalibrationParametersKeepTritonsMeaning() {
    GpuOptions options = tensorrt(Map.of("precision_mode", "INT8", "int8_calibration_table_name", "calib.flatbuffers",
        "int8_use_native_calibration_table", "false"));
    assertEquals(Map.of("trt_int8_enable", "1", "trt_int8_calibration_table_name", "calib.flatbuffers",
        "trt_int8_use_native_calibration_table", "0"), options.tensorrtOptions());
  }

  @Test
  void cudaParametersComeFromTheModelsParameters() {
    GpuOptions options = GpuOptions.fromTriton(List.of(), Map.of(
        "cudnn_conv_algo_search", "1",
        "gpu_mem_limit", "4294967296",
        "arena_extend_strategy", "1",
        "do_copy_in_default_stream", "true",
        "cudnn_conv_use_max_workspace", "0",
        "intra_op_thread_count", "1"), false);
    assertEquals(Map.of(
        "cudnn_conv_algo_search", "HEURISTIC",
        "gpu_mem_limit", "4294967296",
        "arena_extend_strategy", "kSameAsRequested",
        "do_copy_in_default_stream", "1",
        "cudnn_conv_use_max_workspace", "0"), options.cudaOptions());
  }

  @Test
  void refusalsNameTheParameterAndTheValue() {
    assertMessage("tensorrt accelerator parameter 'trt_made_up' is not supported",
        () -> tensorrt(Map.of("trt_made_up", "1")));
    assertMessage("tensorrt precision_mode must be FP32, FP16 or INT8, got 'FP8'",
        () -> tensorrt(Map.of("precision_mode", "FP8")));
    assertMessage("max_workspace_size_bytes must be a non-negative integer, got 'lots'",
        () -> tensorrt(Map.of("max_workspace_size_bytes", "lots")));
    assertMessage("trt_engine_cache_enable must be true or false, got 'yes please'",
        () -> tensorrt(Map.of("trt_engine_cache_enable", "yes please")));
    assertMessage("tensorrt accelerator parameter 'trt_engine_cache_path' is empty",
        () -> tensorrt(Map.of("trt_engine_cache_path", " ")));
    assertMessage("gpu_execution_accelerator 'openvino' is not supported; the ONNX Runtime backend knows 'tensorrt'",
        () -> GpuOptions.fromTriton(List.of(new GpuOptions.Accelerator("openvino", Map.of())), Map.of(), false));
    assertMessage("gpu_execution_accelerator takes one entry, got 2", () -> GpuOptions.fromTriton(List.of(
        new GpuOptions.Accelerator("tensorrt", Map.of()), new GpuOptions.Accelerator("tensorrt", Map.of())),
        Map.of(), false));
    assertMessage("parameters.cudnn_conv_algo_search must be 0 (EXHAUSTIVE), 1 (HEURISTIC) or 2 (DEFAULT), got '7'",
        () -> GpuOptions.fromTriton(List.of(), Map.of("cudnn_conv_algo_search", "7"), false));
    assertMessage("parameters.gpu_mem_limit must be a non-negative integer, got '-1'",
        () -> GpuOptions.fromTriton(List.of(), Map.of("gpu_mem_limit", "-1"), false));
  }

  @Test
  void cudaGraphsAreRefusedBecauseOrtJavaHasNoIoBinding() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GpuOptions.fromTriton(List.of(), Map.of(), true));
    assertTrue(e.getMessage().startsWith("optimization.cuda.graphs is not supported"), e.getMessage());
    assertTrue(e.getMessage().contains("I/O binding"), e.getMessage());
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
  }
}
