package dev.neutrino.generation;

import java.util.List;

/**
 * The iteration-level scheduling decision: before each model step, which waiting sequences join the
 * running batch and how many tokens each sequence feeds. A pure function of the two queues, the free
 * cache blocks and the options; no clock.
 *
 * <p>Rules, in order: every running sequence that is decoding (one token pending) feeds it, so nobody's
 * next token waits on a prompt; running sequences still reading their prompt feed chunks of at most
 * {@code prefillChunk} tokens, first come first served, within what is left of {@code
 * stepTokenBudget}; then waiting sequences join in arrival order while the batch has room ({@code
 * maxRunning}) and the free blocks cover a sequence's whole reservation (prompt plus {@code
 * max_tokens}): the head of the queue is never overtaken. Under {@link
 * GenerationOptions.Admission#STATIC} nothing joins until the running batch is empty. A sequence that
 * joins feeds its first chunk in the same step, within the budget; with none left it feeds 0 and
 * starts next step.
 */
final class StepPolicy {
  private StepPolicy() {}

  /** What a sequence looks like to the policy. */
  interface SequenceView {
    /** Tokens known but not yet in the cache: 1 when decoding, the rest of the prompt when prefilling. */
    int pendingTokens();

    /** Cache blocks the sequence reserves for its whole length. */
    int reservedBlocks();
  }

  /**
   * The decision.
   *
   * @param admitted how many sequences from the head of the waiting queue join
   * @param runningFeeds tokens each running sequence feeds this step, in the running list's order
   * @param admittedFeeds tokens each joining sequence feeds this step
   */
  record Plan(int admitted, int[] runningFeeds, int[] admittedFeeds) {
    int totalTokens() {
      int total = 0;
      for (int feed : runningFeeds) {
        total += feed;
      }
      for (int feed : admittedFeeds) {
        total += feed;
      }
      return total;
    }
  }

  static Plan plan(List<? extends SequenceView> running, List<? extends SequenceView> waiting, int freeBlocks,
      GenerationOptions options) {
    int budget = options.stepTokenBudget();
    int[] runningFeeds = new int[running.size()];
    for (int i = 0; i < runningFeeds.length; i++) {
      if (running.get(i).pendingTokens() == 1) {
        runningFeeds[i] = 1;
        budget--;
      }
    }
    for (int i = 0; i < runningFeeds.length; i++) {
      int pending = running.get(i).pendingTokens();
      if (pending > 1) {
        runningFeeds[i] = Math.max(0, Math.min(Math.min(pending, options.prefillChunk()), budget));
        budget -= runningFeeds[i];
      }
    }
    int admitted = 0;
    boolean mayAdmit = options.admission() == GenerationOptions.Admission.CONTINUOUS || running.isEmpty();
    int free = freeBlocks;
    int[] admittedFeeds = new int[Math.min(waiting.size(), Math.max(0, options.maxRunning() - running.size()))];
    if (mayAdmit) {
      while (admitted < admittedFeeds.length && waiting.get(admitted).reservedBlocks() <= free) {
        SequenceView joining = waiting.get(admitted);
        free -= joining.reservedBlocks();
        admittedFeeds[admitted] = Math.max(0, Math.min(Math.min(joining.pendingTokens(), options.prefillChunk()), budget));
        budget -= admittedFeeds[admitted];
        admitted++;
      }
    }
    return new Plan(admitted, runningFeeds, java.util.Arrays.copyOf(admittedFeeds, admitted));
  }
}
