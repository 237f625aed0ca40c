package dev.neutrino.runtime;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What a model does with a batch larger than its engine runs at once (a TensorRT engine's
 * optimisation profile maximum, {@link LoadedModel#maxBatchRows()}), chosen by the model parameter
 * {@value #PARAMETER}: {@code split} (the default) runs it in slices of the maximum, one after
 * another; {@code refuse} lowers the model's effective {@code max_batch_size} to the maximum, so the
 * batcher never forms a larger batch and a request with more rows is refused (400) naming the limit.
 */
public enum OversizedBatch {
  SPLIT,
  REFUSE;

  /** The model parameter that chooses; its values are {@code split} and {@code refuse}. */
  public static final String PARAMETER = "engine_oversized_batch";
  public static final OversizedBatch DEFAULT = SPLIT;

  /**
   * The choice in a model's {@code parameters}, {@link #DEFAULT} when absent.
   *
   * @throws IllegalArgumentException when the value is neither {@code split} nor {@code refuse}
   */
  public static OversizedBatch fromParameters(Map<String, String> parameters) {
    String value = Objects.requireNonNull(parameters, "parameters").get(PARAMETER);
    if (value == null) {
      return DEFAULT;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "split" -> SPLIT;
      case "refuse" -> REFUSE;
      default -> throw new IllegalArgumentException(
          "parameters." + PARAMETER + " must be split or refuse, got '" + value + "'");
    };
  }

  /**
   * The {@code max_batch_size} a model runs with, given the configured one and the most rows its
   * engine runs at once ({@code engineMaxRows}, 0 for no limit): under {@link #REFUSE} the smaller of
   * the two; under {@link #SPLIT} the configured one, larger batches being sliced.
   */
  public int effectiveMaxBatchSize(int configured, long engineMaxRows) {
    if (engineMaxRows < 0) {
      throw new IllegalArgumentException("engineMaxRows must be >= 0, got " + engineMaxRows);
    }
    if (this == SPLIT || configured <= 0 || engineMaxRows == 0 || engineMaxRows >= configured) {
      return configured;
    }
    return (int) engineMaxRows;
  }

  /**
   * The slices a batch of {@code rows} runs in on an engine taking at most {@code engineMaxRows} at
   * once (0 for no limit): one slice when it fits; under {@link #SPLIT} slices of the maximum and the
   * rest.
   *
   * @throws InferenceException.InvalidInput under {@link #REFUSE} when {@code rows} exceeds the maximum
   */
  public long[] slices(long rows, long engineMaxRows) {
    if (rows < 0 || engineMaxRows < 0) {
      throw new IllegalArgumentException("rows and engineMaxRows must be >= 0, got " + rows + " and "
          + engineMaxRows);
    }
    if (engineMaxRows == 0 || rows <= engineMaxRows) {
      return new long[] {rows};
    }
    if (this == REFUSE) {
      throw new InferenceException.InvalidInput("batch has " + rows + " rows; the engine's optimization profile"
          + " takes at most " + engineMaxRows + " (" + PARAMETER + ": refuse)");
    }
    long[] slices = new long[(int) ((rows + engineMaxRows - 1) / engineMaxRows)];
    for (int i = 0; i < slices.length; i++) {
      slices[i] = Math.min(engineMaxRows, rows - i * engineMaxRows);
    }
    return slices;
  }
}
