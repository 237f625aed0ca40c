package dev.neutrino.gateway.edge;

import java.util.Locale;

/** Which of Netty's transports serves the gateway's sockets ({@code --transport}). */
public enum TransportPreference {
  /**
   * Netty's native transport for this system (epoll on Linux) where its library loads, Java NIO
   * otherwise: fewer system calls and allocations per request than NIO.
   */
  NATIVE,
  /** Java NIO, whatever the system offers. */
  NIO;

  public static final TransportPreference DEFAULT = NATIVE;

  /** The preference a flag or configuration value names: {@code native} or {@code nio}. */
  public static TransportPreference parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("transport must be native or nio, got '" + value + "'");
    }
  }

  /** The value as a flag writes it. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
