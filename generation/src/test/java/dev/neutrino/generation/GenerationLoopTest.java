package dev.neutrino.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadedModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The continuous-batching core driven step by step on the example model; no threads, no clock. */
class GenerationLoopTest {
  private static final int MAX_STEPS = 2_000;
  private static final GenerationOptions OPTIONS = GenerationOptions.DEFAULT
      .withMaxRunning(8).withStepTokenBudget(24).withPrefillChunk(6).withKvBlocks(64, 8);

  @TempDir static Path folder;
  private static LoadedModel model;
  private final AtomicLong clock = new AtomicLong();

  @BeforeAll
  static void load() {
    model = TinyModel.load(folder);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  private GenerationLoop loop(GenerationOptions options) {
    return new GenerationLoop(DecoderModel.of(model), TinyModel.TOKENIZER, options, clock::get,
        GenerationObserver.NONE, s -> {});
  }

  private static int[] prompt(String text) {
    return TinyModel.TOKENIZER.encode(text);
  }

  private static void runUntilIdle(GenerationLoop loop) {
    for (int i = 0; i < MAX_STEPS && loop.hasWork(); i++) {
      loop.step();
    }
    assertFalse(loop.hasWork(), "still working after " + MAX_STEPS + " steps");
  }

  @Test
  void greedyOutputEqualsDecodingEachSequenceAloneWhenSequencesJoinAtDifferentSteps() throws Exception {
    GenerationLoop loop = loop(OPTIONS);
    String[] prompts = {"Hello, world", "A much longer prompt that takes several chunks to read", "x",
        "Tell me a story about a cat", "0123456789abcdef"};
    int[] joinAtStep = {0, 0, 3, 7, 12};
    int[] maxTokens = {20, 9, 25, 14, 6};
    List<GenerationHandle> handles = new ArrayList<>();
    List<RecordingListener> listeners = new ArrayList<>();
    for (int step = 0, next = 0; next < prompts.length; step++) {
      while (next < prompts.length && joinAtStep[next] == step) {
        RecordingListener listener = new RecordingListener();
        listeners.add(listener);
        handles.add(loop.submit(new GenerationRequest(prompt(prompts[next]), SamplingParams.greedy(maxTokens[next])),
            listener));
        next++;
      }
      assertTrue(loop.step());
    }
    runUntilIdle(loop);
    for (int i = 0; i < prompts.length; i++) {
      int[] expected = TinyModel.greedyAlone(model, prompt(prompts[i]), maxTokens[i]);
      assertArrayEquals(expected, TinyModel.generated(handles.get(i)), "sequence " + i);
      Completion completion = listeners.get(i).done.get();
      assertEquals(new Completion(FinishReason.LENGTH, prompt(prompts[i]).length, maxTokens[i]), completion);
      assertEquals(decode(expected), listeners.get(i).text.toString());
    }
    assertEquals(0, loop.kvBlocksUsed());
    assertEquals(0, loop.running());
  }

  @Test
  void aCancelledSequenceTakesPartInNoFurtherStepAndFreesItsBlocks() throws Exception {
    GenerationLoop loop = loop(OPTIONS);
    RecordingListener cancelledListener = new RecordingListener();
    GenerationHandle cancelled = loop.submit(new GenerationRequest(prompt("cancel me"), SamplingParams.greedy(100)),
        cancelledListener);
    GenerationHandle other = loop.submit(new GenerationRequest(prompt("keep me"), SamplingParams.greedy(40)),
        new RecordingListener());
    for (int i = 0; i < 5; i++) {
      loop.step();
    }
    int stepsBefore = ((Sequence) cancelled).steps;
    int generatedBefore = TinyModel.generated(cancelled).length;
    assertTrue(generatedBefore > 0);
    int blocksBefore = loop.kvBlocksUsed();
    cancelled.cancel();
    loop.step();
    loop.step();
    assertEquals(stepsBefore, ((Sequence) cancelled).steps);
    assertEquals(generatedBefore, TinyModel.generated(cancelled).length);
    assertEquals(new Completion(FinishReason.CANCELLED, 9, generatedBefore), cancelledListener.done.get());
    assertEquals(blocksBefore - OPTIONS.blocksFor(9 + 100), loop.kvBlocksUsed());
    assertEquals(1, loop.running());
    runUntilIdle(loop);
    assertArrayEquals(TinyModel.greedyAlone(model, prompt("keep me"), 40), TinyModel.generated(other));
  }

  @Test
  void aCancelledWaitingSequenceNeverRuns() throws Exception {
    GenerationLoop loop = loop(OPTIONS.withMaxRunning(1));
    loop.submit(new GenerationRequest(prompt("first"), SamplingParams.greedy(5)), new RecordingListener());
    RecordingListener listener = new RecordingListener();
    GenerationHandle waiting = loop.submit(new GenerationRequest(prompt("second"), SamplingParams.greedy(5)), listener);
    loop.step();
    assertEquals(1, loop.waiting());
    waiting.cancel();
    runUntilIdle(loop);
    assertEquals(0, ((Sequence) waiting).steps);
    assertEquals(FinishReason.CANCELLED, listener.done.get().reason());
    assertEquals(0, loop.waiting());
  }

  @Test
  void aShortRequestsFirstTokenComesWithinAStepWhileALongOneReadsItsPromptAndGenerates() {
    // A budget of two chunks: a prompt being read takes at most one chunk, leaving room for a newcomer.
    GenerationLoop loop = loop(OPTIONS.withMaxRunning(4).withStepTokenBudget(16).withPrefillChunk(8)
        .withKvBlocks(256, 8));
    int[] longPrompt = prompt("a long prompt ".repeat(20));
    Sequence longOne = (Sequence) loop.submit(new GenerationRequest(longPrompt, SamplingParams.greedy(200)),
        new RecordingListener());
    loop.step();
    loop.step();
    // The long prompt needs 35 chunks of 8 tokens; a short request arriving now is answered at once.
    long submittedAt = loop.steps();
    Sequence shortOne = (Sequence) loop.submit(new GenerationRequest(prompt("hi"), SamplingParams.greedy(3)),
        new RecordingListener());
    loop.step();
    assertEquals(submittedAt + 1, shortOne.firstTokenStep);
    assertTrue(longOne.firstTokenStep < 0, "the long prompt is still being read");
    runUntilIdle(loop);
    // And once the long one generates, a newcomer still gets its first token in the step it joins.
    GenerationLoop busy = loop(OPTIONS.withMaxRunning(4).withStepTokenBudget(8).withPrefillChunk(8));
    Sequence generating = (Sequence) busy.submit(new GenerationRequest(prompt("go"), SamplingParams.greedy(60)),
        new RecordingListener());
    for (int i = 0; i < 10; i++) {
      busy.step();
    }
    long joinedAt = busy.steps();
    Sequence newcomer = (Sequence) busy.submit(new GenerationRequest(prompt("hello"), SamplingParams.greedy(2)),
        new RecordingListener());
    busy.step();
    assertEquals(joinedAt + 1, newcomer.firstTokenStep);
    assertTrue(generating.generated() > 0 && generating.known < generating.promptLength + 60);
    runUntilIdle(busy);
  }

  @Test
  void withStaticBatchingTheShortRequestWaitsForTheLongOneToFinish() {
    GenerationLoop loop = loop(OPTIONS.withAdmission(GenerationOptions.Admission.STATIC));
    Sequence longOne = (Sequence) loop.submit(new GenerationRequest(prompt("go"), SamplingParams.greedy(40)),
        new RecordingListener());
    loop.step();
    Sequence shortOne = (Sequence) loop.submit(new GenerationRequest(prompt("hi"), SamplingParams.greedy(3)),
        new RecordingListener());
    runUntilIdle(loop);
    assertTrue(shortOne.firstTokenStep >= longOne.firstTokenStep + 39,
        "first token at step " + shortOne.firstTokenStep + ", long one's first at " + longOne.firstTokenStep);
  }

  @Test
  void aFinishedSequencesBlocksAreReusedByTheNextOneToJoin() {
    GenerationLoop loop = loop(OPTIONS);
    Sequence first = (Sequence) loop.submit(new GenerationRequest(prompt("one"), SamplingParams.greedy(4)),
        new RecordingListener());
    loop.step();
    int[] blocks = first.blocks.clone();
    assertEquals(OPTIONS.blocksFor(3 + 4), loop.kvBlocksUsed());
    runUntilIdle(loop);
    assertEquals(0, loop.kvBlocksUsed());
    Sequence second = (Sequence) loop.submit(new GenerationRequest(prompt("two"), SamplingParams.greedy(4)),
        new RecordingListener());
    loop.step();
    assertArrayEquals(blocks, second.blocks);
    runUntilIdle(loop);
  }

  @Test
  void aStopStringEndsTheAnswerBeforeIt() throws Exception {
    GenerationLoop loop = loop(OPTIONS);
    int[] reference = TinyModel.greedyAlone(model, prompt("stop here"), 30);
    String full = decode(reference);
    String stop = full.substring(10, 12);
    int expectedEnd = full.indexOf(stop);
    RecordingListener listener = new RecordingListener();
    loop.submit(new GenerationRequest(prompt("stop here"),
        new SamplingParams(30, 0, 1, null, List.of(stop))), listener);
    runUntilIdle(loop);
    Completion completion = listener.done.get();
    assertEquals(FinishReason.STOP, completion.reason());
    assertEquals(full.substring(0, expectedEnd), listener.text.toString());
    assertTrue(completion.completionTokens() < 30);
  }

  @Test
  void aSeededSampleIsTheSameWhoeverElseIsInTheBatch() {
    SamplingParams seeded = new SamplingParams(20, 0.9, 0.95, 1234L, List.of());
    GenerationLoop alone = loop(OPTIONS);
    GenerationHandle a = alone.submit(new GenerationRequest(prompt("sample"), seeded), new RecordingListener());
    runUntilIdle(alone);
    GenerationLoop crowded = loop(OPTIONS);
    crowded.submit(new GenerationRequest(prompt("someone else"), SamplingParams.greedy(30)), new RecordingListener());
    crowded.step();
    crowded.step();
    GenerationHandle b = crowded.submit(new GenerationRequest(prompt("sample"), seeded), new RecordingListener());
    runUntilIdle(crowded);
    assertArrayEquals(TinyModel.generated(a), TinyModel.generated(b));
    assertNotEquals(List.of(), List.of(TinyModel.generated(a)));
  }

  @Test
  void refusesARequestLongerThanTheContextNamingTheNumbers() {
    GenerationLoop loop = loop(OPTIONS.withMaxSequenceTokens(64));
    InferenceException.InvalidInput e = assertThrows(InferenceException.InvalidInput.class,
        () -> loop.submit(new GenerationRequest(prompt("x".repeat(40)), SamplingParams.greedy(30)),
            new RecordingListener()));
    assertEquals("the prompt (40 tokens) and max_tokens (30) exceed the model's context of 64 tokens", e.getMessage());
    assertThrows(InferenceException.InvalidInput.class,
        () -> loop.submit(new GenerationRequest(new int[] {1, 999}, SamplingParams.greedy(3)), new RecordingListener()));
    assertFalse(loop.hasWork());
  }

  @Test
  void refusesAsOverloadBeyondTheWaitingLimit() {
    GenerationOptions options = new GenerationOptions(1, 8, 8, 64, 8, 2, GenerationOptions.Admission.CONTINUOUS, 256);
    GenerationLoop loop = loop(options);
    for (int i = 0; i < 2; i++) {
      loop.submit(new GenerationRequest(prompt("q"), SamplingParams.greedy(2)), new RecordingListener());
    }
    InferenceException e = assertThrows(InferenceException.Overloaded.class,
        () -> loop.submit(new GenerationRequest(prompt("q"), SamplingParams.greedy(2)), new RecordingListener()));
    assertInstanceOf(InferenceException.Overloaded.class, e);
    runUntilIdle(loop);
  }

  @Test
  void aModelFailureFailsTheSequencesOfThatStepOnly() throws Exception {
    GenerationLoop loop = loop(OPTIONS);
    RecordingListener listener = new RecordingListener();
    // A prompt token whose position is beyond the model's position table makes the runtime fail.
    GenerationLoop beyond = new GenerationLoop(DecoderModel.of(model), TinyModel.TOKENIZER,
        OPTIONS.withMaxSequenceTokens(4096).withKvBlocks(1024, 8), clock::get, GenerationObserver.NONE, s -> {});
    beyond.submit(new GenerationRequest(prompt("y".repeat(1100)), SamplingParams.greedy(1)), listener);
    runUntilIdle(beyond);
    ExecutionException failure = assertThrows(ExecutionException.class, listener.done::get);
    assertInstanceOf(InferenceException.BackendFailure.class, failure.getCause());
    assertEquals(0, beyond.kvBlocksUsed());
    GenerationHandle fine = loop.submit(new GenerationRequest(prompt("fine"), SamplingParams.greedy(3)),
        new RecordingListener());
    runUntilIdle(loop);
    assertEquals(3, TinyModel.generated(fine).length);
  }

  private static String decode(int[] tokens) {
    byte[] bytes = new byte[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      bytes[i] = (byte) tokens[i];
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
