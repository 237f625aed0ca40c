package dev.neutrino.generation;

import dev.neutrino.repo.examples.TinyLanguageModel;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** The example generative model for tests, and the reference it is checked against. */
final class TinyModel {
  static final ByteTokenizer TOKENIZER =
      new ByteTokenizer(TinyLanguageModel.EOS, TinyLanguageModel.VOCABULARY);

  private TinyModel() {}

  /** A fresh instance of tiny_lm, written into {@code folder}. */
  static LoadedModel load(Path folder) {
    try {
      Path file = folder.resolve("tiny_lm.onnx");
      if (!Files.exists(file)) {
        Files.write(file, TinyLanguageModel.model());
      }
      return OnnxRuntimeBackend.create().load(file, LoadOptions.cpu(1));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ModelLoadException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Greedy decoding of one sequence alone, the plain way: the whole prompt in one call, then one
   * token per call with the returned cache fed back. The reference the engine must match.
   */
  static int[] greedyAlone(LoadedModel model, int[] prompt, int tokens) {
    DecoderModel decoder = DecoderModel.of(model);
    Map<String, Tensor> past = new HashMap<>();
    for (int layer = 0; layer < decoder.layers(); layer++) {
      for (int kv = 0; kv < 2; kv++) {
        past.put(DecoderModel.past(layer, kv),
            Tensor.ofFloats(new long[] {1, decoder.heads(), 0, decoder.headWidth()}));
      }
    }
    int[] out = new int[tokens];
    long[] feed = Arrays.stream(prompt).asLongStream().toArray();
    int cached = 0;
    for (int i = 0; i < tokens; i++) {
      Map<String, Tensor> inputs = new HashMap<>(past);
      long[] mask = new long[cached + feed.length];
      Arrays.fill(mask, 1);
      long[] positions = new long[feed.length];
      for (int p = 0; p < positions.length; p++) {
        positions[p] = cached + p;
      }
      inputs.put(DecoderModel.INPUT_IDS, Tensor.ofLongs(new long[] {1, feed.length}, feed));
      inputs.put(DecoderModel.ATTENTION_MASK, Tensor.ofLongs(new long[] {1, mask.length}, mask));
      inputs.put(DecoderModel.POSITION_IDS, Tensor.ofLongs(new long[] {1, feed.length}, positions));
      Map<String, Tensor> outputs = model.run(inputs, decoder.stepOutputs());
      float[] logits = outputs.get(DecoderModel.LOGITS).toFloatArray();
      out[i] = Sampler.argmax(logits, logits.length - decoder.vocabulary(), decoder.vocabulary());
      for (int layer = 0; layer < decoder.layers(); layer++) {
        for (int kv = 0; kv < 2; kv++) {
          past.put(DecoderModel.past(layer, kv), outputs.get(DecoderModel.present(layer, kv)));
        }
      }
      cached += feed.length;
      feed = new long[] {out[i]};
    }
    return out;
  }

  /** The tokens a sequence generated so far. */
  static int[] generated(GenerationHandle handle) {
    Sequence s = (Sequence) handle;
    int[] out = new int[s.generated()];
    for (int i = 0; i < out.length; i++) {
      out[i] = s.token(s.promptLength + i);
    }
    return out;
  }
}
