package dev.neutrino.generation;

import dev.neutrino.batching.Ticker;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.Tensor;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The core of continuous batching: one model step at a time, over a running batch that sequences join
 * and leave between steps.
 *
 * <p>Design: {@link #submit} (any thread) puts a sequence on a concurrent queue and wakes the engine;
 * everything else, {@link #step} included, runs on one thread (the engine's, or a test's), so the
 * waiting queue, the running batch, the cache and every sequence's state need no lock. A step: move
 * submitted sequences to the waiting queue; drop cancelled sequences (their blocks go back at once);
 * ask {@link StepPolicy} who joins and how many tokens each feeds; run the model once on the padded
 * batch; write the new keys and values into the sequences' blocks; sample a token for each sequence
 * whose known tokens are now all cached; finish those that are done. Rows that decode and rows that
 * read their prompt run as two calls of the model in one step, so a decoding row is never padded to a
 * prompt chunk's length.
 *
 * <p>The padded batch: with {@code P} the longest cached length and {@code S} the most tokens fed,
 * row {@code b}'s cache sits at the end of the {@code P} past slots and its new tokens at the start of
 * the {@code S} new slots, with {@code attention_mask} 0 on every other slot. The model's causal mask
 * over slots then gives each row exactly what it would compute alone.
 */
final class GenerationLoop {
  private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final DecoderModel model;
  private final Tokenizer tokenizer;
  private final GenerationOptions options;
  private final Ticker ticker;
  private final GenerationObserver observer;
  private final KvBlockPool pool;
  private final Consumer<Sequence> wake;
  private final ConcurrentLinkedQueue<Sequence> submitted = new ConcurrentLinkedQueue<>();
  private final AtomicInteger waitingCount = new AtomicInteger();
  private final AtomicLong ids = new AtomicLong();
  // Confined to the stepping thread:
  private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
  private final List<Sequence> running = new ArrayList<>();
  private volatile int runningCount;
  private volatile long steps;

  GenerationLoop(DecoderModel model, Tokenizer tokenizer, GenerationOptions options, Ticker ticker,
      GenerationObserver observer, Consumer<Sequence> wake) {
    if (tokenizer.vocabularySize() != model.vocabulary()) {
      throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabularySize()
          + " tokens but the model's logits have " + model.vocabulary());
    }
    this.model = model;
    this.tokenizer = tokenizer;
    this.options = options;
    this.ticker = ticker;
    this.observer = observer;
    this.wake = wake;
    this.pool = new KvBlockPool(options.kvBlocks(), options.blockTokens(), model.layers(), model.heads(),
        model.headWidth());
  }

  /**
   * Queues a sequence; it joins the running batch at a coming step. Any thread.
   *
   * @throws InferenceException.InvalidInput when the prompt and {@code max_tokens} exceed the context
   *     or a token id is out of the vocabulary
   * @throws InferenceException.Overloaded when {@code maxWaiting} sequences already wait
   */
  Sequence submit(GenerationRequest request, GenerationListener listener) {
    int length = request.promptLength() + request.sampling().maxTokens();
    if (length > options.maxSequenceTokens()) {
      throw new InferenceException.InvalidInput("the prompt (" + request.promptLength() + " tokens) and max_tokens ("
          + request.sampling().maxTokens() + ") exceed the model's context of " + options.maxSequenceTokens()
          + " tokens");
    }
    int blocks = options.blocksFor(length);
    if (blocks > pool.capacity()) {
      throw new InferenceException.InvalidInput("the prompt (" + request.promptLength() + " tokens) and max_tokens ("
          + request.sampling().maxTokens() + ") exceed the key/value cache of "
          + (long) pool.capacity() * options.blockTokens() + " tokens");
    }
    for (int i = 0; i < request.promptLength(); i++) {
      int token = request.promptToken(i);
      if (token < 0 || token >= model.vocabulary()) {
        throw new InferenceException.InvalidInput(
            "prompt token " + i + " is " + token + ", outside the vocabulary of " + model.vocabulary());
      }
    }
    if (waitingCount.incrementAndGet() > options.maxWaiting()) {
      waitingCount.decrementAndGet();
      throw new InferenceException.Overloaded(
          "too many sequences are waiting to generate", "queue_full", RETRY_AFTER);
    }
    long seed = request.sampling().seed() != null ? request.sampling().seed() : ThreadLocalRandom.current().nextLong();
    Sequence sequence = new Sequence(ids.incrementAndGet(), request, listener, blocks, seed, ticker.read(), wake);
    submitted.add(sequence);
    wake.accept(sequence);
    return sequence;
  }

  int running() {
    return runningCount;
  }

  int waiting() {
    return waitingCount.get();
  }

  int kvBlocksUsed() {
    return pool.used();
  }

  int kvBlocks() {
    return pool.capacity();
  }

  /** Model steps run so far. */
  long steps() {
    return steps;
  }

  /** Whether a step might do something: sequences are running, waiting or submitted. */
  boolean hasWork() {
    return !running.isEmpty() || !waiting.isEmpty() || !submitted.isEmpty();
  }

  /**
   * Runs one scheduling round and, when any sequence feeds tokens, one step (one or two runs of the
   * model). Only ever on one thread at a time.
   *
   * @return whether a step ran
   */
  boolean step() {
    for (Sequence s; (s = submitted.poll()) != null; ) {
      waiting.add(s);
    }
    dropCancelled();
    StepPolicy.Plan plan = StepPolicy.plan(running, List.copyOf(waiting), pool.free(), options);
    int alreadyRunning = running.size();
    for (int i = 0; i < plan.admitted(); i++) {
      Sequence joining = waiting.poll();
      waitingCount.decrementAndGet();
      joining.blocks = pool.allocate(joining.reservedBlocks);
      running.add(joining);
    }
    runningCount = running.size();
    List<Sequence> batch = new ArrayList<>();
    List<Integer> feeds = new ArrayList<>();
    for (int i = 0; i < running.size(); i++) {
      int feed = i < alreadyRunning ? plan.runningFeeds()[i] : plan.admittedFeeds()[i - alreadyRunning];
      if (feed > 0) {
        batch.add(running.get(i));
        feeds.add(feed);
      }
    }
    if (batch.isEmpty()) {
      return false;
    }
    steps++;
    observer.step();
    // Decoding rows feed one token; padding them to a prompt chunk's length would multiply their cost,
    // so rows reading their prompt run as a second call of the same step.
    List<Sequence> decoding = new ArrayList<>();
    List<Sequence> reading = new ArrayList<>();
    List<Integer> readingFeeds = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      if (feeds.get(i) == 1) {
        decoding.add(batch.get(i));
      } else {
        reading.add(batch.get(i));
        readingFeeds.add(feeds.get(i));
      }
    }
    run(decoding, java.util.Collections.nCopies(decoding.size(), 1));
    run(reading, readingFeeds);
    return true;
  }

  /** Runs the model once on {@code batch}, padded, and advances its sequences; nothing when it is empty. */
  private void run(List<Sequence> batch, List<Integer> feeds) {
    if (batch.isEmpty()) {
      return;
    }
    Map<String, Tensor> outputs;
    try {
      outputs = model.model().run(inputs(batch, feeds), model.stepOutputs());
    } catch (RuntimeException e) {
      InferenceException failure = e instanceof InferenceException known
          ? known : new InferenceException.BackendFailure("the model failed on a generation step", e);
      for (Sequence s : batch) {
        remove(s);
        s.listener.onFailure(failure);
      }
      return;
    }
    advance(batch, feeds, outputs);
  }

  /** Fails every sequence, running, waiting or submitted, with {@code failure}; later ones are served as usual. */
  void failAll(InferenceException failure) {
    for (Sequence s; (s = submitted.poll()) != null; ) {
      waiting.add(s);
    }
    for (Sequence s : waiting) {
      waitingCount.decrementAndGet();
      s.listener.onFailure(failure);
    }
    waiting.clear();
    for (Sequence s : List.copyOf(running)) {
      remove(s);
      s.listener.onFailure(failure);
    }
  }

  private void dropCancelled() {
    for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
      Sequence s = it.next();
      if (s.cancelled()) {
        it.remove();
        waitingCount.decrementAndGet();
        s.listener.onFinish(new Completion(FinishReason.CANCELLED, s.promptLength, 0));
      }
    }
    for (Sequence s : List.copyOf(running)) {
      if (s.cancelled()) {
        remove(s);
        s.listener.onFinish(new Completion(FinishReason.CANCELLED, s.promptLength, s.generated()));
      }
    }
  }

  private void remove(Sequence s) {
    running.remove(s);
    runningCount = running.size();
    if (s.blocks != null) {
      pool.release(s.blocks);
      s.blocks = null;
    }
  }

  private Map<String, Tensor> inputs(List<Sequence> batch, List<Integer> feeds) {
    int rows = batch.size();
    int pastSlots = 0;
    int newSlots = 0;
    for (int b = 0; b < rows; b++) {
      pastSlots = Math.max(pastSlots, batch.get(b).cached);
      newSlots = Math.max(newSlots, feeds.get(b));
    }
    int slots = pastSlots + newSlots;
    long[] ids = new long[rows * newSlots];
    long[] positions = new long[rows * newSlots];
    long[] mask = new long[rows * slots];
    for (int b = 0; b < rows; b++) {
      Sequence s = batch.get(b);
      int feed = feeds.get(b);
      for (int i = 0; i < feed; i++) {
        ids[b * newSlots + i] = s.token(s.cached + i);
        positions[b * newSlots + i] = s.cached + i;
      }
      java.util.Arrays.fill(mask, b * slots + pastSlots - s.cached, b * slots + pastSlots + feed, 1L);
    }
    Map<String, Tensor> inputs = new HashMap<>();
    inputs.put(DecoderModel.INPUT_IDS, Tensor.ofLongs(new long[] {rows, newSlots}, ids));
    inputs.put(DecoderModel.ATTENTION_MASK, Tensor.ofLongs(new long[] {rows, slots}, mask));
    if (model.positionIds()) {
      inputs.put(DecoderModel.POSITION_IDS, Tensor.ofLongs(new long[] {rows, newSlots}, positions));
    }
    long[] pastShape = {rows, model.heads(), pastSlots, model.headWidth()};
    for (int layer = 0; layer < model.layers(); layer++) {
      for (int kv = 0; kv < 2; kv++) {
        ByteBuffer bytes = Tensor.allocate(4L * rows * model.heads() * pastSlots * model.headWidth());
        FloatBuffer past = bytes.asFloatBuffer();
        for (int b = 0; b < rows; b++) {
          Sequence s = batch.get(b);
          pool.gather(s.blocks, s.cached, layer, kv, past, b, pastSlots, pastSlots - s.cached);
        }
        inputs.put(DecoderModel.past(layer, kv), Tensor.of(DataType.FP32, pastShape, bytes));
      }
    }
    return inputs;
  }

  private void advance(List<Sequence> batch, List<Integer> feeds, Map<String, Tensor> outputs) {
    Tensor logitsTensor = outputs.get(DecoderModel.LOGITS);
    int newSlots = (int) logitsTensor.dim(1);
    FloatBuffer logits = logitsTensor.data().asFloatBuffer();
    FloatBuffer[][] present = new FloatBuffer[model.layers()][2];
    int slots = 0;
    for (int layer = 0; layer < model.layers(); layer++) {
      for (int kv = 0; kv < 2; kv++) {
        Tensor tensor = outputs.get(DecoderModel.present(layer, kv));
        present[layer][kv] = tensor.data().asFloatBuffer();
        slots = (int) tensor.dim(2);
      }
    }
    int pastSlots = slots - newSlots;
    int vocabulary = model.vocabulary();
    float[] row = new float[vocabulary];
    int promptTokens = 0;
    int completionTokens = 0;
    long now = ticker.read();
    for (int b = 0; b < batch.size(); b++) {
      Sequence s = batch.get(b);
      int feed = feeds.get(b);
      for (int layer = 0; layer < model.layers(); layer++) {
        for (int kv = 0; kv < 2; kv++) {
          pool.scatter(present[layer][kv], b, slots, pastSlots, feed, s.blocks, s.cached, layer, kv);
        }
      }
      promptTokens += Math.max(0, Math.min(s.cached + feed, s.promptLength) - s.cached);
      s.cached += feed;
      s.steps++;
      if (s.cached < s.known) {
        continue; // still reading its prompt
      }
      logits.get((b * newSlots + feed - 1) * vocabulary, row, 0, vocabulary);
      int token = s.sampler.next(row, 0, vocabulary);
      s.append(token);
      completionTokens++;
      if (s.generated() == 1) {
        s.firstTokenStep = steps;
        observer.firstToken(now - s.submittedNanos);
      } else {
        observer.betweenTokens(now - s.lastTokenNanos);
      }
      s.lastTokenNanos = now;
      emit(s, token);
    }
    observer.tokens(promptTokens, completionTokens);
  }

  private void emit(Sequence s, int token) {
    FinishReason finish = null;
    String out;
    if (token == tokenizer.endOfSequence()) {
      out = s.text.finish();
      finish = FinishReason.STOP;
    } else {
      out = s.text.add(tokenizer.bytes(token));
      if (s.text.stopped()) {
        finish = FinishReason.STOP;
      } else if (s.generated() == s.sampling.maxTokens()) {
        out += s.text.finish();
        finish = FinishReason.LENGTH;
      }
    }
    if (!out.isEmpty()) {
      s.listener.onText(out, s.generated());
    }
    if (finish != null) {
      remove(s);
      s.listener.onFinish(new Completion(finish, s.promptLength, s.generated()));
    }
  }
}
