package dev.neutrino.batching;

import dev.neutrino.microbench.BenchmarkDefaults;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Decoding into a batch buffer: 32 requests of one row of 256 floats, each received in a heap body (as
 * Vert.x and protobuf hand bytes over), become the members of one batch whose input is then joined
 * into one direct buffer. {@code tensors} compares the two ways a request's tensor can hold its bytes:
 * {@code direct}, a direct buffer allocated and filled per request (what the codecs did), and
 * {@code view}, a view of the body's bytes, so that batch assembly's copy is the only one. The time
 * is per batch of 32.
 *
 * <p>Run: {@code java -jar microbench/target/neutrino-microbench.jar WireToBatchBenchmark}
 */
@State(Scope.Benchmark)
public class WireToBatchBenchmark extends BenchmarkDefaults {
  private static final int MEMBERS = 32;
  private static final int FEATURES = 256;
  /** Where the tensor starts in its body: after a JSON header, as in Triton's binary extension. */
  private static final int HEADER_BYTES = 180;

  @Param({"direct", "view"})
  public String tensors;

  private final List<TensorSpec> inputs = List.of(new TensorSpec("features", DataType.FP32, new long[] {-1, FEATURES}));
  private final long[] shape = {1, FEATURES};
  private final byte[][] bodies = new byte[MEMBERS][];

  @Setup
  public void setUp() {
    for (int i = 0; i < MEMBERS; i++) {
      ByteBuffer body = ByteBuffer.allocate(HEADER_BYTES + 4 * FEATURES).order(ByteOrder.LITTLE_ENDIAN);
      for (int f = 0; f < FEATURES; f++) {
        body.putFloat(HEADER_BYTES + 4 * f, i + f / 256f);
      }
      bodies[i] = body.array();
    }
  }

  @Benchmark
  public Object decodeIntoBatchBuffer() {
    boolean view = tensors.equals("view");
    List<QueuedRequest> members = new ArrayList<>(MEMBERS);
    for (int i = 0; i < MEMBERS; i++) {
      ByteBuffer data;
      if (view) {
        data = ByteBuffer.wrap(bodies[i], HEADER_BYTES, 4 * FEATURES).slice().order(ByteOrder.LITTLE_ENDIAN);
      } else {
        data = Tensor.allocate(4 * FEATURES);
        data.put(bodies[i], HEADER_BYTES, 4 * FEATURES).flip();
      }
      InferenceRequest request = InferenceRequest.of("r", Map.of("features", Tensor.of(DataType.FP32, shape, data)));
      members.add(new QueuedRequest(request, new CompletableFuture<>(), 1, "shape", 1, 0,
          InferenceRequest.NO_DEADLINE, false, InferenceRequest.NO_DEADLINE, InferenceRequest.NO_DEADLINE));
    }
    return BatchAssembly.concatenate(inputs, members, MEMBERS);
  }
}
