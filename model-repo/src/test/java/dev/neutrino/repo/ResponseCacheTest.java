package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.runtime.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResponseCacheTest {
  private static InferenceRequest request(float value, List<String> outputs) {
    return new InferenceRequest("id", Map.of("x", Tensor.ofFloats(new long[] {1, 2}, value, 2f)), outputs, 0, 0,
        InferenceRequest.NO_DEADLINE, Map.of());
  }

  @Test
  void hitReturnsTheStoredOutputsAndCounts() {
    ResponseCache cache = ResponseCache.create(1 << 20);
    Map<String, Tensor> outputs = Map.of("y", Tensor.ofFloats(new long[] {1}, 9f));
    assertNull(cache.get(ResponseCache.key("m", 1, request(1f, List.of()))));
    cache.put(ResponseCache.key("m", 1, request(1f, List.of())), outputs);
    Map<String, Tensor> hit = cache.get(ResponseCache.key("m", 1, request(1f, List.of())));
    assertNotNull(hit);
    assertSame(outputs.get("y"), hit.get("y"));
    assertEquals(new ResponseCache.Stats(1, 1, 0, 0), cache.stats("m"), "time is the caller's to add");
  }

  @Test
  void differentBytesVersionsOrOutputsMiss() {
    ResponseCache cache = ResponseCache.create(1 << 20);
    cache.put(ResponseCache.key("m", 1, request(1f, List.of())), Map.of("y", Tensor.ofFloats(new long[] {1}, 9f)));
    assertNull(cache.get(ResponseCache.key("m", 1, request(1.0000001f, List.of()))));
    assertNull(cache.get(ResponseCache.key("m", 2, request(1f, List.of()))));
    assertNull(cache.get(ResponseCache.key("other", 1, request(1f, List.of()))));
    assertNull(cache.get(ResponseCache.key("m", 1, request(1f, List.of("y")))));
    assertEquals(new ResponseCache.Stats(0, 3, 0, 0), cache.stats("m"));
  }

  @Test
  void addsTimeToTheKeysVersionOnly() {
    ResponseCache cache = ResponseCache.create(1 << 20);
    ResponseCache.Key v1 = ResponseCache.key("m", 1, request(1f, List.of()));
    ResponseCache.Key v2 = ResponseCache.key("m", 2, request(1f, List.of()));
    assertNull(cache.get(v1));
    cache.addMissNanos(v1, 300);
    cache.put(v1, Map.of());
    cache.addMissNanos(v1, 200);
    assertNotNull(cache.get(v1));
    cache.addHitNanos(v1, 70);
    cache.addHitNanos(v2, -5); // a clock read out of order counts as nothing
    assertEquals(new ResponseCache.Stats(1, 1, 70, 500), cache.stats("m", 1));
    assertEquals(new ResponseCache.Stats(0, 0, 0, 0), cache.stats("m", 2));
    assertEquals(new ResponseCache.Stats(1, 1, 70, 500), cache.stats("m"));
    assertEquals(ResponseCache.Stats.NONE, cache.stats("other", 1));
  }

  @Test
  void staysWithinItsByteBudget() {
    ResponseCache cache = ResponseCache.create(10_000);
    for (int i = 0; i < 1000; i++) {
      cache.put(ResponseCache.key("m", 1, request(i, List.of())), Map.of("y", Tensor.ofFloats(new long[] {64}, new float[64])));
    }
    cache.get(ResponseCache.key("m", 1, request(0, List.of()))); // lets maintenance run
    assertTrue(cache.weightedSize() <= 10_000, "weighted size " + cache.weightedSize());
  }

  @Test
  void invalidateDropsOneModel() {
    ResponseCache cache = ResponseCache.create(1 << 20);
    cache.put(ResponseCache.key("a", 1, request(1f, List.of())), Map.of());
    cache.put(ResponseCache.key("b", 1, request(1f, List.of())), Map.of());
    cache.invalidate("a");
    assertNull(cache.get(ResponseCache.key("a", 1, request(1f, List.of()))));
    assertNotNull(cache.get(ResponseCache.key("b", 1, request(1f, List.of()))));
  }
}
