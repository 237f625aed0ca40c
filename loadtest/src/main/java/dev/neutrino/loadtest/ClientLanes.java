package dev.neutrino.loadtest;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.internal.VertxInternal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The threads and connections of a Vert.x client of the generator (HTTP and gRPC alike): a Vert.x
 * instance of its own whose event loops are registered with the {@link CpuMeter} (so the generator's
 * CPU use is its own even when a server shares the JVM), and one <em>lane</em> per event loop: one
 * context and one pool of connections that only it uses.
 *
 * <p>Every request starts on its lane's context: a request started from a foreign thread is handed
 * to a lane first. Started elsewhere, Vert.x may deliver the response head on one thread while the
 * body arrives on another, and a response that ended before {@code end()} was attached would never
 * complete. A request started from a lane's callback (the closed loop's next request) stays on that
 * lane.
 *
 * <p>The instance runs on Netty's native transport (epoll on Linux) where it loads, as the gateway
 * does by default: fewer system calls per request leave more of a shared machine to the server. Where
 * it does not load, the lanes run on Java NIO and one log line says why.
 *
 * <p>Thread-safe: {@link #dispatch} may be called from any thread.
 */
final class ClientLanes implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ClientLanes.class.getName());
  static final long BLOCKING_TIMEOUT_SECONDS = 30;

  private final Vertx vertx;
  private final Lane[] lanes;
  private final AtomicInteger nextLane = new AtomicInteger();

  /** One event loop's context and the connections only it uses. */
  record Lane(Context context, HttpClient client) {}

  /** Starts one prepared request on {@code client}, from the lane's event loop. */
  @FunctionalInterface
  interface Request {
    void start(HttpClient client, int payload, InferenceClient.Outcome outcome);
  }

  private ClientLanes(Vertx vertx, Lane[] lanes) {
    this.vertx = vertx;
    this.lanes = lanes;
  }

  /**
   * Starts the Vert.x instance and the lanes' clients.
   *
   * @param pool the pool of lane {@code i}
   */
  static ClientLanes start(int eventLoops, HttpClientOptions options, IntFunction<PoolOptions> pool, CpuMeter meter) {
    Vertx vertx = Vertx.vertx(new VertxOptions()
        .setPreferNativeTransport(true)
        .setEventLoopPoolSize(eventLoops)
        .setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1));
    if (!vertx.isNativeTransportEnabled()) {
      Throwable why = vertx.unavailableNativeTransportCause();
      LOG.log(System.Logger.Level.WARNING, "load generator: network transport nio, because the native transport is "
          + "unavailable (" + (why == null ? "none for " + System.getProperty("os.name") + " on "
              + System.getProperty("os.arch") : why.getMessage() != null ? why.getMessage()
              : why.getClass().getSimpleName()) + ")");
    }
    try {
      registerEventLoops(vertx, meter);
      Lane[] lanes = new Lane[eventLoops];
      for (int i = 0; i < eventLoops; i++) {
        lanes[i] = new Lane(((VertxInternal) vertx).createEventLoopContext(),
            vertx.createHttpClient(options, pool.apply(i)));
      }
      return new ClientLanes(vertx, lanes);
    } catch (RuntimeException e) {
      close(vertx);
      throw e;
    }
  }

  Lane first() {
    return lanes[0];
  }

  /** Whether the lanes run on Netty's native transport rather than Java NIO. */
  boolean nativeTransport() {
    return vertx.isNativeTransportEnabled();
  }

  /**
   * Starts {@code request} on the calling lane, or hands it to the next lane (in rotation) when
   * called from any other thread.
   */
  void dispatch(Request request, int payload, InferenceClient.Outcome outcome) {
    Context current = Vertx.currentContext();
    for (Lane lane : lanes) {
      if (lane.context == current) {
        request.start(lane.client, payload, outcome);
        return;
      }
    }
    Lane lane = lanes.length == 1 ? lanes[0] : lanes[Math.floorMod(nextLane.getAndIncrement(), lanes.length)];
    lane.context.runOnContext(v -> request.start(lane.client, payload, outcome));
  }

  /**
   * Runs {@code action} on {@code lane}'s context and waits for its result; for set-up and
   * statistics, never on a lane.
   *
   * @throws IOException naming {@code what} when the action fails or takes longer than
   *     {@link #BLOCKING_TIMEOUT_SECONDS}
   */
  static <T> T await(Lane lane, Supplier<Future<T>> action, String what) throws IOException {
    Promise<T> promise = Promise.promise();
    lane.context.runOnContext(v -> action.get().onComplete(promise));
    try {
      return promise.future().toCompletionStage().toCompletableFuture().get(BLOCKING_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new IOException(what + " failed: "
          + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IOException(what + " got no answer in " + BLOCKING_TIMEOUT_SECONDS + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  /** Closes the connections and stops the threads; outstanding requests fail. */
  @Override
  public void close() {
    close(vertx);
  }

  /** Registers every event-loop thread of {@code vertx} with the meter. */
  private static void registerEventLoops(Vertx vertx, CpuMeter meter) {
    EventLoopGroup group = ((VertxInternal) vertx).nettyEventLoopGroup();
    List<io.netty.util.concurrent.Future<?>> done = new ArrayList<>();
    for (EventExecutor executor : group) {
      done.add(executor.submit(() -> meter.register(Thread.currentThread())));
    }
    for (io.netty.util.concurrent.Future<?> f : done) {
      f.awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
  }

  private static void close(Vertx vertx) {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Best effort: the threads are daemons.
    }
  }
}
