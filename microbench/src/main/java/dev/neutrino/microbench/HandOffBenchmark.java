package dev.neutrino.microbench;

import dev.neutrino.batching.DynamicBatcher;
import dev.neutrino.batching.DynamicBatching;
import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.Scheduler;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What a lone request pays for leaving the event loop and coming back: one caller on a Vert.x event
 * loop (Netty's native transport where it loads, as in the gateway) runs {@value #ROUND_TRIPS}
 * requests one after the other, each started from the answer of the last, and the time per request
 * is reported. The model is {@link EchoModel}, one row of 256 floats.
 *
 * <ul>
 *   <li>{@code batcher}: the gateway's path. The request goes to a {@link DynamicBatcher} (two
 *       instances, Triton's defaults), runs on an instance's thread, and its result is brought back
 *       to the event loop's context as {@code InferenceCall} brings it: two thread wake-ups per
 *       request when the machine is otherwise idle.
 *   <li>{@code thread}: the two wake-ups alone. A plain thread, parked until handed the request,
 *       runs the model and hands the answer back to the event loop.
 *   <li>{@code inline}: the model runs on the event loop itself. DESIGN.md forbids this in the
 *       gateway; it is here as the floor the other two are read against.
 * </ul>
 *
 * <p>{@code batcher} minus {@code inline} is the price of the rule that inference never runs on an
 * event loop, and {@code thread} shows how much of it is the operating system's wake-ups rather than
 * the batcher's own work.
 *
 * <p>Run: {@code java -jar microbench/target/neutrino-microbench.jar HandOffBenchmark}
 */
@State(Scope.Benchmark)
public class HandOffBenchmark extends BenchmarkDefaults {
  static final int ROUND_TRIPS = 200;

  @Param({"batcher", "thread", "inline"})
  public String path;

  private Vertx vertx;
  private Context context;
  private EchoModel model;
  private Scheduler batcher;
  private ExecutorService thread;
  private InferenceRequest request;

  @Setup(Level.Trial)
  public void setUp() {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1));
    context = vertx.getOrCreateContext();
    model = new EchoModel(new TensorSpec("INPUT0", DataType.FP32, new long[] {-1, 256}));
    batcher = DynamicBatcher.create("jmh", List.of(model, model), 64, DynamicBatching.defaults());
    thread = Executors.newSingleThreadExecutor();
    float[] values = new float[256];
    for (int i = 0; i < values.length; i++) {
      values[i] = i / 256f;
    }
    request = InferenceRequest.of("", Map.of("INPUT0", Tensor.ofFloats(new long[] {1, 256}, values)));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    batcher.close();
    thread.shutdown();
    thread.awaitTermination(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Benchmark
  @OperationsPerInvocation(ROUND_TRIPS)
  public void roundTrips() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(v -> next(ROUND_TRIPS, done));
    done.join();
  }

  /** On the event loop: runs one request by {@link #path}, and the next from its answer. */
  private void next(int left, CompletableFuture<Void> done) {
    if (left == 0) {
      done.complete(null);
      return;
    }
    switch (path) {
      case "batcher" -> Future.fromCompletionStage(batcher.submit(request).result(), context)
          .onComplete(answer -> next(left - 1, done));
      case "thread" -> thread.execute(() -> {
        model.run(request.inputs(), Set.of("OUTPUT0"));
        context.runOnContext(v -> next(left - 1, done));
      });
      default -> {
        model.run(request.inputs(), Set.of("OUTPUT0"));
        next(left - 1, done);
      }
    }
  }
}
