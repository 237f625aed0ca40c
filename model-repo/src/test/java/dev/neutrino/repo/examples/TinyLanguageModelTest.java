package dev.neutrino.repo.examples;

import static dev.neutrino.repo.examples.TinyLanguageModel.HEADS;
import static dev.neutrino.repo.examples.TinyLanguageModel.HEAD_WIDTH;
import static dev.neutrino.repo.examples.TinyLanguageModel.LAYERS;
import static dev.neutrino.repo.examples.TinyLanguageModel.VOCABULARY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the example generative model in ONNX Runtime: its cache and its padding do what they say. */
class TinyLanguageModelTest {
  private static final float TOLERANCE = 1e-4f;
  private static final long[] PROMPT = {72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100};

  @TempDir static Path folder;
  private static LoadedModel model;

  @BeforeAll
  static void load() throws IOException, ModelLoadException {
    Path file = folder.resolve("model.onnx");
    Files.write(file, TinyLanguageModel.model());
    model = OnnxRuntimeBackend.create().load(file, LoadOptions.cpu(1));
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void stepByStepDecodeWithTheCacheEqualsOneFullSequenceRun() {
    Map<String, Tensor> full = run(1, PROMPT, ones(PROMPT.length), positions(0, PROMPT.length), emptyPast(1));
    float[] fullLogits = full.get("logits").toFloatArray();

    int prefill = 5;
    Map<String, Tensor> step = run(1, slice(PROMPT, 0, prefill), ones(prefill), positions(0, prefill), emptyPast(1));
    assertClose(slice(fullLogits, 0, prefill * VOCABULARY), step.get("logits").toFloatArray(), "prefill");
    for (int t = prefill; t < PROMPT.length; t++) {
      assertArrayEquals(new long[] {1, HEADS, t, HEAD_WIDTH}, step.get("present.0.key").shape());
      step = run(1, new long[] {PROMPT[t]}, ones(t + 1), new long[] {t}, presentAsPast(step));
      assertClose(slice(fullLogits, t * VOCABULARY, (t + 1) * VOCABULARY), step.get("logits").toFloatArray(),
          "token " + t);
    }
  }

  @Test
  void aPaddedBatchGivesEachSequenceWhatItGetsAlone() {
    // Sequence A has 7 tokens of past and feeds 1; sequence B has 3 of past and feeds 2.
    Map<String, Tensor> pastA = run(1, slice(PROMPT, 0, 7), ones(7), positions(0, 7), emptyPast(1));
    Map<String, Tensor> pastB = run(1, slice(PROMPT, 5, 8), ones(3), positions(0, 3), emptyPast(1));
    float[] aloneA = run(1, new long[] {PROMPT[7]}, ones(8), new long[] {7}, presentAsPast(pastA))
        .get("logits").toFloatArray();
    float[] aloneB = run(1, new long[] {PROMPT[8], PROMPT[9]}, ones(5), positions(3, 2), presentAsPast(pastB))
        .get("logits").toFloatArray();

    // Past slots: 7 (A fills them, B's 3 sit at the end); new slots: 2 (A uses the first only).
    Map<String, Tensor> past = new HashMap<>();
    for (int layer = 0; layer < LAYERS; layer++) {
      for (String kv : new String[] {"key", "value"}) {
        float[] a = pastA.get(TinyLanguageModel.presentName(layer, kv)).toFloatArray();
        float[] b = pastB.get(TinyLanguageModel.presentName(layer, kv)).toFloatArray();
        float[] batch = new float[2 * HEADS * 7 * HEAD_WIDTH];
        for (int h = 0; h < HEADS; h++) {
          System.arraycopy(a, h * 7 * HEAD_WIDTH, batch, h * 7 * HEAD_WIDTH, 7 * HEAD_WIDTH);
          System.arraycopy(b, h * 3 * HEAD_WIDTH, batch, (HEADS + h) * 7 * HEAD_WIDTH + 4 * HEAD_WIDTH, 3 * HEAD_WIDTH);
        }
        past.put(TinyLanguageModel.pastName(layer, kv), Tensor.ofFloats(new long[] {2, HEADS, 7, HEAD_WIDTH}, batch));
      }
    }
    long[] ids = {PROMPT[7], 0, PROMPT[8], PROMPT[9]};
    long[] mask = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
    long[] positionIds = {7, 0, 3, 4};
    float[] batch = run(2, ids, mask, positionIds, past).get("logits").toFloatArray();
    assertClose(aloneA, slice(batch, 0, VOCABULARY), "sequence A");
    assertClose(aloneB, slice(batch, 2 * VOCABULARY, 4 * VOCABULARY), "sequence B");
  }

  @Test
  void greedyDecodeWandersOverPrintableBytesAndNeverPicksASpecial() {
    Map<String, Tensor> step = run(1, PROMPT, ones(PROMPT.length), positions(0, PROMPT.length), emptyPast(1));
    Set<Integer> chosen = new HashSet<>();
    int length = PROMPT.length;
    for (int i = 0; i < 24; i++) {
      float[] logits = step.get("logits").toFloatArray();
      int next = argmax(logits, logits.length - VOCABULARY);
      assertTrue(next < TinyLanguageModel.BYTE_TOKENS, "token " + next);
      chosen.add(next);
      step = run(1, new long[] {next}, ones(length + 1), new long[] {length}, presentAsPast(step));
      length++;
    }
    assertTrue(chosen.size() > 3, "greedy decode repeats " + chosen);
  }

  private static Map<String, Tensor> run(int batch, long[] ids, long[] mask, long[] positionIds,
      Map<String, Tensor> past) {
    Map<String, Tensor> inputs = new HashMap<>(past);
    int sequence = ids.length / batch;
    inputs.put("input_ids", Tensor.ofLongs(new long[] {batch, sequence}, ids));
    inputs.put("attention_mask", Tensor.ofLongs(new long[] {batch, mask.length / batch}, mask));
    inputs.put("position_ids", Tensor.ofLongs(new long[] {batch, sequence}, positionIds));
    Set<String> outputs = new LinkedHashSet<>();
    outputs.add("logits");
    for (int layer = 0; layer < LAYERS; layer++) {
      outputs.add(TinyLanguageModel.presentName(layer, "key"));
      outputs.add(TinyLanguageModel.presentName(layer, "value"));
    }
    return model.run(inputs, outputs);
  }

  private static Map<String, Tensor> emptyPast(int batch) {
    Map<String, Tensor> past = new HashMap<>();
    for (int layer = 0; layer < LAYERS; layer++) {
      for (String kv : new String[] {"key", "value"}) {
        past.put(TinyLanguageModel.pastName(layer, kv), Tensor.ofFloats(new long[] {batch, HEADS, 0, HEAD_WIDTH}));
      }
    }
    return past;
  }

  private static Map<String, Tensor> presentAsPast(Map<String, Tensor> outputs) {
    Map<String, Tensor> past = new HashMap<>();
    for (int layer = 0; layer < LAYERS; layer++) {
      for (String kv : new String[] {"key", "value"}) {
        past.put(TinyLanguageModel.pastName(layer, kv), outputs.get(TinyLanguageModel.presentName(layer, kv)));
      }
    }
    return past;
  }

  private static long[] ones(int count) {
    long[] values = new long[count];
    java.util.Arrays.fill(values, 1);
    return values;
  }

  private static long[] positions(int from, int count) {
    long[] values = new long[count];
    for (int i = 0; i < count; i++) {
      values[i] = from + i;
    }
    return values;
  }

  private static long[] slice(long[] values, int from, int to) {
    return java.util.Arrays.copyOfRange(values, from, to);
  }

  private static float[] slice(float[] values, int from, int to) {
    return java.util.Arrays.copyOfRange(values, from, to);
  }

  private static int argmax(float[] values, int from) {
    int best = from;
    for (int i = from; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best - from;
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], TOLERANCE * Math.max(1, Math.abs(expected[i])), what + " logit " + i);
    }
  }
}
