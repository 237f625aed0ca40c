package dev.neutrino.gateway;

import dev.neutrino.repo.examples.TinyLanguageModel;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Greedy decoding of the example generative model in-process, one sequence alone, the plain way:
 * the whole prompt in one run, then one token per run with the returned cache fed back. What the
 * gateway's batched generation must equal.
 */
final class GreedyReference implements AutoCloseable {
  private final LoadedModel model;

  GreedyReference(Path repository) throws ModelLoadException {
    model = OnnxRuntimeBackend.create().load(
        repository.resolve(TinyLanguageModel.NAME).resolve("1").resolve("model.onnx"), LoadOptions.cpu(1));
  }

  /** The text greedy decoding of {@code prompt} gives in {@code tokens} tokens. */
  String complete(String prompt, int tokens) {
    long[] feed = Arrays.stream(TinyModelTokens.encode(prompt)).asLongStream().toArray();
    Map<String, Tensor> past = new HashMap<>();
    for (int layer = 0; layer < TinyLanguageModel.LAYERS; layer++) {
      for (String kv : new String[] {"key", "value"}) {
        past.put(TinyLanguageModel.pastName(layer, kv), Tensor.ofFloats(
            new long[] {1, TinyLanguageModel.HEADS, 0, TinyLanguageModel.HEAD_WIDTH}));
      }
    }
    Set<String> outputs = new LinkedHashSet<>();
    outputs.add("logits");
    for (int layer = 0; layer < TinyLanguageModel.LAYERS; layer++) {
      outputs.add(TinyLanguageModel.presentName(layer, "key"));
      outputs.add(TinyLanguageModel.presentName(layer, "value"));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int cached = 0;
    for (int i = 0; i < tokens; i++) {
      Map<String, Tensor> inputs = new HashMap<>(past);
      long[] mask = new long[cached + feed.length];
      Arrays.fill(mask, 1);
      long[] positions = new long[feed.length];
      for (int p = 0; p < feed.length; p++) {
        positions[p] = cached + p;
      }
      inputs.put("input_ids", Tensor.ofLongs(new long[] {1, feed.length}, feed));
      inputs.put("attention_mask", Tensor.ofLongs(new long[] {1, mask.length}, mask));
      inputs.put("position_ids", Tensor.ofLongs(new long[] {1, feed.length}, positions));
      Map<String, Tensor> result = model.run(inputs, outputs);
      float[] logits = result.get("logits").toFloatArray();
      int offset = logits.length - TinyLanguageModel.VOCABULARY;
      int best = 0;
      for (int v = 1; v < TinyLanguageModel.VOCABULARY; v++) {
        if (logits[offset + v] > logits[offset + best]) {
          best = v;
        }
      }
      out.write(best);
      for (int layer = 0; layer < TinyLanguageModel.LAYERS; layer++) {
        for (String kv : new String[] {"key", "value"}) {
          past.put(TinyLanguageModel.pastName(layer, kv), result.get(TinyLanguageModel.presentName(layer, kv)));
        }
      }
      cached += feed.length;
      feed = new long[] {best};
    }
    return new String(out.toByteArray(), StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    model.close();
  }

  /** The example model's byte-level tokens. */
  static final class TinyModelTokens {
    private TinyModelTokens() {}

    static int[] encode(String text) {
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      int[] tokens = new int[bytes.length];
      for (int i = 0; i < bytes.length; i++) {
        tokens[i] = bytes[i] & 0xFF;
      }
      return tokens;
    }
  }
}
