package dev.neutrino.generation;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns one sequence's token bytes into text as it grows: only whole UTF-8 characters come out (a
 * character split over tokens waits for its last byte; bytes that are not UTF-8 become U+FFFD), and
 * text that might be the start of a stop string is held back until it is known not to be. Confined to
 * the engine's thread.
 */
final class TextStream {
  private final List<String> stops;
  private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPLACE)
      .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private ByteBuffer bytes = ByteBuffer.allocate(16);
  private CharBuffer chars = CharBuffer.allocate(16);
  private final StringBuilder held = new StringBuilder();
  private boolean stopped;

  TextStream(List<String> stops) {
    this.stops = stops;
  }

  /** Whether the text has reached a stop string; nothing comes out after that. */
  boolean stopped() {
    return stopped;
  }

  /** Adds a token's bytes and returns the text that may now go out, often "". */
  String add(byte[] tokenBytes) {
    if (stopped || tokenBytes.length == 0) {
      return "";
    }
    if (bytes.remaining() < tokenBytes.length) {
      ByteBuffer larger = ByteBuffer.allocate(bytes.capacity() + tokenBytes.length + 16);
      bytes.flip();
      larger.put(bytes);
      bytes = larger;
    }
    bytes.put(tokenBytes);
    bytes.flip();
    decode(false);
    bytes.compact();
    return release();
  }

  /** The text still held back, at the end of the sequence (an unfinished character as U+FFFD). */
  String finish() {
    if (stopped) {
      return "";
    }
    bytes.flip();
    decode(true);
    bytes.clear();
    String rest = release();
    String tail = stopped ? "" : held.toString();
    held.setLength(0);
    return rest + tail;
  }

  private void decode(boolean endOfInput) {
    chars.clear();
    if (chars.capacity() < bytes.remaining() + 2) {
      chars = CharBuffer.allocate(bytes.remaining() + 16);
    }
    decoder.decode(bytes, chars, endOfInput);
    if (endOfInput) {
      decoder.flush(chars);
      decoder.reset();
    }
    chars.flip();
    held.append(chars);
  }

  private String release() {
    int earliest = -1;
    for (String stop : stops) {
      int at = held.indexOf(stop);
      if (at >= 0 && (earliest < 0 || at < earliest)) {
        earliest = at;
      }
    }
    if (earliest >= 0) {
      stopped = true;
      String out = held.substring(0, earliest);
      held.setLength(0);
      return out;
    }
    int keep = 0;
    for (String stop : stops) {
      for (int length = Math.min(stop.length() - 1, held.length()); length > keep; length--) {
        if (stop.startsWith(held.substring(held.length() - length))) {
          keep = length;
          break;
        }
      }
    }
    String out = held.substring(0, held.length() - keep);
    held.delete(0, held.length() - keep);
    return out;
  }
}
