package dev.neutrino.gateway.edge;

import dev.neutrino.gateway.metrics.EdgeRefusals;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.Http1xOrH2CHandler;
import io.vertx.core.http.impl.Http1xServerConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The gateway's connections, counted against {@link EdgeLimits#maxConnections()} across every front
 * end, and HTTP/1.1 connections watched for headers that take too long.
 *
 * <p>Design note. A cleartext connection (HTTP/1.1 or h2c on one port) is seen as soon as it is
 * accepted ({@link #accepted}, through {@link EdgeTransport}): there it is counted, closed at once when
 * it is over the cap, given a {@link HeaderClock} at the head of its Netty pipeline, started at once,
 * and a {@link ProtocolSniffer} that gives HTTP/1.1 the {@link StrictRequestDecoder}. A TLS connection
 * is counted and clocked when Vert.x hands it to the server's connection handler ({@link #connected}),
 * after its handshake and before its first request. The clock runs while request headers are being
 * read: from the connection's acceptance (so a connection that sends nothing is closed too), and
 * again from the first byte after an answer; the front end stops it when a request's headers are
 * complete ({@link #headersRead}) and marks the connection idle again when the request is answered
 * ({@link #answered}). Between requests only the idle timeout applies. HTTP/2 connections are capped
 * but their clock stops once they are known to be HTTP/2: their headers arrive in whole frames, their
 * streams are limited by {@link EdgeLimits#http2MaxConcurrentStreams()} and their bodies by the body
 * timeout; they get a {@link StreamFailureShield}, so that one stream's failed write does not close
 * them.
 *
 * <p>Thread-safety: the count is atomic; a clock is confined to its channel's event loop, which is the
 * loop of the connection's Vert.x context.
 */
public final class ConnectionGuard {
  private static final AttributeKey<HeaderClock> CLOCK = AttributeKey.valueOf("neutrino.headerClock");
  /** Set on a channel counted when it was accepted. */
  private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf("neutrino.counted");

  private final EdgeLimits limits;
  private final EdgeRefusals refusals;
  private final AtomicInteger open = new AtomicInteger();
  /** The connections counted and still open (a closed channel leaves by itself), for {@link #closeAll}. */
  private final ChannelGroup channels = new DefaultChannelGroup("neutrino-connections", GlobalEventExecutor.INSTANCE);

  public ConnectionGuard(EdgeLimits limits, EdgeRefusals refusals) {
    this.limits = limits;
    this.refusals = refusals;
  }

  public EdgeLimits limits() {
    return limits;
  }

  public EdgeRefusals refusals() {
    return refusals;
  }

  /**
   * Closes every connection still open, whatever it is doing: a gateway's stop drops what a drain
   * left in flight at once, rather than when the servers' graceful shutdown runs out.
   *
   * @return completes once they are closed
   */
  public Future<Void> closeAll() {
    Promise<Void> closed = Promise.promise();
    channels.close().addListener(done -> closed.tryComplete());
    return closed.future();
  }

  /** Connections open now, over every front end. */
  public int openConnections() {
    return open.get();
  }

  /**
   * A server's connection handler: counts, caps and (HTTP/1.1) watches its connections, and shields
   * HTTP/2 connections from their streams' failures.
   */
  public Handler<HttpConnection> connectionHandler() {
    return this::connected;
  }

  /**
   * A connection an HTTP server of the gateway just accepted ({@link EdgeTransport}), its pipeline set
   * up by Vert.x and no byte read yet. A cleartext connection that may speak HTTP/1.1 or h2c is counted
   * here, its header clock started, and its protocol chosen by a {@link ProtocolSniffer}; others (TLS)
   * are handed to {@link #connected} before their first request anyway.
   */
  void accepted(Channel channel, HttpServerOptions options) {
    ChannelPipeline pipeline = channel.pipeline();
    ChannelHandlerContext chooser = pipeline.context(Http1xOrH2CHandler.class);
    if (chooser == null) {
      return;
    }
    channel.attr(COUNTED).set(Boolean.TRUE);
    if (!count(channel::close, uncount -> channel.closeFuture().addListener(closed -> uncount.run()))) {
      return;
    }
    channels.add(channel);
    HeaderClock clock = new HeaderClock(limits.headerReadTimeoutMillis());
    channel.attr(CLOCK).set(clock);
    pipeline.addFirst("neutrino-header-clock", clock);
    clock.start(channel); // a silent connection is closed at the header timeout too
    pipeline.addBefore(chooser.name(), "neutrino-protocol", new ProtocolSniffer(options));
  }

  private void connected(HttpConnection connection) {
    Channel channel = connection instanceof ConnectionBase base ? base.channel() : null;
    boolean counted = channel != null && channel.attr(COUNTED).get() != null;
    if (!counted && !count(connection::close, uncount -> connection.closeHandler(v -> uncount.run()))) {
      return;
    }
    if (channel == null) {
      return;
    }
    channels.add(channel);
    StreamFailureShield.install(channel.pipeline()); // HTTP/2: one stream's failure stays its own
    HeaderClock clock = channel.attr(CLOCK).get();
    if (connection instanceof Http1xServerConnection) {
      if (clock == null) { // TLS: handed over before its first bytes
        clock = new HeaderClock(limits.headerReadTimeoutMillis());
        channel.attr(CLOCK).set(clock);
        channel.pipeline().addFirst("neutrino-header-clock", clock);
        clock.start(channel);
      }
    } else {
      if (clock != null) {
        clock.stop(); // HTTP/2: headers come in whole frames
        channel.pipeline().remove(clock);
        channel.attr(CLOCK).set(null);
      }
      consolidateFlushes(channel.pipeline());
    }
  }

  /**
   * Flushes consolidated on an HTTP/2 connection. Vert.x flushes after each frame it writes outside a
   * read: an answer completed by a model instance (headers, the message, then the trailers of a gRPC
   * call) would leave in three writes, and the client would wake for each; and each of those flushes
   * runs the HTTP/2 handler's flush, which hands every stream's queued DATA to the socket. The
   * consolidation handler sits at the pipeline's tail, where {@code channel.flush()} starts: a flush
   * outside a read is deferred to one task on the event loop, after the tasks already queued (the
   * other answers of the same batch), and then goes through the HTTP/2 handler and TLS once for all of
   * them. Within a read the HTTP/2 handler flushes once itself, at the read's end, without passing the
   * tail. Measured in turn against the handler nearest the socket (which deferred only the socket write,
   * not the HTTP/2 handler's flushes), twice each, {@code bench --scenario profile}: recommender_mlp over
   * gRPC used 44.0 and 48.5 us of CPU per request above its transport floor against 58.7 and 68.0.
   */
  private static void consolidateFlushes(ChannelPipeline pipeline) {
    pipeline.addLast("neutrino-flush-consolidation",
        new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
  }

  /**
   * Counts a connection until it closes, or closes it at once when it is over the cap.
   *
   * @return whether it may stay open
   */
  private boolean count(Runnable close, Consumer<Runnable> onClose) {
    int now = open.incrementAndGet();
    onClose.accept(open::decrementAndGet);
    if (now > limits.maxConnections()) {
      refusals.refused(EdgeRefusals.Reason.MAX_CONNECTIONS);
      close.run();
      return false;
    }
    return true;
  }

  /** {@code request}'s headers are complete: its connection's header clock stops. */
  public void headersRead(HttpServerRequest request) {
    HeaderClock clock = clockOf(request);
    if (clock != null) {
      clock.stop();
    }
  }

  /** {@code request} has been answered: its connection's next bytes start the header clock again. */
  public void answered(HttpServerRequest request) {
    HeaderClock clock = clockOf(request);
    if (clock != null) {
      clock.idle();
    }
  }

  private static HeaderClock clockOf(HttpServerRequest request) {
    return request.connection() instanceof ConnectionBase base ? base.channel().attr(CLOCK).get() : null;
  }

  /**
   * Closes its connection when request headers are still incomplete {@code timeoutMillis} after
   * their first byte. Sees the raw bytes ahead of the HTTP decoder and passes them on untouched.
   *
   * <p>Requests come far more often than the timeout passes, so starting and stopping the clock only
   * records the time: a connection has at most one timer pending, which on firing closes the
   * connection, re-arms itself for what is left of a running clock, or lapses when the clock is
   * stopped (the next start arms a new one). Everything here runs on the connection's event loop.
   */
  private final class HeaderClock extends ChannelInboundHandlerAdapter {
    private final long timeoutNanos;
    /** Idle: between requests; the next byte starts the clock. */
    private boolean idle;
    /** Running: headers have begun and are not complete yet. */
    private boolean running;
    private long startedNanos;
    private ScheduledFuture<?> timer;

    HeaderClock(long timeoutMillis) {
      this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    void start(Channel channel) {
      idle = false;
      running = true;
      startedNanos = System.nanoTime();
      if (timer == null) {
        arm(channel, timeoutNanos);
      }
    }

    void stop() {
      idle = false;
      running = false;
    }

    void idle() {
      running = false;
      idle = true;
    }

    private void arm(Channel channel, long delayNanos) {
      timer = channel.eventLoop().schedule(() -> expire(channel), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void expire(Channel channel) {
      timer = null;
      if (!running || !channel.isActive()) {
        return;
      }
      long left = timeoutNanos - (System.nanoTime() - startedNanos);
      if (left > 0) {
        arm(channel, left);
        return;
      }
      refusals.refused(EdgeRefusals.Reason.HEADER_TIMEOUT);
      channel.close();
    }

    private void cancel() {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (idle && msg instanceof ByteBuf bytes && bytes.isReadable()) {
        start(ctx.channel());
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      cancel();
      ctx.fireChannelInactive();
    }
  }
}
