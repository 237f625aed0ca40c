package dev.neutrino.repo.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExampleTokenizerTest {
  @Test
  void vocabularyFillsTheModelsIdRangeWithDistinctPieces() {
    List<String> vocabulary = ExampleTokenizer.vocabulary(ExampleModels.VOCABULARY);
    assertEquals(ExampleModels.VOCABULARY, vocabulary.size());
    assertEquals(ExampleModels.VOCABULARY, new HashSet<>(vocabulary).size());
    assertEquals(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"), vocabulary.subList(0, 5));
    for (char c = 'a'; c <= 'z'; c++) {
      assertTrue(vocabulary.contains(String.valueOf(c)) && vocabulary.contains("##" + c), "letter " + c);
    }
  }

  @Test
  void jsonIsTheSameBytesEveryTimeAndMapsEveryPieceToItsId() throws IOException {
    byte[] json = ExampleTokenizer.json(ExampleModels.VOCABULARY);
    assertArrayEquals(json, ExampleTokenizer.json(ExampleModels.VOCABULARY));
    JsonNode root = new ObjectMapper().readTree(json);
    assertEquals("WordPiece", root.get("model").get("type").asText());
    JsonNode vocab = root.get("model").get("vocab");
    assertEquals(ExampleModels.VOCABULARY, vocab.size());
    assertEquals(0, vocab.get("[PAD]").asInt());
    assertEquals(2, vocab.get("[CLS]").asInt());
  }
}
