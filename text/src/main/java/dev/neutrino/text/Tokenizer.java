package dev.neutrino.text;

/**
 * Text to token ids and back, as one model was trained to read it. Thread-safe: one tokenizer
 * serves every request of its model at once.
 */
public interface Tokenizer extends AutoCloseable {
  /**
   * Encodes {@code text} with the model's special tokens, truncated to the tokenizer's maximum
   * length; never padded.
   */
  Tokens encode(String text);

  /** Decodes ids back to text, leaving special tokens out. */
  String decode(long[] ids);

  /** How many ids the vocabulary has: every id from 0 to this, exclusive, is a token. */
  int vocabularySize();

  /** Releases the tokenizer's native memory; it must not be used afterwards. */
  @Override
  void close();
}
