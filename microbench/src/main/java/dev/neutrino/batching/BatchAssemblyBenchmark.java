package dev.neutrino.batching;

import dev.neutrino.microbench.BenchmarkDefaults;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Batch assembly for 32 requests of one row of 256 floats each: joining their inputs into one buffer
 * ({@code concatenate}, one copy) and splitting a batch's 32-row output back into per-request views
 * ({@code split}, no copy). {@code BatchAssembly} is package-private in the batching module; this
 * class sits in its package (from the microbench module, on the same class path) to call it.
 *
 * <p>Run: {@code java -jar microbench/target/neutrino-microbench.jar BatchAssemblyBenchmark}
 */
@State(Scope.Benchmark)
public class BatchAssemblyBenchmark extends BenchmarkDefaults {
  private static final int MEMBERS = 32;

  private final List<TensorSpec> inputs = List.of(new TensorSpec("features", DataType.FP32, new long[] {-1, 256}));
  private final List<String> outputNames = List.of("score");
  private List<QueuedRequest> members;
  private Map<String, Tensor> produced;

  @Setup
  public void setUp() {
    float[] row = new float[256];
    for (int i = 0; i < row.length; i++) {
      row[i] = i;
    }
    members = new ArrayList<>();
    for (int i = 0; i < MEMBERS; i++) {
      InferenceRequest request = InferenceRequest.of("r" + i,
          Map.of("features", Tensor.ofFloats(new long[] {1, 256}, row)));
      members.add(new QueuedRequest(request, new CompletableFuture<>(), 1, "shape", 1, 0,
          InferenceRequest.NO_DEADLINE, false, InferenceRequest.NO_DEADLINE, InferenceRequest.NO_DEADLINE));
    }
    produced = Map.of("score", Tensor.ofFloats(new long[] {MEMBERS, 1}, new float[MEMBERS]));
  }

  @Benchmark
  public Object concatenate() {
    return BatchAssembly.concatenate(inputs, members, MEMBERS);
  }

  @Benchmark
  public Object split() {
    return BatchAssembly.split(produced, members, MEMBERS, outputNames);
  }
}
