package dev.neutrino.gateway.openai;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.repo.ModelConfig;
import dev.neutrino.repo.TensorConfig;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.text.Tokens;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading a model's text and embedding parameters, and pooling its output, without a server. */
class EmbeddingModelTest {
  private static final TensorConfig IDS = new TensorConfig("input_ids", DataType.INT64, new long[] {4});
  private static final TensorConfig MASK = new TensorConfig("attention_mask", DataType.INT64, new long[] {4});
  private static final TensorConfig STATES = new TensorConfig("states", DataType.FP32, new long[] {4, 2});

  private static ModelConfig config(List<TensorConfig> inputs, List<TensorConfig> outputs, Map<String, String> extra) {
    Map<String, String> parameters = new HashMap<>(Map.of("task", "embeddings", "tokenizer", "tokenizer.json"));
    parameters.putAll(extra);
    return new ModelConfig("encoder", "onnxruntime_onnx", "onnxruntime", 8, inputs, outputs, List.of(), "model.onnx",
        parameters);
  }

  @Test
  void defaultsFollowTheModelsInputsAndOutputs() {
    EmbeddingModel model = EmbeddingModel.of(config(List.of(IDS, MASK), List.of(STATES), Map.of()));
    assertEquals(EmbeddingModel.Pooling.MEAN, model.pooling(), "token states are mean-pooled");
    assertEquals(2, model.width());
    assertTrue(model.normalize());
    TextModel text = model.text();
    assertEquals(4, text.maxLength());
    assertEquals("attention_mask", text.attentionMask().name(), "found by its usual name");
    assertNull(text.tokenTypeIds());
    Map<String, Tensor> inputs = text.inputs(List.of(Tokens.of(2, 7, 3)));
    assertArrayEquals(new long[] {2, 7, 3, 0}, inputs.get("input_ids").toLongArray());
    assertArrayEquals(new long[] {1, 1, 1, 0}, inputs.get("attention_mask").toLongArray());
  }

  @Test
  void meanPoolingAveragesTheTextsTokensOnlyAndClsTakesTheFirst() {
    // two rows of 4 positions x width 2; row 1 has 2 tokens, the rest is padding
    FloatBuffer states = FloatBuffer.wrap(new float[] {
        9, 9, 9, 9, 9, 9, 9, 9,
        1, 2, 3, 4, 100, 100, 100, 100});
    EmbeddingModel mean = EmbeddingModel.of(config(List.of(IDS), List.of(STATES), Map.of("embedding_normalize", "false")));
    assertArrayEquals(new float[] {2, 3}, mean.embedding(states, 4, 1, 2, 2));
    EmbeddingModel cls = EmbeddingModel.of(config(List.of(IDS), List.of(STATES),
        Map.of("embedding_pooling", "cls", "embedding_normalize", "false")));
    assertArrayEquals(new float[] {1, 2}, cls.embedding(states, 4, 1, 2, 2));
    EmbeddingModel unit = EmbeddingModel.of(config(List.of(IDS), List.of(STATES), Map.of("embedding_pooling", "cls")));
    assertArrayEquals(new float[] {0.6f, 0.8f}, unit.embedding(FloatBuffer.wrap(new float[] {3, 4, 0, 0, 0, 0, 0, 0}),
        4, 0, 1, 2));
  }

  @Test
  void fewerDimensionsAreAPrefixRenormalised() {
    TensorConfig pooled = new TensorConfig("embedding", DataType.FP32, new long[] {3});
    EmbeddingModel model = EmbeddingModel.of(config(List.of(IDS), List.of(pooled),
        Map.of("embedding_matryoshka", "true", "embedding_normalize", "false")));
    assertEquals(EmbeddingModel.Pooling.NONE, model.pooling());
    assertArrayEquals(new float[] {0.6f, 0.8f}, model.embedding(FloatBuffer.wrap(new float[] {3, 4, 12}), 1, 0, 1, 2));
  }

  @Test
  void misconfiguredModelsAreRefusedNamingTheParameter() {
    Map<Map<String, String>, String> cases = Map.of(
        Map.of("tokenizer", ""), "'tokenizer'",
        Map.of("tokenizer", "../elsewhere.json"), "'tokenizer'",
        Map.of("tokenizer_input_ids", "ids"), "'ids'",
        Map.of("tokenizer_max_length", "5"), "'tokenizer_max_length'",
        Map.of("embedding_pooling", "max"), "'embedding_pooling'",
        Map.of("embedding_normalize", "yes"), "'embedding_normalize'",
        Map.of("embedding_output", "missing"), "'missing'",
        Map.of("embedding_pooling", "none"), "'states'");
    cases.forEach((parameters, named) -> {
      InferenceException.InvalidInput refused = assertThrows(InferenceException.InvalidInput.class,
          () -> EmbeddingModel.of(config(List.of(IDS), List.of(STATES), parameters)), parameters.toString());
      assertTrue(refused.getMessage().contains(named), refused.getMessage());
    });
  }
}
