package dev.neutrino.microbench;

import dev.neutrino.batching.DirectScheduler;
import dev.neutrino.batching.DynamicBatcher;
import dev.neutrino.batching.DynamicBatching;
import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.batching.Scheduler;
import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * A whole in-process request through a scheduler, over the public API: submit a request of one row
 * of 256 floats to a {@link DirectScheduler} (no batching) or a {@link DynamicBatcher} (Triton's
 * defaults: no queue delay), and wait for its result. The model is {@link EchoModel}, so the time is
 * the scheduler's: queueing, the hand-off to the instance thread and back, batch assembly and split.
 * {@code oneRequest} is one caller's round trip; {@code burstOf32} submits 32 at once and waits for
 * all, the case where the batcher forms batches (time per request).
 *
 * <p>Run: {@code java -jar microbench/target/neutrino-microbench.jar SchedulerBenchmark}
 */
@State(Scope.Benchmark)
public class SchedulerBenchmark extends BenchmarkDefaults {
  private static final int BURST = 32;

  @Param({"direct", "dynamic"})
  public String scheduler;

  private Scheduler instance;
  private InferenceRequest request;
  private InferenceRequest[] burst;

  @Setup(Level.Trial)
  public void setUp() {
    EchoModel model = new EchoModel(new TensorSpec("INPUT0", DataType.FP32, new long[] {-1, 256}));
    instance = scheduler.equals("direct")
        ? DirectScheduler.create("jmh", List.of(model), SchedulerOptions.DEFAULT)
        : DynamicBatcher.create("jmh", List.of(model), 64, DynamicBatching.defaults());
    float[] values = new float[256];
    for (int i = 0; i < values.length; i++) {
      values[i] = i / 256f;
    }
    request = InferenceRequest.of("", Map.of("INPUT0", Tensor.ofFloats(new long[] {1, 256}, values)));
    burst = new InferenceRequest[BURST];
    for (int i = 0; i < BURST; i++) {
      burst[i] = InferenceRequest.of("r" + i, Map.of("INPUT0", Tensor.ofFloats(new long[] {1, 256}, values)));
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    instance.close();
  }

  @Benchmark
  public InferenceResult oneRequest() {
    return instance.submit(request).result().toCompletableFuture().join();
  }

  @Benchmark
  @OperationsPerInvocation(BURST)
  public void burstOf32(Blackhole blackhole) {
    CompletableFuture<?>[] results = new CompletableFuture<?>[BURST];
    for (int i = 0; i < BURST; i++) {
      results[i] = instance.submit(burst[i]).result().toCompletableFuture();
    }
    for (CompletableFuture<?> result : results) {
      blackhole.consume(result.join());
    }
  }
}
