package dev.neutrino.gateway.edge;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.impl.transports.NioTransport;
import io.vertx.core.impl.transports.TransportInternal;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.transport.Transport;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * The gateway's Vert.x transport for a front end: one of Netty's native transports (io_uring or epoll
 * on Linux) or Java NIO, as {@link TransportPreference} says, with one addition: every connection an HTTP server of the
 * gateway accepts is handed to its {@link ConnectionGuard} as soon as Vert.x has set its pipeline up,
 * before the connection's first byte is read.
 *
 * <p>Design note. Vert.x gives a server's connection handler a cleartext connection that may speak
 * HTTP/1.1 or HTTP/2 (h2c with prior knowledge) only once its first request's headers are decoded:
 * too late to time those headers, to count a connection that sends nothing, or to check the framing of
 * the first request. Netty's server bootstrap, which the transport configures for every server, is
 * the one place that sees each accepted channel first: the bootstrap's child handler (Vert.x's
 * initializer) is wrapped so that the guard sees the channel right after Vert.x's initializer ran.
 *
 * <p>Vert.x tells a native transport from NIO by its class ({@code Vertx#isNativeTransportEnabled} is
 * false exactly for a {@link NioTransport}), so the NIO variant extends it and the native one delegates
 * to Vert.x's own native transport. Vert.x would replace an unavailable transport by a bare NIO one,
 * without the guard: {@link #choose} falls back to the guarded NIO transport itself, and says why.
 */
public final class EdgeTransport {
  private EdgeTransport() {}

  /**
   * The transport a gateway's Vert.x is built with.
   *
   * @param transport what to pass to {@code VertxBuilder#withTransport}
   * @param name {@code io_uring}, {@code epoll} (or another native transport's name) or {@code nio}
   * @param nativeUnavailable why NIO serves although a native transport was preferred (each candidate's
   *     reason, in order); null when the preference was met
   * @param passedOver why the native transports preferred to the one chosen do not serve; null when
   *     the first one does
   */
  public record Choice(Transport transport, String name, String nativeUnavailable, String passedOver) {
    public Choice {
      Objects.requireNonNull(transport, "transport");
      Objects.requireNonNull(name, "name");
    }

    Choice(Transport transport, String name, String nativeUnavailable) {
      this(transport, name, nativeUnavailable, null);
    }

    /**
     * One line for the log: which transport serves, and why not the native one when it was preferred,
     * or why not the better native ones passed over.
     */
    public String describe() {
      if (nativeUnavailable != null) {
        return "network transport: nio, because the native transport is unavailable (" + nativeUnavailable + ")";
      }
      return "network transport: " + name + (passedOver == null ? "" : " (passed over: " + passedOver + ")");
    }
  }

  /**
   * The transport {@code preference} asks for on this system for {@code frontEnd}, its HTTP servers'
   * connections watched by {@code guard}: the first of its candidates that loads here; NIO, with the
   * reason, when none does.
   */
  public static Choice choose(TransportPreference preference, TransportPreference.FrontEnd frontEnd,
      ConnectionGuard guard) {
    return choose(preference, guard, preference.candidates(frontEnd));
  }

  /**
   * As {@link #choose(TransportPreference, TransportPreference.FrontEnd, ConnectionGuard)}, with
   * {@code candidates} standing for the native transports to try, best first (empty: there is none
   * for this system).
   */
  static Choice choose(TransportPreference preference, ConnectionGuard guard, List<Transport> candidates) {
    Transport nio = new TransportInternal("nio", true, null, new GuardedNio(guard));
    if (preference == TransportPreference.NIO) {
      return new Choice(nio, "nio", null);
    }
    if (candidates.isEmpty()) {
      return new Choice(nio, "nio", "Netty has no native transport for " + System.getProperty("os.name") + " on "
          + System.getProperty("os.arch"));
    }
    List<String> reasons = new ArrayList<>();
    Transport chosen = firstLoading(candidates, reasons);
    if (chosen == null) {
      return new Choice(nio, "nio", String.join("; ", reasons));
    }
    return new Choice(new TransportInternal(chosen.name(), true, null,
        new GuardedNative(chosen.implementation(), guard)), chosen.name(), null,
        reasons.isEmpty() ? null : String.join("; ", reasons));
  }

  /**
   * The transport {@code preference} gives {@code frontEnd} on this system, by the rule
   * {@link #choose} follows, without the guard: for servers beside the gateway that must run on its
   * transports (the bench's transport floor).
   */
  public static Transport unguarded(TransportPreference preference, TransportPreference.FrontEnd frontEnd) {
    Transport chosen = firstLoading(preference.candidates(frontEnd), new ArrayList<>());
    return chosen == null ? Transport.NIO : chosen;
  }

  /** The first of {@code candidates} that loads here, or null; why each one before it does not, added to {@code reasons}. */
  private static Transport firstLoading(List<Transport> candidates, List<String> reasons) {
    for (Transport candidate : candidates) {
      if (candidate.available()) {
        return candidate;
      }
      Throwable cause = candidate.unavailabilityCause();
      reasons.add(cause == null ? candidate.name() + " does not load on this system"
          : candidate.name() + ": " + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName()));
    }
    return null;
  }

  /** Wraps the child handler {@code bootstrap} has (Vert.x's initializer) so that {@code guard} sees each channel. */
  private static void guardChildren(NetServerOptions options, ServerBootstrap bootstrap, ConnectionGuard guard) {
    ChannelHandler vertx = bootstrap.config().childHandler();
    if (!(options instanceof HttpServerOptions http) || vertx == null) {
      return;
    }
    bootstrap.childHandler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel channel) {
        channel.pipeline().addLast(vertx); // Vert.x's initializer sets the pipeline up right here
        guard.accepted(channel, http);
      }
    });
  }

  /** Java NIO, as Vert.x's default, with the guard. */
  private static final class GuardedNio extends NioTransport {
    private final ConnectionGuard guard;

    GuardedNio(ConnectionGuard guard) {
      this.guard = guard;
    }

    @Override
    public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
      super.configure(options, domainSocket, bootstrap);
      guardChildren(options, bootstrap, guard);
    }
  }

  /** Vert.x's native transport ({@code base}) as it is, with the guard. */
  private static final class GuardedNative implements io.vertx.core.spi.transport.Transport {
    private final io.vertx.core.spi.transport.Transport base;
    private final ConnectionGuard guard;

    GuardedNative(io.vertx.core.spi.transport.Transport base, ConnectionGuard guard) {
      this.base = base;
      this.guard = guard;
    }

    @Override
    public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
      base.configure(options, domainSocket, bootstrap);
      guardChildren(options, bootstrap, guard);
    }

    @Override
    public boolean supportsDomainSockets() {
      return base.supportsDomainSockets();
    }

    @Override
    public boolean supportFileRegion() {
      return base.supportFileRegion();
    }

    @Override
    public boolean isAvailable() {
      return base.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
      return base.unavailabilityCause();
    }

    @Override
    public SocketAddress convert(io.vertx.core.net.SocketAddress address) {
      return base.convert(address);
    }

    @Override
    public io.vertx.core.net.SocketAddress convert(SocketAddress address) {
      return base.convert(address);
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
      return base.ioHandlerFactory();
    }

    @Override
    public EventLoopGroup eventLoopGroup(int type, int nThreads, ThreadFactory threadFactory, int ioRatio) {
      return base.eventLoopGroup(type, nThreads, threadFactory, ioRatio);
    }

    @Override
    public DatagramChannel datagramChannel() {
      return base.datagramChannel();
    }

    @Override
    @SuppressWarnings("deprecation") // the SPI still names the family by Netty's deprecated enum
    public DatagramChannel datagramChannel(InternetProtocolFamily family) {
      return base.datagramChannel(family);
    }

    @Override
    public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
      return base.channelFactory(domainSocket);
    }

    @Override
    public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
      return base.serverChannelFactory(domainSocket);
    }

    @Override
    public void configure(DatagramChannel channel, DatagramSocketOptions options) {
      base.configure(channel, options);
    }

    @Override
    public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket, Bootstrap bootstrap) {
      base.configure(options, connectTimeout, domainSocket, bootstrap);
    }
  }
}
