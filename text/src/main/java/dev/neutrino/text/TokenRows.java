package dev.neutrino.text;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.Tensor;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Token rows laid out as a model's inputs: {@code [rows, length]} tensors of ids, attention mask
 * and token type ids, each row padded to {@code length} after its tokens. Stateless.
 */
public final class TokenRows {
  private TokenRows() {}

  /**
   * The ids, each row padded with {@code padId}.
   *
   * @param type INT64 or INT32, as the model's input declares
   * @throws IllegalArgumentException when a row is longer than {@code length}, or for another type
   */
  public static Tensor ids(List<Tokens> rows, int length, long padId, DataType type) {
    return tensor(rows, length, type, padId, (row, i) -> row.ids()[i]);
  }

  /** 1 for each token, 0 for each pad. */
  public static Tensor attentionMask(List<Tokens> rows, int length, DataType type) {
    return tensor(rows, length, type, 0, (row, i) -> 1);
  }

  /** Each token's type id, 0 for each pad. */
  public static Tensor typeIds(List<Tokens> rows, int length, DataType type) {
    return tensor(rows, length, type, 0, (row, i) -> row.typeIds()[i]);
  }

  private interface Cell {
    long value(Tokens row, int index);
  }

  private static Tensor tensor(List<Tokens> rows, int length, DataType type, long pad, Cell cell) {
    if (type != DataType.INT64 && type != DataType.INT32) {
      throw new IllegalArgumentException("token inputs must be INT64 or INT32, not " + type);
    }
    boolean wide = type == DataType.INT64;
    ByteBuffer data = Tensor.allocate((long) rows.size() * length * (wide ? 8 : 4));
    for (Tokens row : rows) {
      if (row.length() > length) {
        throw new IllegalArgumentException("a row of " + row.length() + " tokens does not fit in " + length);
      }
      for (int i = 0; i < length; i++) {
        long value = i < row.length() ? cell.value(row, i) : pad;
        if (wide) {
          data.putLong(value);
        } else {
          data.putInt(Math.toIntExact(value));
        }
      }
    }
    data.flip();
    return Tensor.of(type, new long[] {rows.size(), length}, data);
  }
}
