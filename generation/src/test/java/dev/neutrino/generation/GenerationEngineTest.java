package dev.neutrino.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.neutrino.batching.Ticker;
import dev.neutrino.runtime.ComputePriority;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine on its own thread, with submissions from other threads. */
class GenerationEngineTest {
  @TempDir Path folder;

  @Test
  void concurrentSubmissionsEachGetTheirOwnGreedyAnswer() throws Exception {
    LoadedModel reference = TinyModel.load(folder);
    List<GenerationHandle> handles = new ArrayList<>();
    List<RecordingListener> listeners = new ArrayList<>();
    try (GenerationEngine engine = GenerationEngine.start(TinyModel.load(folder), TinyModel.TOKENIZER,
        GenerationOptions.DEFAULT, Ticker.system(), GenerationObserver.NONE, "test")) {
      List<Thread> clients = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        RecordingListener listener = new RecordingListener();
        listeners.add(listener);
        handles.add(null);
        int index = i;
        Thread client = new Thread(() -> handles.set(index, engine.submit(
            new GenerationRequest(TinyModel.TOKENIZER.encode("client " + index), SamplingParams.greedy(10 + index)),
            listener)));
        client.start();
        clients.add(client);
      }
      for (Thread client : clients) {
        client.join();
      }
      for (int i = 0; i < 6; i++) {
        assertEquals(FinishReason.LENGTH, listeners.get(i).done.get(30, TimeUnit.SECONDS).reason());
        assertArrayEquals(TinyModel.greedyAlone(reference, TinyModel.TOKENIZER.encode("client " + i), 10 + i),
            TinyModel.generated(handles.get(i)), "client " + i);
      }
      assertEquals(0, engine.kvBlocksUsed());
      assertTrue(engine.steps() >= 15);
    } finally {
      reference.close();
    }
  }

  /** The engine's thread runs the model at the compute nice value; the caller's thread is left alone. */
  @Test
  void theEngineRunsItsModelAtTheComputeNiceValue() throws Exception {
    assumeTrue(ComputePriority.currentNice().isPresent(), "needs Linux's /proc/thread-self");
    int caller = ComputePriority.currentNice().getAsInt();
    Set<Integer> nices = ConcurrentHashMap.newKeySet();
    LoadedModel tiny = TinyModel.load(folder);
    LoadedModel recording = new LoadedModel() {
      @Override
      public List<TensorSpec> inputs() {
        return tiny.inputs();
      }

      @Override
      public List<TensorSpec> outputs() {
        return tiny.outputs();
      }

      @Override
      public String device() {
        return tiny.device();
      }

      @Override
      public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
        nices.add(ComputePriority.currentNice().orElse(-1));
        return tiny.run(inputs, outputs);
      }

      @Override
      public void close() {
        tiny.close();
      }
    };
    try (GenerationEngine engine = GenerationEngine.start(recording, TinyModel.TOKENIZER, GenerationOptions.DEFAULT,
        Ticker.system(), GenerationObserver.NONE, "test", 6)) {
      RecordingListener listener = new RecordingListener();
      engine.submit(new GenerationRequest(TinyModel.TOKENIZER.encode("nice"), SamplingParams.greedy(3)), listener);
      assertEquals(FinishReason.LENGTH, listener.done.get(30, TimeUnit.SECONDS).reason());
    }
    assertEquals(Set.of(Math.max(6, caller)), nices);
    assertEquals(caller, ComputePriority.currentNice().getAsInt());
  }

  @Test
  void closingFailsWhatIsStillRunningAsNotReadyAndRefusesMore() throws Exception {
    RecordingListener listener = new RecordingListener();
    CountDownLatch firstText = new CountDownLatch(1);
    GenerationEngine engine = GenerationEngine.start(TinyModel.load(folder), TinyModel.TOKENIZER,
        GenerationOptions.DEFAULT, Ticker.system(), GenerationObserver.NONE, "test");
    engine.submit(new GenerationRequest(TinyModel.TOKENIZER.encode("long"), SamplingParams.greedy(1000)),
        new GenerationListener() {
          @Override
          public void onText(String text, int completionTokens) {
            firstText.countDown();
          }

          @Override
          public void onFinish(Completion completion) {
            listener.onFinish(completion);
          }

          @Override
          public void onFailure(InferenceException failure) {
            listener.onFailure(failure);
          }
        });
    assertTrue(firstText.await(30, TimeUnit.SECONDS));
    engine.close();
    ExecutionException failure = assertThrows(ExecutionException.class, () -> listener.done.get(30, TimeUnit.SECONDS));
    assertInstanceOf(InferenceException.NotReady.class, failure.getCause());
    assertThrows(InferenceException.NotReady.class, () -> engine.submit(
        new GenerationRequest(new int[] {1}, SamplingParams.greedy(1)), new RecordingListener()));
  }
}
