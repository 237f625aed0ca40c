package dev.neutrino.gateway.grpc;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;

/**
 * The {@code model_name} of a serialized {@code ModelInferRequest} (field 1, a string), read off the
 * wire without parsing the message, so that the front door can refuse a call over its model's limit
 * before the message's tensors cost anything. Clients write fields in field-number order, so the
 * name is the first field and costs a few bytes to find; the other top-level fields are skipped
 * (protobuf-java's {@link CodedInputStream} reads the tags and skips), at most {@link #MAX_FIELDS} of
 * them.
 *
 * <p>Nothing here judges the message: a message this cannot read (truncated, a group, a name that is
 * not UTF-8, too many fields before the name) gives null, and the full parse that follows answers it
 * as usual. Stateless and thread-safe.
 */
final class ModelNamePeek {
  /** Top-level fields looked at before giving up. */
  static final int MAX_FIELDS = 16;

  /** Field 1, length-delimited: a tag is the field number shifted past the three bits of the wire type. */
  private static final int MODEL_NAME_TAG = 1 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  private ModelNamePeek() {}

  /** The model name that {@code message} (an uncompressed ModelInferRequest) carries; null when not found. */
  static String modelName(Buffer message) {
    CodedInputStream in = CodedInputStream.newInstance(((BufferInternal) message).getByteBuf().nioBuffer());
    try {
      for (int field = 0; field < MAX_FIELDS; field++) {
        int tag = in.readTag();
        if (tag == MODEL_NAME_TAG) {
          return in.readStringRequireUtf8();
        }
        if (tag == 0 || WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_START_GROUP || !in.skipField(tag)) {
          return null; // the end, or a group: neither is in this message
        }
      }
    } catch (IOException e) {
      // Truncated or malformed: the parser says so.
    }
    return null;
  }
}
