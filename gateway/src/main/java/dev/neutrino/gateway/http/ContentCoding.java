package dev.neutrino.gateway.http;

import dev.neutrino.runtime.InferenceException;
import io.vertx.core.buffer.Buffer;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.function.LongPredicate;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * The {@code Content-Encoding} of a request body, undone by the front end itself (Vert.x's
 * decompression is off): a body that is not what its encoding says is refused with 400 naming the
 * problem, and the decoded bytes, not the bytes sent, are held to the request size limit and the
 * body budget, so a small compressed body cannot expand past either.
 */
enum ContentCoding {
  IDENTITY,
  GZIP,
  /** RFC 9110's deflate: a zlib stream; a raw deflate stream, as some clients send, is accepted too. */
  DEFLATE;

  private static final int CHUNK_BYTES = 64 * 1024;

  /** The coding a {@code Content-Encoding} header names (null or empty: none); null when unsupported. */
  static ContentCoding of(String header) {
    if (header == null) {
      return IDENTITY;
    }
    return switch (header.trim().toLowerCase(Locale.ROOT)) {
      case "", "identity" -> IDENTITY;
      case "gzip", "x-gzip" -> GZIP;
      case "deflate", "x-deflate" -> DEFLATE;
      default -> null;
    };
  }

  /**
   * Decodes a whole body.
   *
   * @param limit the most bytes the decoded body may have
   * @param reserve asked for each chunk of decoded bytes before it is kept; false refuses it
   * @return the decoded body ({@code body} itself for {@link #IDENTITY}), or null when {@code reserve}
   *     refused bytes
   * @throws InferenceException.InvalidInput when the body is not in this coding
   * @throws InferenceException.TooLarge when the decoded body passes {@code limit}
   */
  Buffer decode(Buffer body, long limit, LongPredicate reserve) {
    if (this == IDENTITY) {
      return body;
    }
    Inflater inflater = this == DEFLATE ? new Inflater(!zlibHeader(body)) : null;
    try (InputStream in = open(new BufferInput(body), inflater)) {
      Buffer decoded = Buffer.buffer((int) Math.min(limit, Math.max(256, body.length() * 4L)));
      byte[] chunk = new byte[(int) Math.min(CHUNK_BYTES, limit + 1)];
      int n;
      while ((n = in.readNBytes(chunk, 0, chunk.length)) > 0) {
        if (decoded.length() + (long) n > limit) {
          throw new InferenceException.TooLarge("request body exceeds the limit of " + limit + " bytes once "
              + name().toLowerCase(Locale.ROOT) + "-decoded");
        }
        if (!reserve.test(n)) {
          return null;
        }
        decoded.appendBytes(chunk, 0, n);
      }
      return decoded;
    } catch (EOFException e) {
      throw new InferenceException.InvalidInput("request body is truncated " + label() + " data");
    } catch (IOException e) {
      throw new InferenceException.InvalidInput("request body is not valid " + label() + " data, as its "
          + "Content-Encoding says: " + e.getMessage());
    } finally {
      if (inflater != null) {
        inflater.end();
      }
    }
  }

  private static InputStream open(InputStream raw, Inflater inflater) throws IOException {
    return inflater == null ? new GZIPInputStream(raw, CHUNK_BYTES) : new InflaterInputStream(raw, inflater, CHUNK_BYTES);
  }

  private String label() {
    return this == GZIP ? "gzip" : "deflate";
  }

  /** Whether {@code body} opens with a zlib header (RFC 1950: deflate method, check bits). */
  private static boolean zlibHeader(Buffer body) {
    if (body.length() < 2) {
      return true; // too short for either: let zlib name the problem
    }
    int cmf = body.getUnsignedByte(0);
    int flg = body.getUnsignedByte(1);
    return (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
  }

  /** A buffer's bytes as a stream, without copying them first. */
  private static final class BufferInput extends InputStream {
    private final Buffer buffer;
    private int position;

    BufferInput(Buffer buffer) {
      this.buffer = buffer;
    }

    @Override
    public int read() {
      return position < buffer.length() ? buffer.getUnsignedByte(position++) : -1;
    }

    @Override
    public int read(byte[] into, int offset, int length) {
      if (length == 0) {
        return 0;
      }
      int n = Math.min(length, buffer.length() - position);
      if (n <= 0) {
        return -1;
      }
      buffer.getBytes(position, position + n, into, offset);
      position += n;
      return n;
    }

    @Override
    public int available() {
      return buffer.length() - position;
    }
  }
}
