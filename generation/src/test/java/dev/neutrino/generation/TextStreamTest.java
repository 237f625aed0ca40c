package dev.neutrino.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextStreamTest {

  @Test
  void aCharacterSplitOverTokensComesOutWhenItsLastByteArrives() {
    TextStream text = new TextStream(List.of());
    byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
    assertEquals("", text.add(new byte[] {euro[0]}));
    assertEquals("", text.add(new byte[] {euro[1]}));
    assertEquals("€", text.add(new byte[] {euro[2]}));
    assertEquals("a", text.add(new byte[] {'a'}));
  }

  @Test
  void bytesThatAreNotUtf8BecomeReplacementCharacters() {
    TextStream text = new TextStream(List.of());
    assertEquals("\uFFFDx", text.add(new byte[] {(byte) 0xFF, 'x'}));
    assertEquals("", text.add(new byte[] {(byte) 0xE2}));
    assertEquals("\uFFFD", text.finish());
  }

  @Test
  void textThatMayBeginAStopStringIsHeldBackUntilItIsNot() {
    TextStream text = new TextStream(List.of("END"));
    assertEquals("ab", text.add("abE".getBytes(StandardCharsets.UTF_8)));
    assertEquals("", text.add("N".getBytes(StandardCharsets.UTF_8)));
    assertEquals("ENx", text.add("x".getBytes(StandardCharsets.UTF_8)));
    assertFalse(text.stopped());
  }

  @Test
  void aStopStringSplitOverTokensEndsTheTextBeforeIt() {
    TextStream text = new TextStream(List.of("\n\n", "END"));
    assertEquals("one", text.add("oneE".getBytes(StandardCharsets.UTF_8)));
    assertEquals("", text.add("N".getBytes(StandardCharsets.UTF_8)));
    assertEquals("", text.add("D and more".getBytes(StandardCharsets.UTF_8)));
    assertTrue(text.stopped());
    assertEquals("", text.add("z".getBytes(StandardCharsets.UTF_8)));
    assertEquals("", text.finish());
  }

  @Test
  void theEarliestOfSeveralStopStringsWins() {
    TextStream text = new TextStream(List.of("c", "b"));
    assertEquals("a", text.add("abc".getBytes(StandardCharsets.UTF_8)));
    assertTrue(text.stopped());
  }

  @Test
  void heldTextComesOutAtTheEnd() {
    TextStream text = new TextStream(List.of("STOP"));
    assertEquals("x", text.add("xST".getBytes(StandardCharsets.UTF_8)));
    assertEquals("ST", text.finish());
  }
}
