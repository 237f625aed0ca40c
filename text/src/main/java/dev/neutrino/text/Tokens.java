package dev.neutrino.text;

/**
 * One text's tokens, unpadded.
 *
 * @param ids the token ids, special tokens included
 * @param typeIds the token type (segment) ids, as long as {@code ids}
 */
public record Tokens(long[] ids, long[] typeIds) {
  public Tokens {
    if (ids.length != typeIds.length) {
      throw new IllegalArgumentException(ids.length + " ids but " + typeIds.length + " type ids");
    }
  }

  /** Token ids alone, all of type 0. */
  public static Tokens of(long... ids) {
    return new Tokens(ids, new long[ids.length]);
  }

  /** How many tokens: what OpenAI's {@code usage} counts. */
  public int length() {
    return ids.length;
  }
}
