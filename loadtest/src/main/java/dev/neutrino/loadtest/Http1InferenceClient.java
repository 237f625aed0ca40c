package dev.neutrino.loadtest;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Open Inference Protocol over HTTP/1.1 keep-alive, JSON or binary tensors, on Netty directly:
 * the generator's client wherever it speaks HTTP/1.1.
 *
 * <h2>Design note</h2>
 *
 * <p><b>Why not Vert.x's client.</b> An open loop at tens of thousands of requests a second on one
 * core could not keep its schedule through {@link HttpInferenceClient}: per request it acquires a
 * pooled connection through futures, builds a request object and its header map, and parses the
 * answer into a response object with its own header map. Every overload level at twice the
 * gateway's capacity came out invalid. Here a request costs a write, a read and a parse. Measured on
 * the 2-core machine (generator on one core, the gateway on the other, another build running: load
 * average about 2), 2,000 connections, open loop at 10,000 req/s on the do-nothing model: Vert.x's
 * client sent 177-269 ms late at p99 and its answers took 3.7-4.6 s at p50 while the requests queued in
 * it, at 29-33 us of generator CPU per request; this one sent 1.1-2.6 ms late, answers 0.4-2.6 ms at
 * p50, at 19-25 us (about 60 % of it in the kernel: loopback TCP, a write and a read per request).
 * {@code loadtest/compare-http-clients.sh} repeats that comparison.
 *
 * <p><b>Requests.</b> Each prepared request is encoded once, when the client connects, into one
 * direct buffer holding its request line, {@code Host}, {@code Content-Type}, {@code Content-Length},
 * {@code Inference-Header-Content-Length} for binary tensors, and its body. A send writes a
 * {@link ByteBuf#retainedDuplicate()} of it: no copy, no header built.
 *
 * <p><b>Connections.</b> The settings' connections are opened when the client connects, split over
 * the event loops; one {@link Lane} per event loop owns its connections, touched only on that loop.
 * A connection carries one request at a time (no pipelining). A free connection is taken from the
 * lane's idle queue, the one idle longest first: a server that closes connections it has too many of
 * idle (the JDK's server keeps 200) does so right after an answer, and its close is read long before
 * that connection comes round again, where a stack would hand the connection straight to the next
 * request and lose it to the close (in an open loop against the naive server, a third of the
 * requests of a window failed so). With none free a request waits in the lane's FIFO and leaves on
 * the next connection that frees, so the excess still reaches the server as soon as a connection
 * allows. A
 * connection that breaks, that the server closes ({@code Connection: close}, a body delimited by the
 * connection's end) or whose request timed out is closed and replaced at once; a request it carried
 * fails as {@link ErrorCodes#CONNECTION_CLOSED} (or what the socket said). A replacement that cannot
 * connect while the lane has no connection left fails the oldest waiting request with its reason.
 *
 * <p><b>Hand-off.</b> A request from a lane's own event loop (a closed loop's next request, sent from
 * the last one's callback) goes out at once. One from any other thread (the open-loop scheduler) is
 * queued on the next lane in rotation, and the lane's loop is woken only when it is not already due
 * to drain its queue: a scheduler sending a burst of requests wakes the loop once and the loop sends
 * them all, each with one write and one flush on its own connection.
 *
 * <p><b>Answers.</b> Each connection parses its answers with an {@link Http1ResponseParser} of its
 * own: status line, the length (or chunks) of the body, {@code Connection: close}. The body is
 * skipped, or collected and checked with {@link OutputCheck} when the prepared request has
 * expected outputs, as {@link HttpInferenceClient} does; error codes are the same
 * ({@link ErrorCodes}: the HTTP status, {@code timeout}, {@code connection_closed}, {@code bad_response}
 * for an answer that cannot be read). A request not answered within the settings' timeout of its
 * {@link #infer} fails as {@code timeout}, checked by a sweep on each lane every tenth of the timeout
 * (at most {@link #SWEEP_MAX_MILLIS} ms), so it fires up to that much late.
 *
 * <p><b>What it does not do.</b> HTTP/2 ({@code --http2} keeps {@link HttpInferenceClient}), TLS (the
 * generator has no {@code https://} URLs), compression. Metadata, the first checking request and
 * the server's statistics go through a one-connection {@link HttpInferenceClient} it holds, so the
 * two clients prepare and judge requests with the same code.
 *
 * <p>Threads: Netty's native epoll transport where it loads, as the gateway prefers it; Java NIO
 * otherwise. The event loops are registered with the {@link CpuMeter}.
 *
 * <p>Thread-safe: {@link #infer} may be called from any thread.
 */
final class Http1InferenceClient implements InferenceClient {
  private static final System.Logger LOG = System.getLogger(Http1InferenceClient.class.getName());
  /** The longest pause between two timeout sweeps of a lane. */
  static final long SWEEP_MAX_MILLIS = 100;
  /** Connections a lane opens at once, so that thousands do not overflow the server's accept backlog. */
  static final int CONNECTS_AT_ONCE = 128;

  private final HttpInferenceClient control;
  private final EventLoopGroup group;
  private final Lane[] lanes;
  private final ByteBuf[] requests;
  private final InputData.Prepared prepared;
  private final long timeoutNanos;
  private final int connections;
  private final AtomicInteger nextLane = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();

  private Http1InferenceClient(HttpInferenceClient control, EventLoopGroup group, Class<? extends SocketChannel> type,
      InetSocketAddress address, ClientSettings settings) {
    this.control = control;
    this.group = group;
    this.prepared = control.prepared();
    this.timeoutNanos = settings.timeout().toNanos();
    this.connections = settings.connections();
    String host = address.getHostString().contains(":") ? "[" + address.getHostString() + "]" : address.getHostString();
    this.requests = new ByteBuf[control.payloads()];
    for (int i = 0; i < requests.length; i++) {
      requests[i] = encode(control.inferPath(), host + ":" + address.getPort(), control.body(i));
    }
    Bootstrap bootstrap = new Bootstrap()
        .channel(type)
        .remoteAddress(address)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, settings.timeout().toMillis()));
    int laneCount = settings.eventLoops();
    this.lanes = new Lane[laneCount];
    int i = 0;
    for (io.netty.util.concurrent.EventExecutor executor : group) {
      EventLoop loop = (EventLoop) executor;
      lanes[i] = new Lane(loop, bootstrap.clone(loop), Math.max(1, (connections + laneCount - 1 - i) / laneCount));
      i++;
    }
  }

  /**
   * Reads the model's metadata and checks the first prepared request (through a one-connection
   * {@link HttpInferenceClient}), then opens every connection.
   *
   * @throws IOException when the server cannot be reached, does not know the model, refuses the
   *     prepared request, or a connection cannot be opened
   */
  static Http1InferenceClient connect(Endpoint endpoint, ClientSettings settings, CpuMeter meter) throws IOException {
    if (settings.protocol() == Protocol.GRPC || settings.http2()) {
      throw new IllegalArgumentException("the HTTP/1.1 client speaks neither gRPC nor HTTP/2");
    }
    HttpInferenceClient control = HttpInferenceClient.connect(endpoint, settings.withConnections(1).withEventLoops(1)
        .withHttp(ClientSettings.Http.HTTP1_VERTX), meter);
    EventLoopGroup group = null;
    try {
      InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(endpoint.host()), endpoint.port());
      boolean epoll = Epoll.isAvailable();
      if (!epoll) {
        Throwable why = Epoll.unavailabilityCause();
        LOG.log(System.Logger.Level.WARNING, "load generator: HTTP/1.1 client on nio, because the native "
            + "transport is unavailable (" + (why == null ? "unknown" : why.getMessage()) + ")");
      }
      IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
      ThreadFactory netty = new DefaultThreadFactory("neutrino-loadtest-http1", true);
      ThreadFactory metered = r -> {
        Thread thread = netty.newThread(r);
        meter.register(thread);
        return thread;
      };
      group = new MultiThreadIoEventLoopGroup(settings.eventLoops(), metered, io);
      Http1InferenceClient client = new Http1InferenceClient(control, group,
          epoll ? EpollSocketChannel.class : NioSocketChannel.class, address, settings);
      try {
        client.openAll(settings.timeout().toMillis() + TimeUnit.SECONDS.toMillis(ClientLanes.BLOCKING_TIMEOUT_SECONDS));
      } catch (IOException | RuntimeException e) {
        client.close();
        throw e;
      }
      return client;
    } catch (IOException | RuntimeException e) {
      if (group != null) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      }
      control.close();
      throw e;
    }
  }

  /** Encodes a complete request: request line, headers and body, in one direct buffer. */
  static ByteBuf encode(String path, String hostAndPort, HttpPayloads.Body body) {
    StringBuilder head = new StringBuilder(160)
        .append("POST ").append(path).append(" HTTP/1.1\r\n")
        .append("Host: ").append(hostAndPort).append("\r\n")
        .append("Content-Type: ").append(body.contentType()).append("\r\n")
        .append("Content-Length: ").append(body.bytes().length).append("\r\n");
    if (body.headerLength() >= 0) {
      head.append(HttpInferenceClient.HEADER_LENGTH).append(": ").append(body.headerLength()).append("\r\n");
    }
    byte[] headBytes = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    ByteBuf buffer = Unpooled.directBuffer(headBytes.length + body.bytes().length);
    return buffer.writeBytes(headBytes).writeBytes(body.bytes());
  }

  private void openAll(long timeoutMillis) throws IOException {
    List<CompletableFuture<Void>> opened = new ArrayList<>();
    for (Lane lane : lanes) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      lane.loop.execute(() -> lane.openInitial(done));
      opened.add(done);
    }
    try {
      CompletableFuture.allOf(opened.toArray(CompletableFuture[]::new)).get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new IOException("cannot open the load's connections: "
          + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause);
    } catch (TimeoutException e) {
      throw new IOException("the load's " + connections + " connections were not open after " + timeoutMillis + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  @Override
  public int payloads() {
    return requests.length;
  }

  @Override
  public int connections() {
    return connections;
  }

  @Override
  public void infer(int payload, Outcome outcome) {
    if (closed.get()) {
      outcome.complete(ErrorCodes.CONNECTION_CLOSED);
      return;
    }
    Pending request = new Pending(payload, outcome, System.nanoTime());
    for (Lane lane : lanes) {
      if (lane.loop.inEventLoop()) {
        lane.start(request);
        return;
      }
    }
    Lane lane = lanes.length == 1 ? lanes[0] : lanes[Math.floorMod(nextLane.getAndIncrement(), lanes.length)];
    lane.handOff(request);
  }

  @Override
  public ServerStats.Snapshot stats() {
    return control.stats();
  }

  /** Closes every connection and stops the event loops; requests still outstanding fail. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Lane lane : lanes) {
      try {
        lane.loop.execute(lane::shutDown);
      } catch (RejectedExecutionException e) {
        // Already stopped.
      }
    }
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    for (Lane lane : lanes) {
      lane.failHandedOff();
    }
    for (ByteBuf request : requests) {
      request.release();
    }
    control.close();
  }

  /** One request: which prepared request, who hears how it ended, and when {@link #infer} was called. */
  private record Pending(int payload, Outcome outcome, long startedNanos) {}

  /**
   * One event loop and the connections it owns. Every field but {@link #handedOff} and {@link #woken}
   * is touched only on {@link #loop}.
   */
  private final class Lane {
    final EventLoop loop;
    final Bootstrap bootstrap;
    final int wanted;
    /** Requests from other threads, drained on the loop. */
    final Queue<Pending> handedOff = new ConcurrentLinkedQueue<>();
    /** Whether a drain of {@link #handedOff} is due on the loop. */
    final AtomicBoolean woken = new AtomicBoolean();
    final Runnable drain = this::drain;
    final List<Connection> open = new ArrayList<>();
    final ArrayDeque<Connection> idle = new ArrayDeque<>();
    final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    int connecting;
    boolean shutDown;

    Lane(EventLoop loop, Bootstrap bootstrap, int wanted) {
      this.loop = loop;
      this.bootstrap = bootstrap;
      this.wanted = wanted;
      long sweepNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1),
          Math.min(TimeUnit.MILLISECONDS.toNanos(SWEEP_MAX_MILLIS), timeoutNanos / 10));
      loop.scheduleAtFixedRate(this::sweep, sweepNanos, sweepNanos, TimeUnit.NANOSECONDS);
    }

    /** From any thread but the loop's. */
    void handOff(Pending request) {
      handedOff.offer(request);
      if (!woken.get() && woken.compareAndSet(false, true)) {
        try {
          loop.execute(drain);
        } catch (RejectedExecutionException e) {
          failHandedOff();
        }
      }
    }

    private void drain() {
      woken.set(false);
      Pending request;
      while ((request = handedOff.poll()) != null) {
        start(request);
      }
    }

    /** Fails what was handed off after the loop stopped (client closed). */
    void failHandedOff() {
      Pending request;
      while ((request = handedOff.poll()) != null) {
        request.outcome().complete(ErrorCodes.CONNECTION_CLOSED);
      }
    }

    void start(Pending request) {
      if (shutDown) {
        request.outcome().complete(ErrorCodes.CONNECTION_CLOSED);
        return;
      }
      Connection connection = idle.pollFirst();
      if (connection != null) {
        connection.send(request);
        return;
      }
      waiting.addLast(request);
      replenish();
    }

    /** A connection is free: it takes the oldest waiting request, or joins the end of the idle queue. */
    void release(Connection connection) {
      if (shutDown) {
        connection.channel.close();
        return;
      }
      Pending next = waiting.pollFirst();
      if (next != null) {
        connection.send(next);
      } else {
        idle.addLast(connection);
      }
    }

    /** A connection ended: it leaves the lane and another replaces it. */
    void lost(Connection connection) {
      open.remove(connection);
      idle.remove(connection);
      if (!shutDown && open.size() + connecting < wanted) {
        connect(null);
      }
    }

    /** Opens connections for waiting requests, up to the lane's count. */
    private void replenish() {
      while (open.size() + connecting < wanted && connecting < waiting.size()) {
        connect(null);
      }
    }

    /** Opens the lane's connections, {@link #CONNECTS_AT_ONCE} at a time; {@code done} when all are open. */
    void openInitial(CompletableFuture<Void> done) {
      int first = Math.min(wanted, CONNECTS_AT_ONCE);
      for (int i = 0; i < first; i++) {
        connect(done);
      }
    }

    /** Opens one connection; {@code initial}: part of {@link #openInitial}, which it continues. */
    private void connect(CompletableFuture<Void> initial) {
      connecting++;
      Connection connection = new Connection(this);
      ChannelFuture future = bootstrap.clone().handler(connection).connect();
      future.addListener(f -> {
        connecting--;
        if (!f.isSuccess()) {
          if (initial != null) {
            initial.completeExceptionally(f.cause());
          } else {
            connectFailed(f.cause());
          }
          return;
        }
        connection.channel = future.channel();
        if (shutDown) {
          connection.channel.close();
          return;
        }
        open.add(connection);
        release(connection);
        if (initial != null) {
          if (open.size() + connecting < wanted) {
            connect(initial);
          } else if (open.size() >= wanted) {
            initial.complete(null);
          }
        }
      });
    }

    /** A replacement could not connect: with no connection left, the oldest waiting request fails with why. */
    private void connectFailed(Throwable cause) {
      if (open.isEmpty() && connecting == 0 && !waiting.isEmpty()) {
        waiting.pollFirst().outcome().complete(ErrorCodes.of(cause));
        replenish();
      }
    }

    /** Fails requests unanswered for the timeout, those waiting and those on a connection (closed then). */
    private void sweep() {
      long now = System.nanoTime();
      while (!waiting.isEmpty() && now - waiting.peekFirst().startedNanos() >= timeoutNanos) {
        waiting.pollFirst().outcome().complete(ErrorCodes.TIMEOUT);
      }
      for (Connection connection : List.copyOf(open)) {
        Pending request = connection.inFlight;
        if (request != null && now - request.startedNanos() >= timeoutNanos) {
          connection.inFlight = null;
          connection.channel.close();
          request.outcome().complete(ErrorCodes.TIMEOUT);
        }
      }
    }

    void shutDown() {
      shutDown = true;
      Pending request;
      while ((request = waiting.pollFirst()) != null) {
        request.outcome().complete(ErrorCodes.CONNECTION_CLOSED);
      }
      for (Connection connection : List.copyOf(open)) {
        connection.channel.close();
      }
      drain();
    }
  }

  /** One connection: its channel's only handler, carrying one request at a time. Touched only on its lane's loop. */
  private final class Connection extends ChannelInboundHandlerAdapter {
    final Lane lane;
    final Http1ResponseParser parser = new Http1ResponseParser();
    Channel channel;
    Pending inFlight;
    /** What broke the connection, when the socket said. */
    Throwable failure;

    Connection(Lane lane) {
      this.lane = lane;
    }

    void send(Pending request) {
      inFlight = request;
      parser.begin(!prepared.expected(request.payload()).isEmpty());
      channel.writeAndFlush(requests[request.payload()].retainedDuplicate(), channel.voidPromise());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      try {
        if (inFlight == null) {
          ctx.close(); // bytes nobody asked for: the connection cannot be trusted
          return;
        }
        if (!parser.feed(in)) {
          return;
        }
        Pending request = inFlight;
        inFlight = null;
        String code = code(request); // before the connection takes the next request and its parser restarts
        if (parser.keepAlive() && !in.isReadable()) {
          lane.release(this);
        } else {
          ctx.close();
        }
        request.outcome().complete(code);
      } catch (Http1ResponseParser.BadResponse e) {
        Pending request = inFlight;
        inFlight = null;
        ctx.close();
        request.outcome().complete(ErrorCodes.BAD_RESPONSE);
      } finally {
        in.release();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Pending request = inFlight;
      inFlight = null;
      lane.lost(this);
      if (request != null) {
        request.outcome().complete(parser.endOfInput() ? code(request)
            : failure != null ? ErrorCodes.of(failure) : ErrorCodes.CONNECTION_CLOSED);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (failure == null) {
        failure = cause;
      }
      ctx.close();
    }

    /** The error code of a complete answer; null for success. */
    private String code(Pending request) {
      int status = parser.status();
      if (status / 100 != 2) {
        return ErrorCodes.http(status);
      }
      List<TensorData> expected = prepared.expected(request.payload());
      return expected.isEmpty() ? null : HttpInferenceClient.validate(expected, parser.body(), parser.headerLength());
    }
  }
}
