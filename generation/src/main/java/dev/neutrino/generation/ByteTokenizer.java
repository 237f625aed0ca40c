package dev.neutrino.generation;

import java.nio.charset.StandardCharsets;

/**
 * A byte-level tokenizer: each byte of the UTF-8 text is its own token (0 to 255), followed in the
 * vocabulary by special tokens, of which one is end-of-sequence.
 *
 * @param endOfSequence the end-of-sequence token, 256 or above
 * @param vocabularySize all token ids, bytes and specials
 */
public record ByteTokenizer(int endOfSequence, int vocabularySize) implements Tokenizer {
  public static final int BYTES = 256;
  private static final byte[] NOTHING = new byte[0];

  public ByteTokenizer {
    if (endOfSequence < BYTES || endOfSequence >= vocabularySize) {
      throw new IllegalArgumentException("end-of-sequence token " + endOfSequence
          + " must be a special token, between 256 and " + (vocabularySize - 1));
    }
  }

  @Override
  public int[] encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int[] tokens = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      tokens[i] = bytes[i] & 0xFF;
    }
    return tokens;
  }

  @Override
  public byte[] bytes(int token) {
    return token >= 0 && token < BYTES ? new byte[] {(byte) token} : NOTHING;
  }
}
