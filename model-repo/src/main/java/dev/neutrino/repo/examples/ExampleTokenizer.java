package dev.neutrino.repo.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The example text_encoder's tokenizer: a Hugging Face {@code tokenizer.json} for a BERT-style
 * WordPiece vocabulary of exactly the model's id range. Lower-cased; {@code [CLS] text [SEP]};
 * pieces are every printable ASCII character, common English words, and letter pairs and triples
 * (as words and as {@code ##} continuations) until the vocabulary is full, so any ASCII text
 * tokenizes without unknown tokens. The same bytes on every build.
 */
final class ExampleTokenizer {
  static final String PAD = "[PAD]";
  static final String UNK = "[UNK]";
  static final String CLS = "[CLS]";
  static final String SEP = "[SEP]";
  static final String MASK = "[MASK]";
  private static final List<String> SPECIAL = List.of(PAD, UNK, CLS, SEP, MASK);

  private static final String WORDS = """
      the of and to in is was he for it with as his on be at by i this had not are but from or have an
      they which one you were her all she there would their we him been has when who will more no if out
      so said what up its about into than them can only other new some could time these two may then do
      first any my now such like our over man me even most made after also did many before must through
      back years where much your way well down should because each just those people how too little state
      good very make world still own see men work long get here between both life being under never day
      same another know while last might us great old year off come since against go came right used take
      three text model token embedding search query document answer question hello world neutrino gateway
      serving batch tensor vector chat data fast slow cat dog fish bird sun moon star sky sea
      """;

  private ExampleTokenizer() {}

  /** The vocabulary, in id order: exactly {@code size} distinct pieces. */
  static List<String> vocabulary(int size) {
    Set<String> vocab = new LinkedHashSet<>(SPECIAL);
    for (char c = 33; c < 127; c++) {
      if (!Character.isUpperCase(c)) {
        vocab.add(String.valueOf(c));
      }
    }
    for (char c = 33; c < 127; c++) {
      if (Character.isLowerCase(c) || Character.isDigit(c)) {
        vocab.add("##" + c);
      }
    }
    for (String word : WORDS.trim().split("\\s+")) {
      vocab.add(word);
    }
    for (char a = 'a'; a <= 'z'; a++) {
      for (char b = 'a'; b <= 'z'; b++) {
        vocab.add("" + a + b);
        vocab.add("##" + a + b);
      }
    }
    outer:
    for (char a = 'a'; a <= 'z'; a++) {
      for (char b = 'a'; b <= 'z'; b++) {
        for (char c = 'a'; c <= 'z'; c++) {
          if (vocab.size() >= size) {
            break outer;
          }
          vocab.add("##" + a + b + c);
          if (vocab.size() < size) {
            vocab.add("" + a + b + c);
          }
        }
      }
    }
    if (vocab.size() != size) {
      throw new IllegalStateException("vocabulary of " + vocab.size() + " pieces, not " + size);
    }
    return new ArrayList<>(vocab);
  }

  /** The {@code tokenizer.json} for a vocabulary of {@code size} ids. */
  static byte[] json(int size) {
    List<String> pieces = vocabulary(size);
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (int id = 0; id < pieces.size(); id++) {
      vocab.put(pieces.get(id), id);
    }
    List<Map<String, Object>> added = new ArrayList<>();
    for (String token : SPECIAL) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("id", vocab.get(token));
      entry.put("content", token);
      entry.put("single_word", false);
      entry.put("lstrip", false);
      entry.put("rstrip", false);
      entry.put("normalized", false);
      entry.put("special", true);
      added.add(entry);
    }
    Map<String, Object> normalizer = new LinkedHashMap<>();
    normalizer.put("type", "BertNormalizer");
    normalizer.put("clean_text", true);
    normalizer.put("handle_chinese_chars", true);
    normalizer.put("strip_accents", null);
    normalizer.put("lowercase", true);

    Map<String, Object> specialTokens = new LinkedHashMap<>();
    for (String token : List.of(CLS, SEP)) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("id", token);
      entry.put("ids", List.of(vocab.get(token)));
      entry.put("tokens", List.of(token));
      specialTokens.put(token, entry);
    }
    Map<String, Object> post = new LinkedHashMap<>();
    post.put("type", "TemplateProcessing");
    post.put("single", List.of(special(CLS, 0), sequence("A", 0), special(SEP, 0)));
    post.put("pair", List.of(special(CLS, 0), sequence("A", 0), special(SEP, 0), sequence("B", 1), special(SEP, 1)));
    post.put("special_tokens", specialTokens);

    Map<String, Object> decoder = new LinkedHashMap<>();
    decoder.put("type", "WordPiece");
    decoder.put("prefix", "##");
    decoder.put("cleanup", true);

    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "WordPiece");
    model.put("unk_token", UNK);
    model.put("continuing_subword_prefix", "##");
    model.put("max_input_chars_per_word", 100);
    model.put("vocab", vocab);

    Map<String, Object> root = new LinkedHashMap<>();
    root.put("version", "1.0");
    root.put("truncation", null);
    root.put("padding", null);
    root.put("added_tokens", added);
    root.put("normalizer", normalizer);
    root.put("pre_tokenizer", Map.of("type", "BertPreTokenizer")); // one key
    root.put("post_processor", post);
    root.put("decoder", decoder);
    root.put("model", model);
    try {
      return new ObjectMapper().writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, Object> special(String token, int typeId) {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("id", token);
    inner.put("type_id", typeId);
    return Map.of("SpecialToken", inner); // one key: its order cannot vary
  }

  private static Map<String, Object> sequence(String id, int typeId) {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("id", id);
    inner.put("type_id", typeId);
    return Map.of("Sequence", inner); // one key
  }
}
