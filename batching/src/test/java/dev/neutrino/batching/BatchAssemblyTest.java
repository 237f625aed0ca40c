package dev.neutrino.batching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Joining a batch's inputs and splitting its outputs, without a batcher. */
class BatchAssemblyTest {
  private static QueuedRequest member(String name, Tensor tensor, List<String> outputs) {
    InferenceRequest request = new InferenceRequest("r", Map.of(name, tensor), outputs, 0, 0,
        InferenceRequest.NO_DEADLINE, Map.of());
    return new QueuedRequest(request, new CompletableFuture<>(), (int) tensor.dim(0), ListQueue.SAME_SHAPE, 1, 0,
        InferenceRequest.NO_DEADLINE, false, InferenceRequest.NO_DEADLINE, InferenceRequest.NO_DEADLINE);
  }

  @Test
  void joinsInputsIntoOneContiguousDirectBufferInMemberOrder() {
    List<QueuedRequest> members = List.of(
        member("x", Tensor.ofFloats(new long[] {1, 2}, 1, 2), List.of()),
        member("x", Tensor.ofFloats(new long[] {2, 2}, 3, 4, 5, 6), List.of()));
    Tensor joined = BatchAssembly.concatenate(
        List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 2})), members, 3).get("x");
    assertArrayEquals(new long[] {3, 2}, joined.shape());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, joined.toFloatArray());
    assertTrue(joined.data().isDirect());
  }

  @Test
  void splitsOutputsIntoViewsOfTheBatchBuffer() {
    List<QueuedRequest> members = List.of(
        member("x", Tensor.ofFloats(new long[] {2, 1}, 0, 0), List.of()),
        member("x", Tensor.ofFloats(new long[] {1, 1}, 0), List.of()));
    ByteBuffer buffer = Tensor.allocate(12);
    buffer.asFloatBuffer().put(new float[] {10, 20, 30});
    Map<String, Tensor> produced = Map.of("y", Tensor.of(DataType.FP32, new long[] {3, 1}, buffer));
    List<Map<String, Tensor>> split = BatchAssembly.split(produced, members, 3, List.of("y"));
    assertArrayEquals(new float[] {10, 20}, split.get(0).get("y").toFloatArray());
    assertArrayEquals(new long[] {1, 1}, split.get(1).get("y").shape());
    assertArrayEquals(new float[] {30}, split.get(1).get("y").toFloatArray());
    buffer.putFloat(8, 99); // only to show that nothing was copied
    assertArrayEquals(new float[] {99}, split.get(1).get("y").toFloatArray());
  }

  @Test
  void splitsBytesOutputsByTheirLengthPrefixes() {
    List<QueuedRequest> members = List.of(
        member("s", Tensor.ofStrings(new long[] {1, 2}, "", ""), List.of()),
        member("s", Tensor.ofStrings(new long[] {2, 2}, "", "", "", ""), List.of()));
    Tensor produced = Tensor.ofStrings(new long[] {3, 2}, "a", "", "ccc", "dddd", "é", "ff");
    List<Map<String, Tensor>> split = BatchAssembly.split(Map.of("t", produced), members, 3, List.of("t"));
    assertEquals(List.of("a", ""), strings(split.get(0).get("t")));
    assertEquals(List.of("ccc", "dddd", "é", "ff"), strings(split.get(1).get("t")));
    assertArrayEquals(new long[] {2, 2}, split.get(1).get("t").shape());
  }

  @Test
  void outputWithoutTheBatchRowsFailsTheBatch() {
    List<QueuedRequest> members = List.of(
        member("x", Tensor.ofFloats(new long[] {1, 1}, 0), List.of()),
        member("x", Tensor.ofFloats(new long[] {1, 1}, 0), List.of()));
    Map<String, Tensor> produced = Map.of("y", Tensor.ofFloats(new long[] {1, 2}, 1, 2));
    InferenceException e = assertThrows(InferenceException.class,
        () -> BatchAssembly.split(produced, members, 2, List.of("y")));
    assertInstanceOf(InferenceException.BackendFailure.class, e);
    assertTrue(e.getMessage().contains("'y'"), e.getMessage());
  }

  @Test
  void runsTheUnionOfRequestedOutputsOrAllWhenOneAsksForAll() {
    List<String> all = List.of("a", "b", "c");
    Tensor x = Tensor.ofFloats(new long[] {1, 1}, 0);
    assertEquals(List.of("c", "a"), new ArrayList<>(BatchAssembly.outputsToRun(
        List.of(member("x", x, List.of("c")), member("x", x, List.of("a", "c"))), all)));
    assertEquals(all, new ArrayList<>(BatchAssembly.outputsToRun(
        List.of(member("x", x, List.of("c")), member("x", x, List.of())), all)));
  }

  private static List<String> strings(Tensor tensor) {
    List<String> values = new ArrayList<>();
    tensor.toByteElements().forEach(e -> values.add(new String(e, StandardCharsets.UTF_8)));
    return values;
  }
}
