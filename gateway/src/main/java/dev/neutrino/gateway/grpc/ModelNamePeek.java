package dev.neutrino.gateway.grpc;

import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The {@code model_name} of a serialized {@code ModelInferRequest} (field 1, a string), read off the
 * wire without parsing the message, so that the front door can refuse a call over its model's limit
 * before the message's tensors cost anything. Clients write fields in field-number order, so the
 * name is the first field and costs a few bytes to find; the other top-level fields are skipped by
 * their wire type, at most {@link #MAX_FIELDS} of them.
 *
 * <p>Nothing here judges the message: a message this cannot read (truncated, a group, a name that is
 * not UTF-8, too many fields before the name) gives null, and the full parse that follows answers it
 * as usual. Stateless and thread-safe.
 */
final class ModelNamePeek {
  /** Top-level fields looked at before giving up. */
  static final int MAX_FIELDS = 16;

  private static final int MODEL_NAME_FIELD = 1;
  private static final int VARINT = 0;
  private static final int FIXED64 = 1;
  private static final int LENGTH_DELIMITED = 2;
  private static final int FIXED32 = 5;

  private ModelNamePeek() {}

  /** The model name that {@code message} (an uncompressed ModelInferRequest) carries; null when not found. */
  static String modelName(Buffer message) {
    Reader in = new Reader(message);
    for (int field = 0; field < MAX_FIELDS && in.position < in.end; field++) {
      long tag = in.varint();
      if (tag < 0) {
        return null;
      }
      int number = (int) (tag >>> 3);
      int wireType = (int) (tag & 7);
      long skip;
      switch (wireType) {
        case VARINT -> skip = in.varint() < 0 ? -1 : 0;
        case FIXED64 -> skip = 8;
        case FIXED32 -> skip = 4;
        case LENGTH_DELIMITED -> {
          long length = in.varint();
          if (length < 0 || length > in.end - in.position) {
            return null;
          }
          if (number == MODEL_NAME_FIELD) {
            return in.utf8((int) length);
          }
          skip = length;
        }
        default -> skip = -1; // groups are not in this message
      }
      if (skip < 0 || skip > in.end - in.position) {
        return null;
      }
      in.position += (int) skip;
    }
    return null;
  }

  /** A position in the message's bytes. */
  private static final class Reader {
    final Buffer bytes;
    final int end;
    int position;

    Reader(Buffer bytes) {
      this.bytes = bytes;
      this.end = bytes.length();
    }

    /** The next base-128 varint; -1 when it is truncated or longer than ten bytes. */
    long varint() {
      long value = 0;
      for (int shift = 0; shift < 64 && position < end; shift += 7) {
        byte b = bytes.getByte(position++);
        value |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return value < 0 ? -1 : value;
        }
      }
      return -1;
    }

    /** The next {@code length} bytes as strict UTF-8; null when they are not UTF-8. */
    String utf8(int length) {
      ByteBuffer slice = ByteBuffer.wrap(bytes.getBytes(position, position + length));
      try {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
      } catch (CharacterCodingException e) {
        return null;
      }
    }
  }
}
