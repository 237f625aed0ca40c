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
 * misses are counted per model version. Thread-safe.
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

  /** Hits and misses of one model. */
  public record Stats(long hits, long misses) {}

  /** The cache key of a request; build it once per request. */
  public static Key key(String model, long version, InferenceRequest request) {
    return Key.of(model, version, request);
  }

  /** The cached outputs for {@code key}, counting a hit or a miss for its model; null on a miss. */
  public Map<String, Tensor> get(Key key) {
    Map<String, Tensor> outputs = cache.getIfPresent(key);
    Counts c = counts.computeIfAbsent(key.model, m -> new ConcurrentHashMap<>())
        .computeIfAbsent(key.version, v -> new Counts());
    (outputs != null ? c.hits : c.misses).increment();
    return outputs;
  }

  public void put(Key key, Map<String, Tensor> outputs) {
    cache.put(key, Collections.unmodifiableMap(new LinkedHashMap<>(outputs)));
  }

  /** Hits and misses of every version of {@code model}, since the cache was created. */
  public Stats stats(String model) {
    Map<Long, Counts> versions = counts.getOrDefault(model, Map.of());
    long hits = 0;
    long misses = 0;
    for (Counts c : versions.values()) {
      hits += c.hits.sum();
      misses += c.misses.sum();
    }
    return new Stats(hits, misses);
  }

  /** Hits and misses of one version of {@code model}, since the cache was created (reloads included). */
  public Stats stats(String model, long version) {
    Counts c = counts.getOrDefault(model, Map.of()).get(version);
    return c == null ? new Stats(0, 0) : new Stats(c.hits.sum(), c.misses.sum());
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
