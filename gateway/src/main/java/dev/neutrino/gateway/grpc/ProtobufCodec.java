package dev.neutrino.gateway.grpc;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * Protobuf messages to and from gRPC frames, in the binary wire format only. Unlike Vert.x's own
 * codec it never throws on a malformed request (see {@link Received}) and never touches the JSON
 * format, so protobuf-java-util stays out of the process. Compressed request messages are
 * decompressed here too ({@link #read}), bounded, instead of by Vert.x, which inflates without a limit
 * and resets the stream without a status when the bytes are not what the encoding says. Stateless
 * and thread-safe.
 */
final class ProtobufCodec {
  private static final int CHUNK_BYTES = 64 * 1024;

  private ProtobufCodec() {}

  /**
   * Reads one message of a call, as the call's handlers get it from
   * {@link io.vertx.grpc.common.GrpcReadStream#messageHandler}: decompressed when it is compressed
   * (gzip; the call's other encodings were refused before its messages), then parsed by
   * {@code decoder}. A gzip message that does not decompress is answered INTERNAL naming the failure,
   * as the gRPC specification asks; one that decompresses past {@code maxBytes}, RESOURCE_EXHAUSTED.
   *
   * @param maxBytes the most bytes a message may have once decompressed
   */
  static <T> Received<T> read(GrpcMessage message, GrpcMessageDecoder<Received<T>> decoder, long maxBytes) {
    String encoding = message.encoding();
    if (encoding.equals("identity")) {
      return decoder.decode(message);
    }
    if (!encoding.equals("gzip")) {
      return Received.failed(GrpcStatus.UNIMPLEMENTED, "message encoding '" + encoding + "' is not supported");
    }
    byte[] inflated;
    try (InputStream in = new GZIPInputStream(new ByteBufInputStream(((BufferInternal) message.payload()).getByteBuf()
        .duplicate()), CHUNK_BYTES)) {
      inflated = readAtMost(in, maxBytes);
    } catch (EOFException e) {
      return Received.failed(GrpcStatus.INTERNAL, "the request message could not be decompressed: truncated gzip data");
    } catch (IOException e) {
      return Received.failed(GrpcStatus.INTERNAL, "the request message could not be decompressed: it is not valid "
          + "gzip data (" + e.getMessage() + ")");
    }
    if (inflated == null) {
      return Received.failed(GrpcStatus.RESOURCE_EXHAUSTED, "the request message exceeds the limit of " + maxBytes
          + " bytes once gzip-decompressed");
    }
    return decoder.decode(GrpcMessage.message("identity", message.format(), Buffer.buffer(inflated)));
  }

  /** Everything {@code in} holds, or null when that is more than {@code limit} bytes. */
  private static byte[] readAtMost(InputStream in, long limit) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] chunk = new byte[CHUNK_BYTES];
    int n;
    while ((n = in.read(chunk)) > 0) {
      if (out.size() + (long) n > limit) {
        return null;
      }
      out.write(chunk, 0, n);
    }
    return out.toByteArray();
  }

  /**
   * Parses request frames straight from the frame's bytes. The message's {@code bytes} fields (a raw
   * input's contents) are views of the frame, not copies (protobuf's aliasing), so that batch
   * assembly's copy into the batch's buffer is the only one after Vert.x's own copy off the socket:
   * a frame's payload is a heap buffer Vert.x filled for this call and never writes again (it slices
   * messages off what it accumulated, and copies the rest into a buffer of its own). An off-heap
   * payload is parsed without aliasing: its owner may release it.
   */
  static <T extends MessageLite> GrpcMessageDecoder<Received<T>> decoder(Parser<T> parser) {
    return new GrpcMessageDecoder<>() {
      @Override
      public Received<T> decode(GrpcMessage message) {
        if (message.format() != WireFormat.PROTOBUF) {
          return Received.malformed("only the protobuf wire format (application/grpc+proto) is supported");
        }
        Buffer payload = message.payload();
        try {
          ByteBuf bytes = ((BufferInternal) payload).getByteBuf();
          if (!bytes.hasArray()) {
            return Received.of(parser.parseFrom(bytes.nioBuffer()));
          }
          // Protobuf aliases only bytes it is told nothing writes: those of a ByteString.
          CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes.array(),
              bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes()).newCodedInput();
          in.enableAliasing(true);
          T parsed = parser.parseFrom(in);
          in.checkLastTagWas(0); // as parsing from an array does: a stray end-group tag is malformed
          return Received.of(parsed);
        } catch (InvalidProtocolBufferException e) {
          return Received.malformed("the request message is not a valid protobuf message");
        }
      }

      @Override
      public boolean accepts(WireFormat format) {
        return format == WireFormat.PROTOBUF;
      }
    };
  }

  static <T extends MessageLite> GrpcMessageEncoder<T> encoder() {
    return new GrpcMessageEncoder<>() {
      @Override
      public GrpcMessage encode(T message, WireFormat format) {
        return GrpcMessage.message("identity", WireFormat.PROTOBUF, Buffer.buffer(message.toByteArray()));
      }

      @Override
      public boolean accepts(WireFormat format) {
        return format == WireFormat.PROTOBUF;
      }
    };
  }
}
