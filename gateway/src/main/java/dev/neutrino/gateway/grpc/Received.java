package dev.neutrino.gateway.grpc;

import io.vertx.grpc.common.GrpcStatus;

/**
 * One request message as {@link ProtobufCodec} read it: the message, or why it could not be read and
 * the status that answers it. Vert.x answers a message it cannot decode or decompress by resetting
 * the stream, which a client sees as CANCELLED; carrying the problem to the handler lets it answer
 * with a status that says what went wrong.
 *
 * @param message the parsed message, or null when {@code problem} is set
 * @param status the status answering {@code problem}; OK when the message was read
 * @param problem what is wrong with the bytes, or null
 */
record Received<T>(T message, GrpcStatus status, String problem) {
  static <T> Received<T> of(T message) {
    return new Received<>(message, GrpcStatus.OK, null);
  }

  /** Bytes that are not the message they should be: INVALID_ARGUMENT. */
  static <T> Received<T> malformed(String problem) {
    return failed(GrpcStatus.INVALID_ARGUMENT, problem);
  }

  static <T> Received<T> failed(GrpcStatus status, String problem) {
    return new Received<>(null, status, problem);
  }
}
