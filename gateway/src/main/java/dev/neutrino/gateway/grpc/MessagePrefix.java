package dev.neutrino.gateway.grpc;

/**
 * gRPC's message prefix (a compressed flag byte, then a 4-byte big-endian length), read a byte at a
 * time as a request stream's chunks arrive. Not thread-safe: confined to its stream's event loop.
 */
final class MessagePrefix {
  static final int BYTES = 5;

  private int read;
  private boolean compressed;
  private long length;

  /**
   * Takes the next byte of a prefix.
   *
   * @return true when it completed the prefix; the next byte taken starts a new one
   */
  boolean take(int b) {
    if (read == 0) {
      compressed = b != 0;
      length = 0;
    } else {
      length = (length << 8) | b;
    }
    if (++read < BYTES) {
      return false;
    }
    read = 0;
    return true;
  }

  /** Bytes of the prefix now being read; 0 between prefixes. */
  int bytesRead() {
    return read;
  }

  /** The flag of the last prefix begun: known from its first byte. */
  boolean compressed() {
    return compressed;
  }

  /** The message length of the last prefix completed. */
  long length() {
    return length;
  }
}
