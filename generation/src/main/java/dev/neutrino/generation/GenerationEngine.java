package dev.neutrino.generation;

import dev.neutrino.batching.Ticker;
import dev.neutrino.runtime.ComputePriority;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.TensorSpec;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Generates text from one decoder-only model with continuous batching: sequences join and leave the
 * running batch between model steps, each sequence's key/value cache lives in preallocated blocks, and
 * a long prompt is fed in chunks so it does not hold up everyone's next token.
 *
 * <p>One thread per engine runs every step and calls every listener; {@link #submit}, {@link
 * GenerationHandle#cancel()} and the gauges may be called from any thread. The engine owns its model
 * instance: nothing else may run it, and {@link #close()} closes it.
 */
public final class GenerationEngine implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(GenerationEngine.class.getName());

  private final GenerationLoop loop;
  private final LoadedModel instance;
  private final Thread thread;
  /** The engine thread's nice value ({@link ComputePriority}). */
  private final int computeNice;
  private volatile boolean closed;

  private GenerationEngine(LoadedModel instance, Tokenizer tokenizer, GenerationOptions options, Ticker ticker,
      GenerationObserver observer, String name, int computeNice) {
    this.instance = instance;
    this.computeNice = computeNice;
    this.thread = new Thread(this::run, "neutrino-generation-" + name);
    this.thread.setDaemon(true);
    this.loop = new GenerationLoop(DecoderModel.of(instance), tokenizer, options, ticker, observer,
        sequence -> LockSupport.unpark(thread));
  }

  /**
   * Starts an engine over {@code instance}, which it owns from now on.
   *
   * @param name names the engine's thread, for example the model's name
   * @throws IllegalArgumentException when the model does not take and return a key/value cache as
   *     {@link #takesCache} expects, naming what is missing, or the tokenizer does not fit it
   */
  public static GenerationEngine start(LoadedModel instance, Tokenizer tokenizer, GenerationOptions options,
      Ticker ticker, GenerationObserver observer, String name) {
    return start(instance, tokenizer, options, ticker, observer, name, ComputePriority.UNCHANGED);
  }

  /**
   * As {@link #start(LoadedModel, Tokenizer, GenerationOptions, Ticker, GenerationObserver, String)},
   * with the engine's thread at {@code computeNice} ({@link ComputePriority}).
   */
  public static GenerationEngine start(LoadedModel instance, Tokenizer tokenizer, GenerationOptions options,
      Ticker ticker, GenerationObserver observer, String name, int computeNice) {
    ComputePriority.requireNice(computeNice, "computeNice");
    GenerationEngine engine = new GenerationEngine(instance, tokenizer, options, ticker, observer, name, computeNice);
    engine.thread.start();
    return engine;
  }

  /**
   * Whether a model with these inputs is a generative model the engine can run: it takes {@code
   * past_key_values.0.key}.
   */
  public static boolean takesCache(List<TensorSpec> inputs) {
    return DecoderModel.takesCache(inputs);
  }

  /**
   * Queues a sequence. The listener hears from the engine's thread only.
   *
   * @throws InferenceException.InvalidInput when the prompt and {@code max_tokens} do not fit the
   *     model's context or its cache, or a token is outside the vocabulary
   * @throws InferenceException.Overloaded when too many sequences are waiting
   * @throws InferenceException.NotReady when the engine is closed
   */
  public GenerationHandle submit(GenerationRequest request, GenerationListener listener) {
    if (closed) {
      throw new InferenceException.NotReady("the model is unloading");
    }
    return loop.submit(request, listener);
  }

  /** Sequences in the running batch. */
  public int running() {
    return loop.running();
  }

  /** Sequences waiting to join it. */
  public int waiting() {
    return loop.waiting();
  }

  /** Key/value cache blocks held by sequences. */
  public int kvBlocksUsed() {
    return loop.kvBlocksUsed();
  }

  /** Key/value cache blocks in all. */
  public int kvBlocks() {
    return loop.kvBlocks();
  }

  /** Model steps run so far. */
  public long steps() {
    return loop.steps();
  }

  /**
   * Stops the engine: sequences still running or waiting fail as not ready, and the model instance is
   * closed once the thread has stopped. Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(thread);
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    instance.close();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    ComputePriority.lowerCurrentThread(computeNice); // where it cannot, the thread runs as before
    try {
      while (!closed) {
        boolean ran;
        try {
          ran = loop.step();
        } catch (RuntimeException e) {
          // A defect, not a model failure (those fail their step's sequences): fail everyone, keep serving.
          LOG.log(System.Logger.Level.ERROR, "generation step failed in " + thread.getName(), e);
          loop.failAll(new InferenceException.BackendFailure("the generation step failed", e));
          ran = true;
        }
        if (!ran && !closed) {
          LockSupport.park(this);
        }
      }
    } catch (Error e) {
      closed = true;
      LOG.log(System.Logger.Level.ERROR, "generation engine " + thread.getName() + " stopped", e);
      throw e;
    } finally {
      loop.failAll(new InferenceException.NotReady("the model is unloading"));
    }
  }
}
