package dev.neutrino.gateway.grpc;

/**
 * One request message as {@link ProtobufCodec} read it: the message, or why it could not be read.
 * Vert.x answers a message it cannot decode by resetting the stream, which a client sees as
 * CANCELLED; carrying the problem to the handler lets it answer INVALID_ARGUMENT instead.
 *
 * @param message the parsed message, or null when {@code problem} is set
 * @param problem what is wrong with the bytes, or null
 */
record Received<T>(T message, String problem) {
  static <T> Received<T> of(T message) {
    return new Received<>(message, null);
  }

  static <T> Received<T> malformed(String problem) {
    return new Received<>(null, problem);
  }
}
