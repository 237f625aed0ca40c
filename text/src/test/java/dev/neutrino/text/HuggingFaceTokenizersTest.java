package dev.neutrino.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A WordPiece tokenizer.json read through DJL's native tokenizers, with no network. */
class HuggingFaceTokenizersTest {
  /** [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, then pieces; lower-cased, [CLS] text [SEP]. */
  static final String WORDPIECE = """
      {"version": "1.0", "truncation": null, "padding": null,
       "added_tokens": [
         {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
         {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
         {"id": 2, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
         {"id": 3, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
       "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                      "strip_accents": null, "lowercase": true},
       "pre_tokenizer": {"type": "BertPreTokenizer"},
       "post_processor": {"type": "TemplateProcessing",
         "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                    {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
         "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                  {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                  {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
         "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                            "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
       "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
       "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                 "max_input_chars_per_word": 100,
                 "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "world": 5,
                           "neu": 6, "##tr": 7, "##ino": 8, "!": 9}}}
      """;

  @TempDir Path dir;

  private Tokenizer open(int maxLength) throws IOException {
    Path file = dir.resolve("tokenizer.json");
    Files.writeString(file, WORDPIECE);
    return HuggingFaceTokenizers.open(file, maxLength);
  }

  @Test
  void encodesWithSpecialTokensAndWordPieces() throws IOException {
    try (Tokenizer tokenizer = open(64)) {
      Tokens tokens = tokenizer.encode("Hello Neutrino world!");
      assertArrayEquals(new long[] {2, 4, 6, 7, 8, 5, 9, 3}, tokens.ids());
      assertArrayEquals(new long[8], tokens.typeIds());
      assertEquals(8, tokens.length());
      assertArrayEquals(new long[] {2, 1, 3}, tokenizer.encode("zebra").ids(), "unknown words are [UNK]");
      assertEquals("hello neutrino world!", tokenizer.decode(tokens.ids()));
      assertEquals(10, tokenizer.vocabularySize());
    }
  }

  @Test
  void truncatesToTheMaximumLengthKeepingTheSpecialTokens() throws IOException {
    try (Tokenizer tokenizer = open(4)) {
      assertArrayEquals(new long[] {2, 4, 5, 3}, tokenizer.encode("hello world hello world").ids());
    }
  }

  @Test
  void refusesFilesThatAreNotTokenizers() throws IOException {
    Path notJson = dir.resolve("broken.json");
    Files.writeString(notJson, "{\"model\": ");
    assertThrows(IOException.class, () -> HuggingFaceTokenizers.open(notJson, 8));
    Path noVocab = dir.resolve("empty.json");
    Files.writeString(noVocab, "{\"model\": {\"type\": \"WordPiece\"}}");
    assertThrows(IOException.class, () -> HuggingFaceTokenizers.open(noVocab, 8));
    assertThrows(IOException.class, () -> HuggingFaceTokenizers.open(dir.resolve("missing.json"), 8));
  }
}
