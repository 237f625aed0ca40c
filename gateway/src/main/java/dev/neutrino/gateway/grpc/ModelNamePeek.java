package dev.neutrino.gateway.grpc;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;

/**
 * The fields that name a serialized {@code ModelInferRequest} (its {@link Head}: {@code model_name},
 * {@code model_version} and {@code id}, fields 1 to 3, all strings), read off the wire without
 * parsing the message, so that the front door can refuse a call over its model's limit before the
 * message's tensors cost anything, and a stream can answer the refusal with the request's id. Every
 * top-level field is looked at, at most {@link #MAX_FIELDS} of them: these three are read, the
 * others skipped (protobuf-java's {@link CodedInputStream} reads the tags and skips a tensor's bytes
 * without looking at them), and a field given twice keeps its last value, as the parse does.
 *
 * <p>Nothing here judges the message: a message this cannot read (truncated, a group, a string that
 * is not UTF-8, no model name, more fields than the bound) gives null, and the full parse that follows
 * answers it as usual. Stateless and thread-safe.
 */
final class ModelNamePeek {
  /** Top-level fields looked at before giving up. */
  static final int MAX_FIELDS = 256;

  private static final int MODEL_NAME = 1;
  private static final int MODEL_VERSION = 2;
  private static final int ID = 3;

  /**
   * What names a request: its model, the version asked for and its id ("" when the message leaves
   * them out, as the parse gives them).
   */
  record Head(String modelName, String modelVersion, String id) {}

  private ModelNamePeek() {}

  /** The head of {@code message}, an uncompressed ModelInferRequest; null when not read, or without a model name. */
  static Head head(Buffer message) {
    CodedInputStream in = CodedInputStream.newInstance(((BufferInternal) message).getByteBuf().nioBuffer());
    String name = "";
    String version = "";
    String id = "";
    try {
      for (int field = 0; ; field++) {
        int tag = in.readTag();
        if (tag == 0) {
          return name.isEmpty() ? null : new Head(name, version, id);
        }
        if (field == MAX_FIELDS) {
          return null;
        }
        int number = WireFormat.getTagFieldNumber(tag);
        boolean string = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
        if (string && number == MODEL_NAME) {
          name = in.readStringRequireUtf8();
        } else if (string && number == MODEL_VERSION) {
          version = in.readStringRequireUtf8();
        } else if (string && number == ID) {
          id = in.readStringRequireUtf8();
        } else if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_START_GROUP || !in.skipField(tag)) {
          return null; // a group, or an end of group: neither is in this message
        }
      }
    } catch (IOException e) {
      // Truncated or malformed: the parser says so.
    }
    return null;
  }
}
