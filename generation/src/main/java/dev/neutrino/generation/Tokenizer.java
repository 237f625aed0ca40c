package dev.neutrino.generation;

/**
 * Turns text into a generative model's token ids and token ids back into bytes. Implementations are
 * immutable and thread-safe.
 */
public interface Tokenizer {

  /** The token ids of {@code text}. */
  int[] encode(String text);

  /**
   * The UTF-8 bytes token {@code token} stands for; empty for special tokens. A character may be
   * split over several tokens: decode the concatenation, not each token alone.
   */
  byte[] bytes(int token);

  /** The end-of-sequence token: generating it ends a sequence. */
  int endOfSequence();

  /** Token ids are 0 to {@code vocabularySize() - 1}. */
  int vocabularySize();
}
