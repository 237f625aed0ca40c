package dev.neutrino.gateway.edge;

import io.vertx.core.transport.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which of Netty's transports serves the gateway's sockets ({@code --transport}), for each front end.
 *
 * <p>Design note. On Linux, Netty offers two native transports, and neither is best for both front
 * ends. On HTTP/1.1, where a connection carries one request at a time, io_uring costs less CPU per
 * request than epoll. On gRPC, where one connection carries many streams and the gateway answers a
 * batch's streams from a task, it costs more: under 16 gRPC clients the gateway made 0.90 system
 * calls per request on io_uring (0.72 of them io_uring_enter) against 0.58 on epoll, and answered
 * 25.5k requests/s against 37.5k (perf stat, one run each). Measured in turn with {@code bench
 * --scenario profile} on the 2-core machine, CPU per request, medians of eight rounds each (the
 * VM's speed drifts between rounds, so single rounds disagree): HTTP binary 25.8 us on io_uring
 * against 28.6 on epoll, recommender_mlp over HTTP JSON 78 against 99; HTTP JSON (31.3 against
 * 30.6) and recommender_mlp over HTTP binary (89.8 against 89.1) within the noise. gRPC on
 * io_uring, five rounds: 30.7 against 25.0, recommender_mlp over gRPC 63.1 against 52.8. So {@link
 * #NATIVE}, the default, serves each front end on the transport that suits it, from two Vert.x
 * instances when they differ.
 */
public enum TransportPreference {
  /**
   * The HTTP front end (and the metrics listener) on io_uring, the gRPC front end on epoll, each
   * falling back to the other native transport where its own does not load, and to Java NIO where
   * neither does.
   */
  NATIVE,
  /** Every listener on epoll where it loads, Java NIO otherwise. */
  EPOLL,
  /** Every listener on io_uring where the kernel allows it, Java NIO otherwise. */
  IO_URING,
  /** Java NIO, whatever the system offers. */
  NIO;

  public static final TransportPreference DEFAULT = NATIVE;

  /** The front ends a transport is chosen for. */
  public enum FrontEnd {
    /** The HTTP/REST front end (HTTP/1.1, or h2c by prior knowledge), and the metrics listener. */
    HTTP,
    /** The gRPC front end: HTTP/2, many streams on one connection. */
    GRPC
  }

  /** The preference a flag or configuration value names: {@code native}, {@code epoll}, {@code io_uring} or {@code nio}. */
  public static TransportPreference parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("transport must be native, epoll, io_uring or nio, got '" + value + "'");
    }
  }

  /** The value as a flag writes it. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The native transports to try for {@code frontEnd}, best first; empty for {@link #NIO}. {@link #NATIVE}
   * ends with kqueue, the native transport of macOS and the BSDs; an entry is missing where Vert.x
   * knows no such transport.
   */
  public List<Transport> candidates(FrontEnd frontEnd) {
    return switch (this) {
      case NATIVE -> frontEnd == FrontEnd.HTTP ? listOf(Transport.IO_URING, Transport.EPOLL, Transport.KQUEUE)
          : listOf(Transport.EPOLL, Transport.IO_URING, Transport.KQUEUE);
      case EPOLL -> listOf(Transport.EPOLL);
      case IO_URING -> listOf(Transport.IO_URING);
      case NIO -> List.of();
    };
  }

  private static List<Transport> listOf(Transport... transports) {
    List<Transport> present = new ArrayList<>();
    for (Transport transport : transports) {
      if (transport != null) {
        present.add(transport);
      }
    }
    return List.copyOf(present);
  }
}
