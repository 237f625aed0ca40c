package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The response parser without sockets: each response is fed split in two at every byte position (and
 * one byte at a time), and must read the same whatever the split.
 */
class Http1ResponseParserTest {

  /** What the parser made of a response: status, keep-alive, the binary header length and the body. */
  private record Parsed(int status, boolean keepAlive, String headerLength, String body, boolean complete, int left) {}

  /** Feeds {@code response} in pieces ending at {@code cuts}; {@code endOfInput}: the connection then closes. */
  private static Parsed parse(String response, boolean collect, boolean endOfInput, int... cuts)
      throws Http1ResponseParser.BadResponse {
    Http1ResponseParser parser = new Http1ResponseParser();
    parser.begin(collect);
    byte[] bytes = response.getBytes(StandardCharsets.ISO_8859_1);
    boolean complete = false;
    int left = 0;
    int from = 0;
    int[] ends = java.util.Arrays.copyOf(cuts, cuts.length + 1);
    ends[cuts.length] = bytes.length;
    for (int end : ends) {
      ByteBuf piece = Unpooled.wrappedBuffer(bytes, from, end - from);
      try {
        if (!complete) {
          complete = parser.feed(piece);
          left += piece.readableBytes();
        } else {
          left += piece.readableBytes();
        }
      } finally {
        piece.release();
      }
      from = end;
    }
    if (!complete && endOfInput) {
      complete = parser.endOfInput();
    }
    return new Parsed(parser.status(), parser.keepAlive(), parser.headerLength(),
        new String(parser.body(), StandardCharsets.ISO_8859_1), complete, left);
  }

  /** The response parsed whole, then split at every position and byte by byte, gives the same result. */
  private static Parsed parseEverySplit(String response, boolean collect, boolean endOfInput) throws Exception {
    Parsed whole = parse(response, collect, endOfInput);
    for (int cut = 0; cut <= response.length(); cut++) {
      assertEquals(whole, parse(response, collect, endOfInput, cut), "split at " + cut);
    }
    int[] everyByte = new int[response.length()];
    for (int i = 0; i < everyByte.length; i++) {
      everyByte[i] = i;
    }
    assertEquals(whole, parse(response, collect, endOfInput, everyByte), "one byte at a time");
    return whole;
  }

  @Test
  void readsAResponseWithContentLengthWhereverItIsSplit() throws Exception {
    Parsed p = parseEverySplit("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 5\r\n"
        + "Inference-Header-Content-Length: 3\r\n\r\nhello", true, false);

    assertEquals(new Parsed(200, true, "3", "hello", true, 0), p);
  }

  @Test
  void skipsTheBodyUnlessAskedToCollectIt() throws Exception {
    Parsed p = parseEverySplit("HTTP/1.1 429 Too Many Requests\r\ncontent-length: 7\r\nretry-after: 1\r\n\r\n{\"e\":1}",
        false, false);

    assertEquals(new Parsed(429, true, null, "", true, 0), p);
  }

  @Test
  void readsChunkedBodiesWithExtensionsAndTrailers() throws Exception {
    Parsed p = parseEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5;name=value\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nX-Trailer: t\r\n\r\n", true, false);

    assertEquals(new Parsed(200, true, null, "hello abcdefghijklmnopqrstuvwxy", true, 0), p);
  }

  @Test
  void honoursConnectionCloseAndHttp10() throws Exception {
    assertFalse(parseEverySplit("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false, false)
        .keepAlive());
    assertFalse(parseEverySplit("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, false).keepAlive());
    assertTrue(parseEverySplit("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", false,
        false).keepAlive());
  }

  @Test
  void aBodyWithoutLengthRunsUntilTheConnectionEnds() throws Exception {
    String response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it";

    assertEquals(new Parsed(200, false, null, "all of it", true, 0), parseEverySplit(response, true, true));
    assertFalse(parse(response, true, false).complete(), "not complete before the connection ends");
  }

  @Test
  void passesOverInterimResponses() throws Exception {
    Parsed p = parseEverySplit("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\n"
        + "Content-Length: 2\r\n\r\nno", true, false);

    assertEquals(new Parsed(503, true, null, "no", true, 0), p);
  }

  @Test
  void leavesBytesAfterTheResponseUnread() throws Exception {
    Parsed p = parse("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n", false, false);

    assertTrue(p.complete());
    assertEquals(17, p.left());
  }

  @Test
  void aResponseCutShortIsNotComplete() throws Exception {
    Http1ResponseParser parser = new Http1ResponseParser();
    parser.begin(false);
    ByteBuf half = Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345", StandardCharsets.US_ASCII);
    try {
      assertFalse(parser.feed(half));
    } finally {
      half.release();
    }

    assertFalse(parser.endOfInput());
    assertTrue(parser.active());
  }

  @Test
  void refusesWhatItCannotReadNamingTheProblem() {
    assertBad("not an HTTP/1.x status line", "HTTP/2 200\r\n\r\n");
    assertBad("not an HTTP/1.x status line", "SSH-2.0-OpenSSH\r\n\r\n");
    assertBad("three digits", "HTTP/1.1 2x0 OK\r\n\r\n");
    assertBad("without a name and colon", "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n");
    assertBad("bad Content-Length '12a'", "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n");
    assertBad("two different Content-Length headers", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
    assertBad("unsupported Transfer-Encoding 'gzip'", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
    assertBad("bad chunk size line", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    assertBad("not followed by CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n");
    assertBad("101 Switching Protocols", "HTTP/1.1 101 Switching Protocols\r\n\r\n");
    assertBad("longer than " + Http1ResponseParser.MAX_LINE_BYTES,
        "HTTP/1.1 200 OK\r\nX: " + "a".repeat(Http1ResponseParser.MAX_LINE_BYTES) + "\r\n\r\n");
  }

  @Test
  void refusesBytesWithNoRequestOutstanding() {
    Http1ResponseParser parser = new Http1ResponseParser();
    ByteBuf stray = Unpooled.copiedBuffer("HTTP/1.1 408 Request Timeout\r\n\r\n", StandardCharsets.US_ASCII);
    try {
      Http1ResponseParser.BadResponse e = assertThrows(Http1ResponseParser.BadResponse.class, () -> parser.feed(stray));
      assertTrue(e.getMessage().contains("no request outstanding"), e.getMessage());
    } finally {
      stray.release();
    }
  }

  @Test
  void parsesOneResponseAfterAnotherOnTheSameParser() throws Exception {
    Http1ResponseParser parser = new Http1ResponseParser();
    for (int i = 0; i < 3; i++) {
      parser.begin(i == 1);
      ByteBuf in = Unpooled.copiedBuffer("HTTP/1.1 20" + i + " X\r\nContent-Length: 3\r\n\r\nab" + i,
          StandardCharsets.US_ASCII);
      try {
        assertTrue(parser.feed(in));
      } finally {
        in.release();
      }
      assertEquals(200 + i, parser.status());
      assertNull(parser.headerLength());
      assertArrayEquals(i == 1 ? "ab1".getBytes(StandardCharsets.US_ASCII) : new byte[0], parser.body());
    }
  }

  private static void assertBad(String expected, String response) {
    Http1ResponseParser.BadResponse e = assertThrows(Http1ResponseParser.BadResponse.class,
        () -> parse(response, true, false), response);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
