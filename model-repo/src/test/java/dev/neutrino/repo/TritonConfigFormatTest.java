package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.batching.DynamicBatching;
import dev.neutrino.batching.QueuePolicy;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.TensorSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** config.pbtxt and Triton's JSON form, read into what the loader completes, and printed back. */
class TritonConfigFormatTest {
  private static final List<TensorSpec> INPUTS = List.of(
      new TensorSpec("INPUT0", DataType.INT32, new long[] {-1, 16}),
      new TensorSpec("INPUT1", DataType.INT32, new long[] {-1, 16}));
  private static final List<TensorSpec> OUTPUTS = List.of(
      new TensorSpec("OUTPUT0", DataType.INT32, new long[] {-1, 16}),
      new TensorSpec("OUTPUT1", DataType.INT32, new long[] {-1, 16}));

  /** Triton's quick-start {@code simple}, as its documentation writes it (on ONNX Runtime). */
  static final String SIMPLE = """
      name: "simple"
      platform: "onnxruntime_onnx"
      max_batch_size: 8
      input [
        {
          name: "INPUT0"
          data_type: TYPE_INT32
          dims: [ 16 ]
        },
        {
          name: "INPUT1"
          data_type: TYPE_INT32
          dims: [ 16 ]
        }
      ]
      output [
        {
          name: "OUTPUT0"
          data_type: TYPE_INT32
          dims: [ 16 ]
        },
        {
          name: "OUTPUT1"
          data_type: TYPE_INT32
          dims: [ 16 ]
        }
      ]
      """;

  private static ModelConfig complete(ModelConfigParser.Raw raw) {
    return ModelConfigParser.complete("simple", raw, "onnxruntime_onnx", "onnxruntime", "model.onnx", INPUTS,
        OUTPUTS);
  }

  @Test
  void readsTheQuickStartConfigAndAddsTheDynamicBatcher() {
    ModelConfig config = complete(TritonConfigFormat.parseText(SIMPLE));
    assertEquals(8, config.maxBatchSize());
    assertEquals(new TensorConfig("INPUT1", DataType.INT32, new long[] {16}), config.inputs().get(1));
    assertEquals(List.of("OUTPUT0", "OUTPUT1"), config.outputs().stream().map(TensorConfig::name).toList());
    assertEquals(DynamicBatching.defaults(), config.dynamicBatching());
  }

  @Test
  void readsDynamicBatchingWithPrioritiesAndQueuePolicies() {
    ModelConfig config = complete(TritonConfigFormat.parseText(SIMPLE + """
        dynamic_batching {
          preferred_batch_size: [ 4, 8 ]
          max_queue_delay_microseconds: 100
          priority_levels: 2
          default_priority_level: 2
          default_queue_policy { max_queue_size: 64 }
          priority_queue_policy {
            key: 1
            value: {
              timeout_action: DELAY
              default_timeout_microseconds: 20000
              allow_timeout_override: true
            }
          }
        }
        parameters { key: "target_latency_microseconds" value: { string_value: "5000" } }
        instance_group [ { count: 2, kind: KIND_CPU } ]
        version_policy: { specific: { versions: [ 1, 3 ] } }
        response_cache { enable: true }
        """));
    DynamicBatching batching = config.dynamicBatching();
    assertEquals(List.of(4, 8), batching.preferredBatchSizes());
    assertEquals(100, batching.maxQueueDelayMicros());
    assertEquals(2, batching.priorityLevels());
    assertEquals(2, batching.defaultPriorityLevel());
    assertEquals(QueuePolicy.DEFAULT.withMaxQueueSize(64), batching.defaultQueuePolicy());
    assertEquals(new QueuePolicy(QueuePolicy.TimeoutAction.DELAY, 20000, true, 0), batching.priorityQueuePolicy().get(1));
    assertEquals(5000, batching.targetLatencyMicros());
    assertEquals(Map.of(), config.parameters(), "the latency target is not a backend parameter");
    assertEquals(List.of(new InstanceGroup(2, InstanceGroup.Kind.KIND_CPU, List.of())), config.instanceGroups());
    assertEquals(new VersionPolicy.Specific(Set.of(1L, 3L)), config.versionPolicy());
    assertTrue(config.responseCache());
  }

  @Test
  void readsWarmup() {
    ModelConfig config = complete(TritonConfigFormat.parseText(SIMPLE + """
        model_warmup [
          {
            name: "zeros"
            batch_size: 2
            count: 3
            inputs { key: "INPUT0" value: { data_type: TYPE_INT32 dims: [ 16 ] zero_data: true } }
            inputs { key: "INPUT1" value: { data_type: TYPE_INT32 dims: [ 16 ] random_data: true } }
          }
        ]
        """));
    WarmupSample sample = config.warmup().get(0);
    assertEquals("zeros", sample.name());
    assertEquals(2, sample.batchSize());
    assertEquals(3, sample.count());
    assertTrue(sample.inputs().get("INPUT1").randomData());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "sequence_batching { max_sequence_idle_microseconds: 5000000 }|sequence_batching is not supported",
      "ensemble_scheduling { step [ { model_name: \"a\" model_namespace: \"n\" } ] }"
          + "|ensemble_scheduling.step.model_namespace is not supported",
      "optimization { graph { level: 1 } }|optimization.graph is not supported",
      "model_transaction_policy { decoupled: true }|model_transaction_policy.decoupled is not supported",
      "instance_group [ { count: 1 rate_limiter { priority: 2 } } ]|instance_group.rate_limiter is not supported",
      "batch_input [ { kind: BATCH_ELEMENT_COUNT } ]|batch_input is not supported",
      "metric_tags { key: \"team\" value: \"x\" }|metric_tags is not supported",
      "model_warmup [ { inputs { key: \"INPUT0\" value: { input_data_file: \"raw\" } } } ]"
          + "|model_warmup.inputs.value.input_data_file is not supported",
  })
  void refusesWhatItDoesNotHonourByName(String field, String message) {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> TritonConfigFormat.parseText(SIMPLE + field));
    assertEquals(message, refused.getMessage());
  }

  @Test
  void readsAnEnsembleAsTritonsDocumentationWritesIt() {
    ModelConfigParser.Raw raw = TritonConfigFormat.parseText("""
        name: "pipeline"
        platform: "ensemble"
        max_batch_size: 8
        input [ { name: "IN", data_type: TYPE_INT32, dims: [ 16 ] } ]
        output [ { name: "OUT", data_type: TYPE_INT32, dims: [ 16 ] } ]
        ensemble_scheduling {
          step [
            {
              model_name: "simple"
              model_version: -1
              input_map { key: "INPUT0" value: "IN" }
              input_map { key: "INPUT1" value: "IN" }
              output_map { key: "OUTPUT0" value: "OUT" }
            }
          ]
        }
        """);
    assertEquals("ensemble", raw.platform());
    ModelConfigParser.RawStep step = raw.ensembleScheduling().step().get(0);
    assertEquals("simple", step.modelName());
    assertEquals(-1L, step.modelVersion());
    assertEquals(Map.of("INPUT0", "IN", "INPUT1", "IN"), step.inputMap());
    assertEquals(Map.of("OUTPUT0", "OUT"), step.outputMap());
  }

  @Test
  void refusesAnInputFieldNamingIt() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> TritonConfigFormat.parseText("input [ { name: \"INPUT0\" reshape: { shape: [ 4, 4 ] } } ]"));
    assertEquals("input.reshape is not supported", refused.getMessage());
  }

  @Test
  void acceptsTritonsDefaultPinnedMemory() {
    ModelConfigParser.Raw raw = TritonConfigFormat.parseText(SIMPLE
        + "optimization { input_pinned_memory { enable: true } output_pinned_memory { enable: true } }");
    assertEquals(8, raw.maxBatchSize());
  }

  @Test
  void readsTheTensorRtAcceleratorAsTritonsOnnxRuntimeBackendDocumentsIt() {
    ModelConfigParser.Raw raw = TritonConfigFormat.parseText(SIMPLE
        + "optimization { execution_accelerators { gpu_execution_accelerator : [ {\n"
        + "  name : \"tensorrt\"\n"
        + "  parameters { key: \"precision_mode\" value: \"FP16\" }\n"
        + "  parameters { key: \"max_workspace_size_bytes\" value: \"1073741824\" } } ] } }");
    ModelConfigParser.RawAccelerator accelerator =
        raw.optimization().executionAccelerators().gpuExecutionAccelerator().get(0);
    assertEquals("tensorrt", accelerator.name());
    assertEquals(Map.of("precision_mode", "FP16", "max_workspace_size_bytes", "1073741824"),
        accelerator.parameters());
  }

  @Test
  void aGenerativeModelsDecoupledPolicyReadsBack() {
    ModelConfigParser.Raw raw = TritonConfigFormat.parseText(SIMPLE
        + "model_transaction_policy { decoupled: true }\n"
        + "parameters { key: \"task\" value: { string_value: \"generation\" } }");
    assertEquals("generation", raw.parameters().get("task"));
  }

  @Test
  void aSyntaxErrorNamesWhereItIs() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> TritonConfigFormat.parseText("max_batch_size: 8\nmax_batch: 4\n"));
    assertTrue(refused.getMessage().contains("2:1"), refused.getMessage());
    assertTrue(refused.getMessage().contains("max_batch"), refused.getMessage());
  }

  @Test
  void aConfigurationContradictingTheModelNamesTheField() {
    IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> complete(
        TritonConfigFormat.parseText(SIMPLE.replaceFirst("TYPE_INT32", "TYPE_FP32"))));
    assertEquals("input 'INPUT0': data_type TYPE_FP32 does not match the model's TYPE_INT32", type.getMessage());
    IllegalArgumentException dims = assertThrows(IllegalArgumentException.class, () -> complete(
        TritonConfigFormat.parseText(SIMPLE.replaceFirst("16", "15"))));
    assertEquals("input 'INPUT0': dims [15] do not match the model's [16]", dims.getMessage());
    IllegalArgumentException name = assertThrows(IllegalArgumentException.class, () -> complete(
        TritonConfigFormat.parseText(SIMPLE.replaceFirst("OUTPUT1", "OUTPUT9"))));
    assertTrue(name.getMessage().startsWith("output 'OUTPUT9' is not in the model"), name.getMessage());
  }

  @Test
  void theJsonFormPrintsTritonsNamesAndReadsBackTheSameConfiguration() {
    ModelConfig config = complete(TritonConfigFormat.parseText(SIMPLE + """
        dynamic_batching { preferred_batch_size: [ 4 ] priority_levels: 2 default_priority_level: 1
          priority_queue_policy { key: 2 value: { max_queue_size: 3 } } }
        parameters { key: "target_latency_microseconds" value: { string_value: "5000" } }
        version_policy: { latest: { num_versions: 2 } }
        model_warmup [ { name: "w" batch_size: 2 inputs { key: "INPUT0" value: { data_type: TYPE_INT32 dims: [ 16 ] random_data: true } } } ]
        """));
    String json = TritonConfigFormat.toJson(config);
    assertTrue(json.contains("\"max_batch_size\": 8"), json);
    assertTrue(json.contains("\"data_type\": \"TYPE_INT32\""), json);
    assertTrue(json.contains("\"sequence_batching\"") == false, json);
    ModelConfig again = complete(TritonConfigFormat.parseJson(json));
    assertEquals(config, again);
  }

  @Test
  void unknownJsonFieldsAreRefused() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> TritonConfigFormat.parseJson("{\"max_batch_size\": 2, \"max_batch\": 3}"));
    assertTrue(refused.getMessage().contains("max_batch"), refused.getMessage());
    assertNull(TritonConfigFormat.parseJson("{\"max_batch_size\": 0}").maxBatchSize());
  }
}
