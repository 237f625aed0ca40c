package dev.neutrino.generation;

/**
 * How one model's generation engine schedules and caches. Immutable; validated on construction.
 *
 * @param maxRunning sequences in the running batch at most
 * @param stepTokenBudget tokens fed to the model in one step at most, decode and prefill together;
 *     at least {@code maxRunning}, so that every running sequence's next token fits
 * @param prefillChunk prompt tokens one sequence feeds in one step at most: a long prompt is fed in
 *     chunks, between which everyone else's next token is computed
 * @param kvBlocks key/value cache blocks, preallocated when the engine starts
 * @param blockTokens tokens one cache block holds
 * @param maxWaiting sequences waiting to join at most; beyond that a request is refused as overload
 * @param admission when waiting sequences join the running batch
 * @param maxSequenceTokens prompt and answer together at most: the model's context length
 */
public record GenerationOptions(
    int maxRunning, int stepTokenBudget, int prefillChunk, int kvBlocks, int blockTokens, int maxWaiting,
    Admission admission, int maxSequenceTokens) {
  public static final int DEFAULT_MAX_RUNNING = 32;
  public static final int DEFAULT_STEP_TOKEN_BUDGET = 256;
  public static final int DEFAULT_PREFILL_CHUNK = 128;
  public static final int DEFAULT_KV_BLOCKS = 2048;
  public static final int DEFAULT_BLOCK_TOKENS = 16;
  public static final int DEFAULT_MAX_WAITING = 1024;
  public static final int DEFAULT_MAX_SEQUENCE_TOKENS = 1024;

  /** The defaults: continuous batching of up to 32 sequences. */
  public static final GenerationOptions DEFAULT = new GenerationOptions(DEFAULT_MAX_RUNNING,
      DEFAULT_STEP_TOKEN_BUDGET, DEFAULT_PREFILL_CHUNK, DEFAULT_KV_BLOCKS, DEFAULT_BLOCK_TOKENS,
      DEFAULT_MAX_WAITING, Admission.CONTINUOUS, DEFAULT_MAX_SEQUENCE_TOKENS);

  /** When waiting sequences join the running batch. */
  public enum Admission {
    /** Between any two steps, as soon as there is room: iteration-level scheduling. */
    CONTINUOUS,
    /**
     * Only when the running batch is empty: a batch runs until its last sequence finishes (static
     * batching, the baseline continuous batching is measured against).
     */
    STATIC
  }

  public GenerationOptions {
    positive("maxRunning", maxRunning);
    positive("prefillChunk", prefillChunk);
    positive("kvBlocks", kvBlocks);
    positive("blockTokens", blockTokens);
    positive("maxSequenceTokens", maxSequenceTokens);
    if (maxWaiting < 0) {
      throw new IllegalArgumentException("maxWaiting must be >= 0, got " + maxWaiting);
    }
    if (stepTokenBudget < maxRunning) {
      throw new IllegalArgumentException("stepTokenBudget (" + stepTokenBudget
          + ") must be at least maxRunning (" + maxRunning + ") so every running sequence advances each step");
    }
    if ((long) kvBlocks * blockTokens > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "kvBlocks (" + kvBlocks + ") x blockTokens (" + blockTokens + ") is too many tokens");
    }
    if (admission == null) {
      throw new IllegalArgumentException("admission must be given");
    }
  }

  public GenerationOptions withMaxRunning(int value) {
    return new GenerationOptions(value, Math.max(value, stepTokenBudget), prefillChunk, kvBlocks, blockTokens,
        maxWaiting, admission, maxSequenceTokens);
  }

  public GenerationOptions withAdmission(Admission value) {
    return new GenerationOptions(maxRunning, stepTokenBudget, prefillChunk, kvBlocks, blockTokens, maxWaiting,
        value, maxSequenceTokens);
  }

  public GenerationOptions withPrefillChunk(int value) {
    return new GenerationOptions(maxRunning, stepTokenBudget, value, kvBlocks, blockTokens, maxWaiting,
        admission, maxSequenceTokens);
  }

  public GenerationOptions withStepTokenBudget(int value) {
    return new GenerationOptions(maxRunning, value, prefillChunk, kvBlocks, blockTokens, maxWaiting, admission,
        maxSequenceTokens);
  }

  public GenerationOptions withKvBlocks(int blocks, int tokensPerBlock) {
    return new GenerationOptions(maxRunning, stepTokenBudget, prefillChunk, blocks, tokensPerBlock, maxWaiting,
        admission, maxSequenceTokens);
  }

  public GenerationOptions withMaxSequenceTokens(int value) {
    return new GenerationOptions(maxRunning, stepTokenBudget, prefillChunk, kvBlocks, blockTokens, maxWaiting,
        admission, value);
  }

  /** Cache blocks a sequence of {@code tokens} tokens needs. */
  public int blocksFor(int tokens) {
    return (tokens + blockTokens - 1) / blockTokens;
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + value);
    }
  }
}
