package dev.neutrino.generation;

import java.nio.FloatBuffer;

/**
 * The key/value cache of every running sequence, in fixed-size blocks preallocated when the engine
 * starts. A sequence holds a list of block ids; its token {@code t} lives in block {@code
 * blocks[t / blockTokens]} at slot {@code t % blockTokens}. Blocks freed by a finished sequence go
 * back to the free list at once and are the next ones handed out.
 *
 * <p>Layout of one block: for each layer, key then value, for each head, {@code blockTokens} slots of
 * {@code headWidth} floats. Confined to the engine's thread, apart from {@link #used()}.
 */
final class KvBlockPool {
  private final int blocks;
  private final int blockTokens;
  private final int layers;
  private final int heads;
  private final int headWidth;
  private final int blockFloats;
  private final float[] storage;
  private final int[] freeList;
  private int freeCount;
  private volatile int used;

  KvBlockPool(int blocks, int blockTokens, int layers, int heads, int headWidth) {
    long floats = (long) blocks * blockTokens * layers * 2 * heads * headWidth;
    if (floats > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a cache of " + blocks + " blocks of " + blockTokens
          + " tokens needs " + floats + " floats for this model; use fewer blocks");
    }
    this.blocks = blocks;
    this.blockTokens = blockTokens;
    this.layers = layers;
    this.heads = heads;
    this.headWidth = headWidth;
    this.blockFloats = blockTokens * layers * 2 * heads * headWidth;
    this.storage = new float[(int) floats];
    this.freeList = new int[blocks];
    for (int i = 0; i < blocks; i++) {
      freeList[i] = blocks - 1 - i;
    }
    this.freeCount = blocks;
  }

  int capacity() {
    return blocks;
  }

  int free() {
    return freeCount;
  }

  /** Blocks held by sequences; safe to read from any thread. */
  int used() {
    return used;
  }

  /** Takes {@code count} blocks, or returns null (taking none) when fewer are free. */
  int[] allocate(int count) {
    if (count > freeCount) {
      return null;
    }
    int[] taken = new int[count];
    for (int i = 0; i < count; i++) {
      taken[i] = freeList[--freeCount];
    }
    used = blocks - freeCount;
    return taken;
  }

  /** Gives blocks back; the last ones given back are the first handed out again. */
  void release(int[] taken) {
    for (int i = taken.length - 1; i >= 0; i--) {
      freeList[freeCount++] = taken[i];
    }
    used = blocks - freeCount;
  }

  /**
   * Copies tokens {@code 0..length-1} of one layer's key or value cache of a sequence into {@code
   * target}, a [batch, heads, slots, headWidth] tensor, at row {@code row} from slot {@code firstSlot}.
   */
  void gather(int[] sequenceBlocks, int length, int layer, int kv, FloatBuffer target, int row, int slots,
      int firstSlot) {
    for (int head = 0; head < heads; head++) {
      int targetBase = ((row * heads + head) * slots + firstSlot) * headWidth;
      for (int start = 0; start < length; start += blockTokens) {
        int count = Math.min(blockTokens, length - start);
        int source = offset(sequenceBlocks[start / blockTokens], layer, kv, head, 0);
        target.put(targetBase + start * headWidth, storage, source, count * headWidth);
      }
    }
  }

  /**
   * Copies {@code count} tokens of one layer's key or value from {@code present}, a [batch, heads,
   * slots, headWidth] tensor, row {@code row} from slot {@code firstSlot}, into the sequence's cache at
   * token {@code firstToken}.
   */
  void scatter(FloatBuffer present, int row, int slots, int firstSlot, int count, int[] sequenceBlocks,
      int firstToken, int layer, int kv) {
    for (int head = 0; head < heads; head++) {
      int sourceBase = ((row * heads + head) * slots + firstSlot) * headWidth;
      for (int i = 0; i < count; i++) {
        int token = firstToken + i;
        int target = offset(sequenceBlocks[token / blockTokens], layer, kv, head, token % blockTokens);
        present.get(sourceBase + i * headWidth, storage, target, headWidth);
      }
    }
  }

  private int offset(int block, int layer, int kv, int head, int slot) {
    return block * blockFloats + (((layer * 2 + kv) * heads + head) * blockTokens + slot) * headWidth;
  }
}
