package dev.neutrino.loadtest;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An incremental parser of one HTTP/1.1 response at a time, fed whatever bytes each read brought:
 * the status line, the headers the generator needs ({@code Content-Length}, {@code Transfer-Encoding:
 * chunked}, {@code Connection}, {@code Inference-Header-Content-Length}), then the body, delimited by
 * its length, by chunks or by the connection's end. The body is skipped, or collected when
 * {@link #begin} asks for it. Interim (1xx) responses are passed over.
 *
 * <p>Lines are gathered in a scratch array of the parser's own, so a status line or header split
 * across reads costs nothing more than one that is not; nothing is allocated per response but a
 * collected body and the one header value kept as a string.
 *
 * <p>Not thread-safe: one connection's event loop owns it. It never keeps a reference to a buffer it
 * was fed; the caller releases it.
 */
final class Http1ResponseParser {
  /** The longest status or header line accepted. */
  static final int MAX_LINE_BYTES = 16 * 1024;
  /** The largest body collected for checking. */
  static final int MAX_COLLECTED_BYTES = 256 * 1024 * 1024;

  private static final byte[] CONTENT_LENGTH = bytes("content-length");
  private static final byte[] TRANSFER_ENCODING = bytes("transfer-encoding");
  private static final byte[] CONNECTION = bytes("connection");
  private static final byte[] HEADER_LENGTH = bytes(HttpInferenceClient.HEADER_LENGTH.toLowerCase(java.util.Locale.ROOT));

  private enum State { IDLE, STATUS, HEADERS, FIXED, UNTIL_CLOSE, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, DONE }

  private State state = State.IDLE;
  private byte[] line = new byte[128];
  private int lineLength;
  private boolean collect;

  private int status;
  private boolean http10;
  private boolean keepAlive;
  private boolean chunked;
  private long contentLength;
  private String headerLength;
  /** Body bytes still to come: of the fixed-length body, or of the current chunk. */
  private long remaining;
  private byte[] body;
  private int bodyLength;

  /** A response the parser cannot read; the connection it came on is not usable after it. */
  static final class BadResponse extends Exception {
    BadResponse(String message) {
      super(message, null, false, false);
    }
  }

  /** Starts on the response to a request just sent; {@code collectBody}: keep its body for {@link #body()}. */
  void begin(boolean collectBody) {
    state = State.STATUS;
    collect = collectBody;
    lineLength = 0;
    resetHead();
    body = null;
    bodyLength = 0;
  }

  /** Whether a response has been begun and not yet completed. */
  boolean active() {
    return state != State.IDLE && state != State.DONE;
  }

  /**
   * Reads from {@code in} as far as the current response goes; leaves any bytes after its end unread.
   *
   * @return true when the response is complete
   * @throws BadResponse when the bytes are not an HTTP/1.1 response the parser can read
   */
  boolean feed(ByteBuf in) throws BadResponse {
    while (true) {
      switch (state) {
        case IDLE -> throw new BadResponse("bytes from the server with no request outstanding");
        case DONE -> {
          return true;
        }
        case STATUS -> {
          if (!readLine(in)) {
            return false;
          }
          if (lineLength > 0) { // a stray empty line before the status line is tolerated (RFC 9112 2.2)
            statusLine();
            state = State.HEADERS;
          }
        }
        case HEADERS -> {
          if (!readLine(in)) {
            return false;
          }
          if (lineLength > 0) {
            header();
          } else {
            endOfHead();
          }
        }
        case FIXED -> {
          if (!body(in)) {
            return false;
          }
          state = State.DONE;
        }
        case UNTIL_CLOSE -> {
          remaining = Long.MAX_VALUE;
          body(in);
          return false;
        }
        case CHUNK_SIZE -> {
          if (!readLine(in)) {
            return false;
          }
          remaining = chunkSize();
          state = remaining == 0 ? State.TRAILERS : State.CHUNK_DATA;
        }
        case CHUNK_DATA -> {
          if (!body(in)) {
            return false;
          }
          state = State.CHUNK_END;
        }
        case CHUNK_END -> {
          if (!readLine(in)) {
            return false;
          }
          if (lineLength != 0) {
            throw new BadResponse("a chunk's data is not followed by CRLF");
          }
          state = State.CHUNK_SIZE;
        }
        case TRAILERS -> {
          if (!readLine(in)) {
            return false;
          }
          if (lineLength == 0) {
            state = State.DONE;
          }
          lineLength = 0; // a trailer field, passed over
        }
        default -> throw new IllegalStateException(state.name());
      }
    }
  }

  /**
   * The connection ended: completes a response whose body runs until the end of the connection.
   *
   * @return true when that made the response complete; false when it was cut short
   */
  boolean endOfInput() {
    if (state == State.UNTIL_CLOSE) {
      state = State.DONE;
      return true;
    }
    return state == State.DONE;
  }

  int status() {
    return status;
  }

  /** Whether the connection may carry another request after this response. */
  boolean keepAlive() {
    return keepAlive;
  }

  /** The {@code Inference-Header-Content-Length} header's value; null when absent. */
  String headerLength() {
    return headerLength;
  }

  /** The collected body (a copy of exactly its bytes); empty when none was collected. */
  byte[] body() {
    return body == null ? new byte[0] : Arrays.copyOf(body, bodyLength);
  }

  // ---------------------------------------------------------------------------------------------

  private void resetHead() {
    status = 0;
    http10 = false;
    keepAlive = true;
    chunked = false;
    contentLength = -1;
    headerLength = null;
  }

  /**
   * Gathers bytes up to the next LF into {@link #line} (without CR LF).
   *
   * @return true when a whole line is there; false when {@code in} ended first
   */
  private boolean readLine(ByteBuf in) throws BadResponse {
    int from = in.readerIndex();
    int lf = in.indexOf(from, in.writerIndex(), (byte) '\n');
    int end = lf < 0 ? in.writerIndex() : lf;
    int n = end - from;
    if (lineLength + n > MAX_LINE_BYTES) {
      throw new BadResponse("a status or header line longer than " + MAX_LINE_BYTES + " bytes");
    }
    if (lineLength + n > line.length) {
      line = Arrays.copyOf(line, Math.min(MAX_LINE_BYTES, Math.max(lineLength + n, 2 * line.length)));
    }
    in.getBytes(from, line, lineLength, n);
    lineLength += n;
    if (lf < 0) {
      in.readerIndex(end);
      return false;
    }
    in.readerIndex(lf + 1);
    if (lineLength > 0 && line[lineLength - 1] == '\r') {
      lineLength--;
    }
    return true;
  }

  private void statusLine() throws BadResponse {
    // HTTP/1.x SSS[ reason]
    if (lineLength < 12 || !startsWith("HTTP/1.") || (line[7] != '0' && line[7] != '1') || line[8] != ' '
        || (lineLength > 12 && line[12] != ' ')) {
      throw new BadResponse("not an HTTP/1.x status line: '" + shownLine() + "'");
    }
    int code = 0;
    for (int i = 9; i < 12; i++) {
      if (line[i] < '0' || line[i] > '9') {
        throw new BadResponse("a status code that is not three digits: '" + shownLine() + "'");
      }
      code = code * 10 + (line[i] - '0');
    }
    status = code;
    http10 = line[7] == '0';
    keepAlive = !http10;
    lineLength = 0;
  }

  private void header() throws BadResponse {
    int colon = -1;
    for (int i = 0; i < lineLength; i++) {
      if (line[i] == ':') {
        colon = i;
        break;
      }
    }
    if (colon <= 0) {
      throw new BadResponse("a header line without a name and colon: '" + shownLine() + "'");
    }
    int from = colon + 1;
    int to = lineLength;
    while (from < to && (line[from] == ' ' || line[from] == '\t')) {
      from++;
    }
    while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
      to--;
    }
    if (nameIs(CONTENT_LENGTH, colon)) {
      long length = decimal(from, to);
      if (contentLength >= 0 && contentLength != length) {
        throw new BadResponse("two different Content-Length headers: " + contentLength + " and " + length);
      }
      contentLength = length;
    } else if (nameIs(TRANSFER_ENCODING, colon)) {
      String coding = text(from, to).trim();
      if (!coding.equalsIgnoreCase("chunked")) {
        throw new BadResponse("unsupported Transfer-Encoding '" + coding + "' (only chunked)");
      }
      chunked = true;
    } else if (nameIs(CONNECTION, colon)) {
      String value = text(from, to).toLowerCase(java.util.Locale.ROOT);
      for (String token : value.split(",")) {
        if (token.trim().equals("close")) {
          keepAlive = false;
        } else if (token.trim().equals("keep-alive") && http10) {
          keepAlive = true;
        }
      }
    } else if (nameIs(HEADER_LENGTH, colon)) {
      headerLength = text(from, to);
    }
    lineLength = 0;
  }

  private void endOfHead() throws BadResponse {
    if (status / 100 == 1) {
      if (status == 101) {
        throw new BadResponse("101 Switching Protocols to a request that asked for no upgrade");
      }
      resetHead(); // an interim response: the final one follows
      state = State.STATUS;
      return;
    }
    if (status == 204 || status == 304) {
      state = State.DONE;
    } else if (chunked) {
      state = State.CHUNK_SIZE;
    } else if (contentLength >= 0) {
      remaining = contentLength;
      state = State.FIXED;
      if (collect && contentLength > MAX_COLLECTED_BYTES) {
        throw new BadResponse("a body of " + contentLength + " bytes, more than the " + MAX_COLLECTED_BYTES
            + " collected for checking");
      }
      if (collect) {
        body = new byte[(int) contentLength];
      }
    } else {
      keepAlive = false; // the body runs until the server closes the connection
      state = State.UNTIL_CLOSE;
    }
  }

  private long chunkSize() throws BadResponse {
    long size = 0;
    int digits = 0;
    for (int i = 0; i < lineLength && line[i] != ';' && line[i] != ' ' && line[i] != '\t'; i++) {
      int d = Character.digit(line[i], 16);
      if (d < 0 || ++digits > 15) {
        throw new BadResponse("a bad chunk size line: '" + shownLine() + "'");
      }
      size = size * 16 + d;
    }
    if (digits == 0) {
      throw new BadResponse("a bad chunk size line: '" + shownLine() + "'");
    }
    lineLength = 0;
    return size;
  }

  /** Takes up to {@link #remaining} body bytes from {@code in}; true when none remain. */
  private boolean body(ByteBuf in) throws BadResponse {
    int n = (int) Math.min(remaining, in.readableBytes());
    if (collect && n > 0) {
      if ((long) bodyLength + n > MAX_COLLECTED_BYTES) {
        throw new BadResponse("a body longer than the " + MAX_COLLECTED_BYTES + " bytes collected for checking");
      }
      if (body == null || bodyLength + n > body.length) {
        body = Arrays.copyOf(body == null ? new byte[0] : body,
            (int) Math.min(MAX_COLLECTED_BYTES, Math.max(bodyLength + n, 2L * bodyLength)));
      }
      in.getBytes(in.readerIndex(), body, bodyLength, n);
      bodyLength += n;
    }
    in.skipBytes(n);
    remaining -= n;
    return remaining == 0;
  }

  private long decimal(int from, int to) throws BadResponse {
    if (from == to || to - from > 18) {
      throw new BadResponse("a bad Content-Length '" + text(from, to) + "'");
    }
    long value = 0;
    for (int i = from; i < to; i++) {
      if (line[i] < '0' || line[i] > '9') {
        throw new BadResponse("a bad Content-Length '" + text(from, to) + "'");
      }
      value = value * 10 + (line[i] - '0');
    }
    return value;
  }

  private boolean nameIs(byte[] lowerCaseName, int nameLength) {
    if (nameLength != lowerCaseName.length) {
      return false;
    }
    for (int i = 0; i < nameLength; i++) {
      byte b = line[i];
      if (b >= 'A' && b <= 'Z') {
        b += 'a' - 'A';
      }
      if (b != lowerCaseName[i]) {
        return false;
      }
    }
    return true;
  }

  private boolean startsWith(String prefix) {
    for (int i = 0; i < prefix.length(); i++) {
      if (line[i] != prefix.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** The line read, as far as an error message shows it. */
  private String shownLine() {
    return text(0, Math.min(lineLength, 80));
  }

  private String text(int from, int to) {
    return new String(line, from, to - from, StandardCharsets.ISO_8859_1);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
