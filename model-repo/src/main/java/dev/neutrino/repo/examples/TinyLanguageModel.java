package dev.neutrino.repo.examples;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The example generative model, {@code tiny_lm}: a decoder-only transformer over a byte-level
 * vocabulary that takes and returns its key/value cache under the names the usual ONNX exporters
 * use, so the generation engine drives it exactly as it would drive an exported model.
 *
 * <p>Inputs: INT64 {@code input_ids} [batch, sequence], INT64 {@code attention_mask} [batch, past +
 * sequence] (1 for a slot that may be attended to), INT64 {@code position_ids} [batch, sequence] and,
 * per layer {@code i}, FP32 {@code past_key_values.i.key} and {@code .value} [batch, heads, past,
 * head width]. Outputs: FP32 {@code logits} [batch, sequence, vocabulary] and {@code present.i.key}
 * and {@code .value} [batch, heads, past + sequence, head width], the past with this call's keys and
 * values appended.
 *
 * <p>Attention is causal over slots: the query of new token {@code t} sees the slots up to {@code
 * past + t}, minus those whose mask is 0. So one call can hold sequences of different lengths: put
 * each sequence's past at the end of the past slots (mask 0 before it) and its new tokens at the start
 * of the new slots (mask 0 after them).
 *
 * <p>Shape: {@value #LAYERS} layers of RMS-normalised attention ({@value #HEADS} heads) and a ReLU
 * feed-forward block, width {@value #WIDTH}, learned positions up to {@value #MAX_POSITIONS}.
 * Weights are random from a fixed seed. A fixed bias on the logits favours printable ASCII and makes
 * the special tokens (which the random weights would otherwise pick at random) never win, so answers
 * end at {@code max_tokens} or a stop string.
 */
public final class TinyLanguageModel {
  /** The model's name in the example repository. */
  public static final String NAME = "tiny_lm";
  /** Token ids 0..255 are bytes; then the specials. */
  public static final int BYTE_TOKENS = 256;
  /** The beginning-of-sequence token. */
  public static final int BOS = 256;
  /** The end-of-sequence token. */
  public static final int EOS = 257;
  /** Token ids the model knows: 0 to VOCABULARY - 1. */
  public static final int VOCABULARY = 258;
  public static final int LAYERS = 2;
  public static final int HEADS = 4;
  public static final int WIDTH = 64;
  public static final int HEAD_WIDTH = WIDTH / HEADS;
  /** Positions the model has embeddings for: the longest prompt plus answer. */
  public static final int MAX_POSITIONS = 1024;

  /**
   * Its configuration: served for generation ({@code task}), with a byte-level tokenizer, its
   * context length and a plain chat template; the engine's other settings keep their defaults.
   */
  public static final String CONFIG =
      """
      instance_group:
        - count: 1
          kind: KIND_CPU
      parameters:
        task: generation
        tokenizer: bytes
        end_of_sequence_token: "257"
        max_sequence_tokens: "1024"
        chat_message_template: "<|{role}|>\\n{content}\\n"
        chat_assistant_prefix: "<|assistant|>\\n"
      """;

  private static final int FEED_FORWARD_WIDTH = 256;
  private static final float MASKED = -1e9f;
  private static final float PRINTABLE_BIAS = 4f;
  private static final float SPECIAL_BIAS = -30f;

  private TinyLanguageModel() {}

  /** The name of layer {@code layer}'s past key (or value) input. */
  public static String pastName(int layer, String keyOrValue) {
    return "past_key_values." + layer + "." + keyOrValue;
  }

  /** The name of layer {@code layer}'s present key (or value) output. */
  public static String presentName(int layer, String keyOrValue) {
    return "present." + layer + "." + keyOrValue;
  }

  /** The serialized model; the same bytes on every call. */
  public static byte[] model() {
    Random random = new Random(0x5EED_0003L);
    OnnxModelBuilder m = new OnnxModelBuilder(NAME);
    m.input("input_ids", DataType.INT64, -1, -1)
        .input("attention_mask", DataType.INT64, -1, -1)
        .input("position_ids", DataType.INT64, -1, -1);
    for (int layer = 0; layer < LAYERS; layer++) {
      for (String kv : List.of("key", "value")) {
        m.input(pastName(layer, kv), DataType.FP32, -1, HEADS, -1, HEAD_WIDTH);
      }
    }
    m.output("logits", DataType.FP32, -1, -1, VOCABULARY);
    for (int layer = 0; layer < LAYERS; layer++) {
      for (String kv : List.of("key", "value")) {
        m.output(presentName(layer, kv), DataType.FP32, -1, HEADS, -1, HEAD_WIDTH);
      }
    }

    m.initializer("one_i", new long[] {}, new long[] {1})
        .initializer("axis_0", new long[] {1}, new long[] {0})
        .initializer("axis_1", new long[] {1}, new long[] {1})
        .initializer("zero_i", new long[] {}, new long[] {0})
        .initializer("one_f", new long[] {}, new float[] {1f})
        .initializer("masked_f", new long[] {}, new float[] {MASKED})
        .initializer("epsilon", new long[] {}, new float[] {1e-5f})
        .initializer("attention_scale", new long[] {}, new float[] {(float) (1 / Math.sqrt(HEAD_WIDTH))})
        .initializer("heads_shape", new long[] {4}, new long[] {0, 0, HEADS, HEAD_WIDTH})
        .initializer("width_shape", new long[] {3}, new long[] {0, 0, WIDTH});

    // The additive mask [batch, 1, sequence, slots]: 0 where a query may look, MASKED elsewhere.
    m.node("Shape", List.of("attention_mask"), List.of("mask_shape"))
        .node("Gather", List.of("mask_shape", "one_i"), List.of("slots"), Map.of("axis", 0L))
        .node("Shape", List.of("input_ids"), List.of("ids_shape"))
        .node("Gather", List.of("ids_shape", "one_i"), List.of("new_tokens"), Map.of("axis", 0L))
        .node("Sub", List.of("slots", "new_tokens"), List.of("past_slots"))
        .node("Range", List.of("zero_i", "slots", "one_i"), List.of("key_slot"))
        .node("Range", List.of("past_slots", "slots", "one_i"), List.of("query_slot"))
        .node("Unsqueeze", List.of("query_slot", "axis_1"), List.of("query_column"))
        .node("Greater", List.of("key_slot", "query_column"), List.of("future"))
        .node("Cast", List.of("future"), List.of("future_f"), Map.of("to", 1L))
        .node("Unsqueeze", List.of("future_f", "axis_0"), List.of("future_b"))
        .node("Cast", List.of("attention_mask"), List.of("mask_f"), Map.of("to", 1L))
        .node("Sub", List.of("one_f", "mask_f"), List.of("padding"))
        .node("Unsqueeze", List.of("padding", "axis_1"), List.of("padding_b"))
        .node("Add", List.of("future_b", "padding_b"), List.of("blocked"))
        .node("Mul", List.of("blocked", "masked_f"), List.of("blocked_f"))
        .node("Unsqueeze", List.of("blocked_f", "axis_1"), List.of("additive_mask"));

    m.initializer("token_embedding", new long[] {VOCABULARY, WIDTH}, gaussian(random, VOCABULARY * WIDTH, 1.0))
        .initializer("position_embedding", new long[] {MAX_POSITIONS, WIDTH},
            gaussian(random, MAX_POSITIONS * WIDTH, 0.5))
        .node("Gather", List.of("token_embedding", "input_ids"), List.of("tokens"), Map.of("axis", 0L))
        .node("Gather", List.of("position_embedding", "position_ids"), List.of("positions"), Map.of("axis", 0L))
        .node("Add", List.of("tokens", "positions"), List.of("h0"));

    String hidden = "h0";
    for (int layer = 0; layer < LAYERS; layer++) {
      String p = "layer" + layer + ".";
      String normed = rmsNorm(m, random, hidden, p + "attention_norm");
      String[] projected = new String[3];
      String[] names = {"query", "key", "value"};
      for (int i = 0; i < 3; i++) {
        String weight = p + names[i] + ".weight";
        m.initializer(weight, new long[] {WIDTH, WIDTH}, gaussian(random, WIDTH * WIDTH, Math.sqrt(1.0 / WIDTH)))
            .node("MatMul", List.of(normed, weight), List.of(p + names[i] + ".flat"))
            .node("Reshape", List.of(p + names[i] + ".flat", "heads_shape"), List.of(p + names[i] + ".split"))
            .node("Transpose", List.of(p + names[i] + ".split"), List.of(p + names[i]),
                Map.of("perm", new long[] {0, 2, 1, 3}));
        projected[i] = p + names[i];
      }
      String presentKey = presentName(layer, "key");
      String presentValue = presentName(layer, "value");
      m.node("Concat", List.of(pastName(layer, "key"), projected[1]), List.of(presentKey), Map.of("axis", 2L))
          .node("Concat", List.of(pastName(layer, "value"), projected[2]), List.of(presentValue), Map.of("axis", 2L))
          .node("Transpose", List.of(presentKey), List.of(p + "key_t"), Map.of("perm", new long[] {0, 1, 3, 2}))
          .node("MatMul", List.of(projected[0], p + "key_t"), List.of(p + "scores_raw"))
          .node("Mul", List.of(p + "scores_raw", "attention_scale"), List.of(p + "scores_scaled"))
          .node("Add", List.of(p + "scores_scaled", "additive_mask"), List.of(p + "scores"))
          .node("Softmax", List.of(p + "scores"), List.of(p + "weights"), Map.of("axis", -1L))
          .node("MatMul", List.of(p + "weights", presentValue), List.of(p + "attended"))
          .node("Transpose", List.of(p + "attended"), List.of(p + "attended_t"), Map.of("perm", new long[] {0, 2, 1, 3}))
          .node("Reshape", List.of(p + "attended_t", "width_shape"), List.of(p + "attended_flat"))
          .initializer(p + "output.weight", new long[] {WIDTH, WIDTH},
              gaussian(random, WIDTH * WIDTH, Math.sqrt(1.0 / WIDTH)))
          .node("MatMul", List.of(p + "attended_flat", p + "output.weight"), List.of(p + "attention_out"))
          .node("Add", List.of(hidden, p + "attention_out"), List.of(p + "h_attention"));
      String ffnIn = rmsNorm(m, random, p + "h_attention", p + "ffn_norm");
      m.initializer(p + "ffn.up.weight", new long[] {WIDTH, FEED_FORWARD_WIDTH},
              gaussian(random, WIDTH * FEED_FORWARD_WIDTH, Math.sqrt(2.0 / WIDTH)))
          .initializer(p + "ffn.down.weight", new long[] {FEED_FORWARD_WIDTH, WIDTH},
              gaussian(random, FEED_FORWARD_WIDTH * WIDTH, Math.sqrt(1.0 / FEED_FORWARD_WIDTH)))
          .node("MatMul", List.of(ffnIn, p + "ffn.up.weight"), List.of(p + "ffn.up"))
          .node("Relu", List.of(p + "ffn.up"), List.of(p + "ffn.hidden"))
          .node("MatMul", List.of(p + "ffn.hidden", p + "ffn.down.weight"), List.of(p + "ffn.down"))
          .node("Add", List.of(p + "h_attention", p + "ffn.down"), List.of(p + "out"));
      hidden = p + "out";
    }

    String finalNormed = rmsNorm(m, random, hidden, "final_norm");
    m.initializer("unembedding", new long[] {WIDTH, VOCABULARY},
            gaussian(random, WIDTH * VOCABULARY, Math.sqrt(4.0 / WIDTH)))
        .initializer("logit_bias", new long[] {VOCABULARY}, logitBias())
        .node("MatMul", List.of(finalNormed, "unembedding"), List.of("logits_raw"))
        .node("Add", List.of("logits_raw", "logit_bias"), List.of("logits"));
    return m.toByteArray();
  }

  private static float[] logitBias() {
    float[] bias = new float[VOCABULARY];
    for (int b = 0x20; b < 0x7F; b++) {
      bias[b] = PRINTABLE_BIAS;
    }
    bias['\n'] = PRINTABLE_BIAS;
    bias[BOS] = SPECIAL_BIAS;
    bias[EOS] = SPECIAL_BIAS;
    return bias;
  }

  /** {@code x / sqrt(mean(x^2) + eps) * gain}, over the last axis. */
  private static String rmsNorm(OnnxModelBuilder m, Random random, String input, String prefix) {
    float[] gain = new float[WIDTH];
    for (int i = 0; i < WIDTH; i++) {
      gain[i] = (float) (1 + 0.1 * random.nextGaussian());
    }
    m.initializer(prefix + ".gain", new long[] {WIDTH}, gain)
        .node("Mul", List.of(input, input), List.of(prefix + ".squared"))
        .node("ReduceMean", List.of(prefix + ".squared"), List.of(prefix + ".mean"),
            Map.of("axes", new long[] {-1}, "keepdims", 1L))
        .node("Add", List.of(prefix + ".mean", "epsilon"), List.of(prefix + ".shifted"))
        .node("Sqrt", List.of(prefix + ".shifted"), List.of(prefix + ".rms"))
        .node("Div", List.of(input, prefix + ".rms"), List.of(prefix + ".unit"))
        .node("Mul", List.of(prefix + ".unit", prefix + ".gain"), List.of(prefix + ".out"));
    return prefix + ".out";
  }

  private static float[] gaussian(Random random, int count, double scale) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) (random.nextGaussian() * scale);
    }
    return values;
  }
}
