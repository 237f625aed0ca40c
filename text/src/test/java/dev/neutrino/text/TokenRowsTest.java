package dev.neutrino.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenRowsTest {
  private final List<Tokens> rows = List.of(new Tokens(new long[] {2, 7, 3}, new long[] {0, 0, 0}),
      new Tokens(new long[] {2, 3}, new long[] {0, 1}));

  @Test
  void padsEachRowAfterItsTokens() {
    Tensor ids = TokenRows.ids(rows, 4, 9, DataType.INT64);
    assertArrayEquals(new long[] {2, 4}, ids.shape());
    assertArrayEquals(new long[] {2, 7, 3, 9, 2, 3, 9, 9}, ids.toLongArray());
    assertArrayEquals(new int[] {1, 1, 1, 0, 1, 1, 0, 0}, TokenRows.attentionMask(rows, 4, DataType.INT32).toIntArray());
    assertArrayEquals(new long[] {0, 0, 0, 0, 0, 1, 0, 0}, TokenRows.typeIds(rows, 4, DataType.INT64).toLongArray());
  }

  @Test
  void refusesRowsLongerThanTheLengthAndOtherTypes() {
    assertThrows(IllegalArgumentException.class, () -> TokenRows.ids(rows, 2, 0, DataType.INT64));
    assertThrows(IllegalArgumentException.class, () -> TokenRows.ids(rows, 4, 0, DataType.FP32));
  }
}
