package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.batching.DynamicBatching;
import dev.neutrino.batching.QueuePolicy;
import dev.neutrino.repo.examples.ExampleModels;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.OversizedBatch;
import dev.neutrino.runtime.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ModelConfigParserTest {
  private static final List<TensorSpec> INPUTS = List.of(
      new TensorSpec("INPUT0", DataType.INT32, new long[] {-1, 16}),
      new TensorSpec("INPUT1", DataType.INT32, new long[] {-1, 16}));
  private static final List<TensorSpec> OUTPUTS = List.of(new TensorSpec("OUTPUT0", DataType.INT32, new long[] {-1, 16}));

  private static ModelConfig complete(String yaml) {
    return ModelConfigParser.complete("simple", ModelConfigParser.parse(yaml), "onnxruntime_onnx", "onnxruntime",
        "model.onnx", INPUTS, OUTPUTS);
  }

  @Test
  void readsTritonFieldNames() {
    ModelConfig config = complete("""
        max_batch_size: 8
        input:
          - name: INPUT0
            data_type: TYPE_INT32
            dims: [16]
          - name: INPUT1
            data_type: TYPE_INT32
            dims: [16]
        instance_group:
          - count: 2
            kind: KIND_CPU
        parameters:
          intra_op_thread_count: "1"
        """);
    assertEquals(8, config.maxBatchSize());
    assertEquals(DataType.INT32, config.input("INPUT0").dataType());
    assertArrayEquals(new long[] {16}, config.input("INPUT1").dims());
    assertEquals(2, config.instanceCount());
    assertEquals("1", config.parameters().get("intra_op_thread_count"));
    assertEquals("OUTPUT0", config.outputs().get(0).name(), "outputs completed from the model");
  }

  @Test
  void engineOversizedBatchIsReadFromTheParametersAndABadValueIsRefused() {
    assertEquals(OversizedBatch.SPLIT, complete("max_batch_size: 8").oversizedBatch());
    ModelConfig refuse = complete("max_batch_size: 64\nparameters:\n  engine_oversized_batch: refuse\n");
    assertEquals(OversizedBatch.REFUSE, refuse.oversizedBatch());
    ModelConfig lowered = refuse.withMaxBatchSize(8);
    assertEquals(8, lowered.maxBatchSize());
    assertEquals(refuse.parameters(), lowered.parameters());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> complete("parameters:\n  engine_oversized_batch: drop\n"));
    assertTrue(e.getMessage().contains("engine_oversized_batch"), e.getMessage());
  }

  @Test
  void loweringMaxBatchSizeBelowAPreferredBatchSizeIsAnError() {
    ModelConfig config = complete("max_batch_size: 64\ndynamic_batching:\n  preferred_batch_size: [32]\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config.withMaxBatchSize(8));
    assertTrue(e.getMessage().contains("32"), e.getMessage());
  }

  @Test
  void derivesEverythingFromTheModelWithoutAFile() {
    ModelConfig config = complete("");
    assertEquals(ModelConfigParser.DEFAULT_MAX_BATCH_SIZE, config.maxBatchSize());
    assertArrayEquals(new long[] {16}, config.input("INPUT0").dims());
    assertArrayEquals(new long[] {-1, 16}, config.input("INPUT0").fullShape(true));
    assertEquals(1, config.instanceCount());
  }

  @Test
  void modelWithoutBatchDimensionDoesNotBatch() {
    ModelConfig config = ModelConfigParser.complete("fixed", ModelConfigParser.Raw.EMPTY, "p", "b", "model.onnx",
        List.of(new TensorSpec("x", DataType.FP32, new long[] {3, 4})),
        List.of(new TensorSpec("y", DataType.FP32, new long[] {3, 4})));
    assertEquals(0, config.maxBatchSize());
    assertArrayEquals(new long[] {3, 4}, config.input("x").dims());
  }

  @Test
  void unknownKeyIsAnErrorNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> complete("max_batch_size: 8\nfoo: 1\n"));
    assertTrue(e.getMessage().contains("'foo'"), e.getMessage());
    IllegalArgumentException nested = assertThrows(IllegalArgumentException.class,
        () -> complete("input:\n  - name: INPUT0\n    shape: [16]\n"));
    assertTrue(nested.getMessage().contains("'shape'"), nested.getMessage());
  }

  @Test
  void contradictionsWithTheModelAreErrors() {
    assertThrows(IllegalArgumentException.class, () -> complete("input:\n  - name: INPUT0\n    data_type: TYPE_FP32\n"
        + "  - name: INPUT1\n"));
    assertThrows(IllegalArgumentException.class, () -> complete("input:\n  - name: NOPE\n"));
    assertThrows(IllegalArgumentException.class, () -> complete("max_batch_size: 8\ninput:\n  - name: INPUT0\n"
        + "    dims: [15]\n  - name: INPUT1\n"));
    IllegalArgumentException noBatchDim = assertThrows(IllegalArgumentException.class, () ->
        ModelConfigParser.complete("fixed", ModelConfigParser.parse("max_batch_size: 4"), "p", "b", "model.onnx",
            List.of(new TensorSpec("x", DataType.FP32, new long[] {3, 4})),
            List.of(new TensorSpec("y", DataType.FP32, new long[] {3, 4}))));
    assertTrue(noBatchDim.getMessage().contains("'x'"), noBatchDim.getMessage());
    assertThrows(IllegalArgumentException.class, () -> complete("instance_group:\n  - kind: KIND_TPU\n"));
    assertThrows(IllegalArgumentException.class, () -> complete("max_batch_size: -1\n"));
  }

  @Test
  void dataTypesAcceptBothSpellings() {
    assertEquals(DataType.FP32, DataType.fromName("TYPE_FP32"));
    assertEquals(DataType.FP32, DataType.fromName("FP32"));
    assertEquals(DataType.BYTES, DataType.fromName("TYPE_STRING"));
    assertEquals(null, DataType.fromName("TYPE_FP33"));
  }

  @Test
  void autoCompleteGivesABatchingModelTheDynamicBatcherWithDefaults() {
    ModelConfig config = complete("max_batch_size: 8\n");
    assertEquals(DynamicBatching.defaults(), config.dynamicBatching());
    assertEquals(DynamicBatching.defaults(), complete("").dynamicBatching());
    assertEquals(ModelConfigParser.DEFAULT_MAX_BATCH_SIZE, complete("").maxBatchSize());
  }

  @Test
  void oneRowBatchesGetNoBatcher() {
    assertNull(complete("max_batch_size: 1\n").dynamicBatching());
  }

  @Test
  void defaultMaxBatchSizeComesFromTheBackendConfig() {
    ModelConfig config = ModelConfigParser.complete("simple", ModelConfigParser.Raw.EMPTY, "onnxruntime_onnx",
        "onnxruntime", "model.onnx", INPUTS, OUTPUTS, new ConfigCompletion(true, 16));
    assertEquals(16, config.maxBatchSize());
    assertTrue(config.dynamicallyBatched());
    ModelConfig none = ModelConfigParser.complete("simple", ModelConfigParser.Raw.EMPTY, "onnxruntime_onnx",
        "onnxruntime", "model.onnx", INPUTS, OUTPUTS, new ConfigCompletion(true, 0));
    assertEquals(0, none.maxBatchSize());
    assertNull(none.dynamicBatching());
  }

  @Test
  void aConfigWritingTheBatchDimensionDoesNotBatch() {
    ModelConfig config = complete("input:\n  - {name: INPUT0, dims: [-1, 16]}\n  - {name: INPUT1, dims: [-1, 16]}\n");
    assertEquals(0, config.maxBatchSize());
    assertNull(config.dynamicBatching());
  }

  @Test
  void withAutoCompleteOffTheConfigurationIsUsedAsWritten() {
    String declared = """
        max_batch_size: 8
        input:
          - {name: INPUT0, data_type: TYPE_INT32, dims: [16]}
          - {name: INPUT1, data_type: TYPE_INT32, dims: [16]}
        output:
          - {name: OUTPUT0, data_type: TYPE_INT32, dims: [16]}
        """;
    ModelConfig config = ModelConfigParser.complete("simple", ModelConfigParser.parse(declared), "onnxruntime_onnx",
        "onnxruntime", "model.onnx", INPUTS, OUTPUTS, ConfigCompletion.STRICT);
    assertEquals(8, config.maxBatchSize());
    assertNull(config.dynamicBatching(), "no batcher added");
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> ModelConfigParser.complete(
        "simple", ModelConfigParser.Raw.EMPTY, "onnxruntime_onnx", "onnxruntime", "model.onnx", INPUTS, OUTPUTS,
        ConfigCompletion.STRICT));
    assertTrue(empty.getMessage().contains("declares no input; auto-complete is disabled"), empty.getMessage());
    IllegalArgumentException noDims = assertThrows(IllegalArgumentException.class, () -> ModelConfigParser.complete(
        "simple", ModelConfigParser.parse(declared.replace(", dims: [16]}\n  - {name: INPUT1", "}\n  - {name: INPUT1")),
        "onnxruntime_onnx", "onnxruntime", "model.onnx", INPUTS, OUTPUTS, ConfigCompletion.STRICT));
    assertEquals("input 'INPUT0' has no dims; auto-complete is disabled (--disable-auto-complete-config)",
        noDims.getMessage());
  }

  @Test
  void emptyDynamicBatchingTakesTritonsDefaults() {
    ModelConfig config = complete("max_batch_size: 8\ndynamic_batching: {}\n");
    assertTrue(config.dynamicallyBatched());
    assertEquals(DynamicBatching.defaults(), config.dynamicBatching());
  }

  @Test
  void readsDynamicBatchingWithTritonNamesAndTheLatencyTarget() {
    ModelConfig config = complete("""
        max_batch_size: 16
        dynamic_batching:
          preferred_batch_size: [8, 4, 16]
          max_queue_delay_microseconds: 250
          preserve_ordering: true
          priority_levels: 3
          default_priority_level: 2
          target_latency_microseconds: 5000
          default_queue_policy:
            max_queue_size: 64
          priority_queue_policy:
            1:
              timeout_action: DELAY
              default_timeout_microseconds: 20000
              allow_timeout_override: true
              max_queue_size: 8
        """);
    DynamicBatching batching = config.dynamicBatching();
    assertEquals(List.of(4, 8, 16), batching.preferredBatchSizes());
    assertEquals(250, batching.maxQueueDelayMicros());
    assertTrue(batching.preserveOrdering());
    assertEquals(3, batching.priorityLevels());
    assertEquals(2, batching.defaultPriorityLevel());
    assertEquals(5000, batching.targetLatencyMicros());
    assertEquals(new QueuePolicy(QueuePolicy.TimeoutAction.REJECT, 0, false, 64), batching.defaultQueuePolicy());
    assertEquals(Map.of(1, new QueuePolicy(QueuePolicy.TimeoutAction.DELAY, 20000, true, 8)),
        batching.priorityQueuePolicy());
    assertEquals(batching.defaultQueuePolicy(), batching.queuePolicy(3));
    assertEquals(2, batching.levelOf(0), "no priority: the default level");
    assertEquals(2, batching.levelOf(7), "out of range: the default level");
    assertEquals(1, batching.levelOf(1));
  }

  static List<Arguments> badDynamicBatching() {
    return List.of(
        Arguments.of("max_batch_size: 8\ndynamic_batching:\n  preferred_batch_size: [4, 16]\n", "16"),
        Arguments.of("max_batch_size: 8\ndynamic_batching:\n  max_queue_delay: 5\n", "'max_queue_delay'"),
        Arguments.of("max_batch_size: 8\ndynamic_batching:\n  default_queue_policy:\n    timeout_action: DROP\n",
            "DROP"),
        Arguments.of("max_batch_size: 8\ndynamic_batching:\n  priority_levels: 2\n", "default_priority_level"),
        Arguments.of("max_batch_size: 8\ndynamic_batching:\n  priority_levels: 2\n  default_priority_level: 3\n",
            "default_priority_level"),
        Arguments.of("max_batch_size: 8\ndynamic_batching:\n  priority_levels: 2\n  default_priority_level: 1\n"
            + "  priority_queue_policy:\n    3:\n      max_queue_size: 1\n", "priority_queue_policy"),
        Arguments.of("max_batch_size: 8\ndynamic_batching:\n  max_queue_delay_microseconds: -1\n",
            "max_queue_delay_microseconds"),
        Arguments.of("max_batch_size: 8\ndynamic_batching:\n  target_latency_microseconds: -5\n",
            "target_latency_microseconds"),
        Arguments.of("max_batch_size: 8\ndynamic_batching:\n  default_queue_policy:\n    max_queue_size: -2\n",
            "max_queue_size"),
        Arguments.of("max_batch_size: 0\ndynamic_batching: {}\n", "max_batch_size"));
  }

  @ParameterizedTest
  @MethodSource("badDynamicBatching")
  void badDynamicBatchingIsAnErrorNamingTheSetting(String yaml, String named) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> complete(yaml));
    assertTrue(e.getMessage().contains(named), e.getMessage());
  }

  @Test
  void exampleModelsBatchDynamically(@TempDir Path dir) throws IOException {
    ExampleModels.writeRepository(dir);
    ModelConfig recommender = ModelConfigParser.complete("recommender_mlp",
        ModelConfigParser.parse(Files.readString(dir.resolve("recommender_mlp/config.yaml"))),
        "onnxruntime_onnx", "onnxruntime", "model.onnx",
        List.of(new TensorSpec("features", DataType.FP32, new long[] {-1, 256})),
        List.of(new TensorSpec("score", DataType.FP32, new long[] {-1, 1})));
    assertEquals(64, recommender.maxBatchSize());
    assertTrue(recommender.dynamicallyBatched());
    assertFalse(recommender.dynamicBatching().preferredBatchSizes().isEmpty());
    assertEquals(0, recommender.dynamicBatching().maxQueueDelayMicros(), "a lone request never waits to be batched");
    ModelConfig encoder = ModelConfigParser.complete("text_encoder",
        ModelConfigParser.parse(Files.readString(dir.resolve("text_encoder/config.yaml"))),
        "onnxruntime_onnx", "onnxruntime", "model.onnx",
        List.of(new TensorSpec("input_ids", DataType.INT64, new long[] {-1, 128})),
        List.of(new TensorSpec("embedding", DataType.FP32, new long[] {-1, 384})));
    assertEquals(32, encoder.maxBatchSize());
    assertTrue(encoder.dynamicallyBatched());
    assertEquals(List.of(4), encoder.dynamicBatching().preferredBatchSizes(), "the encoder batches up to four queued requests");
    for (ModelConfig example : List.of(recommender, encoder)) {
      assertEquals(2, example.instanceCount(), example.name());
      assertEquals("adaptive", example.parameters().get("instance_layout"), example.name());
    }
  }

  @Test
  void readsTheJsonThatTheConfigEndpointServes() {
    ModelConfig config = complete("{\"name\":\"simple\",\"platform\":\"onnxruntime_onnx\",\"backend\":\"onnxruntime\","
        + "\"version_policy\":{\"latest\":{\"num_versions\":1}},\"max_batch_size\":8,"
        + "\"input\":[{\"name\":\"INPUT0\",\"data_type\":\"TYPE_INT32\",\"dims\":[16]},"
        + "{\"name\":\"INPUT1\",\"data_type\":\"TYPE_INT32\",\"dims\":[16]}],"
        + "\"instance_group\":[{\"name\":\"simple_0\",\"kind\":\"KIND_CPU\",\"count\":3,\"gpus\":[]}],"
        + "\"default_model_filename\":\"model.onnx\",\"parameters\":{\"intra_op_thread_count\":{\"string_value\":\"1\"}}}");
    assertEquals(3, config.instanceCount());
    assertEquals("1", config.parameters().get("intra_op_thread_count"));
  }
}
