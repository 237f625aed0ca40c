package dev.neutrino.gateway.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.WireFormat;

/**
 * Protobuf messages to and from gRPC frames, in the binary wire format only. Unlike Vert.x's own
 * codec it never throws on a malformed request (see {@link Received}) and never touches the JSON
 * format, so protobuf-java-util stays out of the process. Stateless and thread-safe.
 */
final class ProtobufCodec {
  private ProtobufCodec() {}

  /** Parses request frames straight from the frame's bytes (no intermediate array for heap buffers). */
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
          return Received.of(parser.parseFrom(bytes.nioBuffer()));
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
