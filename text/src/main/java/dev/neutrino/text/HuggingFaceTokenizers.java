package dev.neutrino.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads Hugging Face's {@code tokenizer.json} with DJL's binding of the {@code tokenizers} library.
 * DJL extracts the native library from its jar on first use (into {@code DJL_CACHE_DIR}, by default
 * {@code ~/.djl.ai}); nothing is downloaded.
 */
public final class HuggingFaceTokenizers {
  private HuggingFaceTokenizers() {}

  /**
   * Loads {@code file}. Reads the file system: call from a worker, never from an event loop.
   *
   * @param maxLength the most tokens an encoding keeps (special tokens included); longer texts are
   *     truncated
   * @throws IOException when the file cannot be read or is not a tokenizer
   */
  public static Tokenizer open(Path file, int maxLength) throws IOException {
    if (maxLength < 1) {
      throw new IllegalArgumentException("maxLength must be >= 1, got " + maxLength);
    }
    if (!Files.isRegularFile(file)) {
      throw new IOException("no tokenizer file " + file.getFileName());
    }
    int vocabularySize = vocabularySize(file);
    HuggingFaceTokenizer tokenizer;
    try {
      tokenizer = HuggingFaceTokenizer.builder()
          .optTokenizerPath(file)
          .optAddSpecialTokens(true)
          .optTruncation(true)
          .optPadding(false)
          .optMaxLength(maxLength)
          .build();
    } catch (RuntimeException e) {
      // The native library reports a malformed file as a RuntimeException.
      throw new IOException("cannot read tokenizer " + file.getFileName() + ": " + e.getMessage(), e);
    }
    return new DjlTokenizer(tokenizer, vocabularySize);
  }

  /**
   * One more than the largest id of the file's model vocabulary ({@code model.vocab}: an object of
   * token to id for WordPiece, WordLevel and BPE, a list for Unigram) and its added tokens.
   */
  static int vocabularySize(Path file) throws IOException {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException("cannot read tokenizer " + file.getFileName() + ": not JSON", e);
    }
    long largest = -1;
    JsonNode vocab = root.path("model").path("vocab");
    if (vocab.isObject()) {
      for (JsonNode id : (Iterable<JsonNode>) vocab::elements) {
        largest = Math.max(largest, id.asLong(-1));
      }
    } else if (vocab.isArray()) {
      largest = vocab.size() - 1L;
    }
    for (JsonNode added : root.path("added_tokens")) {
      largest = Math.max(largest, added.path("id").asLong(-1));
    }
    if (largest < 0 || largest >= Integer.MAX_VALUE) {
      throw new IOException("tokenizer " + file.getFileName() + " has no model.vocab");
    }
    return (int) largest + 1;
  }

  private static final class DjlTokenizer implements Tokenizer {
    private final HuggingFaceTokenizer tokenizer;
    private final int vocabularySize;

    DjlTokenizer(HuggingFaceTokenizer tokenizer, int vocabularySize) {
      this.tokenizer = tokenizer;
      this.vocabularySize = vocabularySize;
    }

    @Override
    public int vocabularySize() {
      return vocabularySize;
    }

    @Override
    public Tokens encode(String text) {
      Encoding encoding = tokenizer.encode(text);
      return new Tokens(encoding.getIds(), encoding.getTypeIds());
    }

    @Override
    public String decode(long[] ids) {
      return tokenizer.decode(ids, true);
    }

    @Override
    public void close() {
      tokenizer.close();
    }
  }
}
