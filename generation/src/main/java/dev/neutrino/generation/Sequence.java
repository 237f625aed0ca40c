package dev.neutrino.generation;

import java.util.function.Consumer;

/**
 * One sequence's state: its tokens (prompt, then what it generated), how many of them are in its
 * cache, its blocks, sampler and text. Confined to the engine's thread except {@link #cancel()}.
 */
final class Sequence implements GenerationHandle, StepPolicy.SequenceView {
  final long id;
  final GenerationListener listener;
  final SamplingParams sampling;
  final int promptLength;
  final int reservedBlocks;
  final long submittedNanos;
  final Sampler sampler;
  final TextStream text;
  private final int[] tokens;
  private final Consumer<Sequence> wake;
  private volatile boolean cancelled;
  int known;
  int cached;
  int[] blocks;
  long lastTokenNanos;
  /** Model steps this sequence took part in. */
  int steps;
  /** The number of the step (counting from 1) that produced the first token, or -1. */
  long firstTokenStep = -1;

  Sequence(long id, GenerationRequest request, GenerationListener listener, int reservedBlocks, long seed,
      long submittedNanos, Consumer<Sequence> wake) {
    this.id = id;
    this.listener = listener;
    this.sampling = request.sampling();
    this.promptLength = request.promptLength();
    this.reservedBlocks = reservedBlocks;
    this.submittedNanos = submittedNanos;
    this.sampler = new Sampler(sampling, seed);
    this.text = new TextStream(sampling.stop());
    this.tokens = new int[promptLength + sampling.maxTokens()];
    for (int i = 0; i < promptLength; i++) {
      tokens[i] = request.promptToken(i);
    }
    this.known = promptLength;
    this.wake = wake;
  }

  @Override
  public void cancel() {
    cancelled = true;
    wake.accept(this);
  }

  boolean cancelled() {
    return cancelled;
  }

  @Override
  public int pendingTokens() {
    return known - cached;
  }

  @Override
  public int reservedBlocks() {
    return reservedBlocks;
  }

  int token(int index) {
    return tokens[index];
  }

  int generated() {
    return known - promptLength;
  }

  void append(int token) {
    tokens[known++] = token;
  }
}
