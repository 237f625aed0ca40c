package dev.neutrino.repo;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.runtime.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Responses of models with {@code response_cache { enable: true }}, shared by all of them under one
 * byte budget ({@code --response-cache-bytes}), least recently used first out.
 *
 * <p>A key is the model, its version, the requested outputs and every input's name, datatype, shape
 * and bytes, compared exactly (the hash only picks the bucket), so a hit returns the very bytes the
 * model computed for the same request. Entries are weighed by their key and output bytes. Hits and
 * misses are counted per model version, with the time they took as the caller measures it
 * ({@link #addHitNanos}, {@link #addMissNanos}): Triton's {@code cache_hit} and {@code cache_miss}
 * statistics. Thread-safe.
 */
public final class ResponseCache {
  private final Cache<Key, Map<String, Tensor>> cache;
  /** Hits and misses by model, then version. */
  private final Map<String, Map<Long, Counts>> counts = new ConcurrentHashMap<>();

  private ResponseCache(long maxBytes) {
    this.cache = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((Key key, Map<String, Tensor> outputs) -> weigh(key, outputs))
        .build();
  }

  /** A cache holding at most {@code maxBytes} of keys and responses. */
  public static ResponseCache create(long maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("response cache size must be at least 1 byte, got " + maxBytes);
    }
    return new ResponseCache(maxBytes);
  }

  /**
   * Hits and misses of one model or version, and the time they took.
   *
   * @param hitNanos looking the hits up and serving their answers (Triton's {@code cache_hit} time)
   * @param missNanos looking the misses up and inserting their computed answers (Triton's
   *     {@code cache_miss} time); the inference between the two is not included
   */
  public record Stats(long hits, long misses, long hitNanos, long missNanos) {
    public static final Stats NONE = new Stats(0, 0, 0, 0);
  }

  /** The cache key of a request; build it once per request. */
  public static Key key(String model, long version, InferenceRequest request) {
    return Key.of(model, version, request);
  }

  /**
   * The cached outputs for {@code key}, counting a hit or a miss for its model version; null on a
   * miss. The time is the caller's to measure and add.
   */
  public Map<String, Tensor> get(Key key) {
    Map<String, Tensor> outputs = cache.getIfPresent(key);
    (outputs != null ? counts(key).hits : counts(key).misses).increment();
    return outputs;
  }

  /** Adds to the hit time of {@code key}'s version: looking a hit up and serving its answer. */
  public void addHitNanos(Key key, long nanos) {
    counts(key).hitNanos.add(Math.max(0, nanos));
  }

  /**
   * Adds to the miss time of {@code key}'s version: looking a miss up, and inserting the answer
   * computed for it.
   */
  public void addMissNanos(Key key, long nanos) {
    counts(key).missNanos.add(Math.max(0, nanos));
  }

  private Counts counts(Key key) {
    Map<Long, Counts> versions = counts.get(key.model);
    if (versions == null) {
      versions = counts.computeIfAbsent(key.model, m -> new ConcurrentHashMap<>());
    }
    Counts c = versions.get(key.version);
    return c != null ? c : versions.computeIfAbsent(key.version, v -> new Counts());
  }

  public void put(Key key, Map<String, Tensor> outputs) {
    cache.put(key, Collections.unmodifiableMap(new LinkedHashMap<>(outputs)));
  }

  /** Hits and misses of every version of {@code model}, since the cache was created. */
  public Stats stats(String model) {
    Map<Long, Counts> versions = counts.getOrDefault(model, Map.of());
    long hits = 0;
    long misses = 0;
    long hitNanos = 0;
    long missNanos = 0;
    for (Counts c : versions.values()) {
      hits += c.hits.sum();
      misses += c.misses.sum();
      hitNanos += c.hitNanos.sum();
      missNanos += c.missNanos.sum();
    }
    return new Stats(hits, misses, hitNanos, missNanos);
  }

  /** Hits and misses of one version of {@code model}, since the cache was created (reloads included). */
  public Stats stats(String model, long version) {
    Counts c = counts.getOrDefault(model, Map.of()).get(version);
    return c == null ? Stats.NONE : new Stats(c.hits.sum(), c.misses.sum(), c.hitNanos.sum(), c.missNanos.sum());
  }

  /** Drops every entry of {@code model} (all versions), for unload and reload. */
  public void invalidate(String model) {
    cache.asMap().keySet().removeIf(key -> key.model.equals(model));
  }

  /** Bytes held now, as weighed, once pending evictions have run (they run asynchronously otherwise). */
  public long weightedSize() {
    cache.cleanUp();
    return cache.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
  }

  private static int weigh(Key key, Map<String, Tensor> outputs) {
    long bytes = 64L + key.bytes.length;
    for (Map.Entry<String, Tensor> output : outputs.entrySet()) {
      bytes += 64L + output.getKey().length() + output.getValue().byteSize();
    }
    return (int) Math.min(Integer.MAX_VALUE, bytes);
  }

  private static final class Counts {
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder hitNanos = new LongAdder();
    final LongAdder missNanos = new LongAdder();
  }

  /** A request's identity for the cache: compared byte for byte. */
  public static final class Key {
    private final String model;
    private final long version;
    private final byte[] bytes;
    private final int hash;

    private Key(String model, long version, byte[] bytes) {
      this.model = model;
      this.version = version;
      this.bytes = bytes;
      this.hash = 31 * (31 * model.hashCode() + Long.hashCode(version)) + Arrays.hashCode(bytes);
    }

    static Key of(String model, long version, InferenceRequest request) {
      int size = 8;
      for (String output : request.outputs()) {
        size += 4 + output.length() * 3;
      }
      for (Map.Entry<String, Tensor> input : request.inputs().entrySet()) {
        size += 16 + input.getKey().length() * 3 + 8 * input.getValue().rank() + input.getValue().byteSize();
      }
      ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
      List<String> outputs = request.outputs();
      out.putInt(outputs.size());
      for (String output : outputs) {
        putString(out, output);
      }
      out.putInt(request.inputs().size());
      for (Map.Entry<String, Tensor> input : request.inputs().entrySet()) {
        Tensor tensor = input.getValue();
        putString(out, input.getKey());
        out.put((byte) tensor.datatype().ordinal());
        out.put((byte) tensor.rank());
        for (long dim : tensor.shape()) {
          out.putLong(dim);
        }
        out.putInt(tensor.byteSize());
        out.put(tensor.data());
      }
      return new Key(model, version, Arrays.copyOf(out.array(), out.position()));
    }

    private static void putString(ByteBuffer out, String value) {
      byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
      out.putShort((short) utf8.length).put(utf8);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Key that
          && hash == that.hash
          && version == that.version
          && model.equals(that.model)
          && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
