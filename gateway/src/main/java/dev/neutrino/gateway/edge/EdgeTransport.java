package dev.neutrino.gateway.edge;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.impl.transports.NioTransport;
import io.vertx.core.impl.transports.TransportInternal;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.transport.Transport;

/**
 * The gateway's Vert.x transport: Java NIO, as Vert.x's default, with one addition: every connection
 * an HTTP server of the gateway accepts is handed to its {@link ConnectionGuard} as soon as Vert.x has
 * set its pipeline up, before the connection's first byte is read.
 *
 * <p>Design note. Vert.x gives a server's connection handler a cleartext connection that may speak
 * HTTP/1.1 or HTTP/2 (h2c with prior knowledge) only once its first request's headers are decoded:
 * too late to time those headers, to count a connection that sends nothing, or to check the framing of
 * the first request. Netty's server bootstrap, which the transport configures for every server, is
 * the one place that sees each accepted channel first: the bootstrap's child handler (Vert.x's
 * initializer) is wrapped so that the guard sees the channel right after Vert.x's initializer ran.
 */
public final class EdgeTransport extends NioTransport {
  private final ConnectionGuard guard;

  private EdgeTransport(ConnectionGuard guard) {
    this.guard = guard;
  }

  /** The transport of a Vert.x instance whose HTTP servers' connections {@code guard} watches. */
  public static Transport of(ConnectionGuard guard) {
    return new TransportInternal("nio", true, null, new EdgeTransport(guard));
  }

  @Override
  public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
    super.configure(options, domainSocket, bootstrap);
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
}
