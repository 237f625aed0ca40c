package dev.neutrino.gateway.openai;

import dev.neutrino.repo.ModelConfig;
import dev.neutrino.repo.TensorConfig;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import java.nio.FloatBuffer;
import java.util.Locale;

/**
 * How an embedding model's output becomes one vector per text, from its configuration's
 * {@code parameters}:
 *
 * <table>
 *   <caption>parameters</caption>
 *   <tr><td>{@value #OUTPUT}</td><td>the FP32 output holding the embeddings; default the model's only
 *       output</td></tr>
 *   <tr><td>{@value #POOLING}</td><td>{@code none} (the model pools already: dims [width]),
 *       {@code mean} over the text's tokens, padding left out, or {@code cls} (its first token; both on
 *       dims [length, width]); default {@code none} for one dimension, {@code mean} for two</td></tr>
 *   <tr><td>{@value #NORMALIZE}</td><td>{@code true} (default): unit length (L2)</td></tr>
 *   <tr><td>{@value #MATRYOSHKA}</td><td>{@code true} when the model was trained so that a prefix of
 *       its embedding is an embedding (Matryoshka representation learning): requests may then ask for
 *       fewer {@code dimensions}, and get the prefix, renormalised. Default {@code false}</td></tr>
 * </table>
 *
 * @param width the embedding's full width
 */
public record EmbeddingModel(TextModel text, TensorConfig output, Pooling pooling, boolean normalize,
    boolean matryoshka, int width) {
  public static final String OUTPUT = "embedding_output";
  public static final String POOLING = "embedding_pooling";
  public static final String NORMALIZE = "embedding_normalize";
  public static final String MATRYOSHKA = "embedding_matryoshka";

  /** How token states become one vector. */
  public enum Pooling {
    NONE, MEAN, CLS
  }

  /**
   * Reads an embedding model's configuration.
   *
   * @throws InferenceException.InvalidInput naming the parameter or output at fault
   */
  public static EmbeddingModel of(ModelConfig config) {
    TextModel text = TextModel.of(config);
    String name = config.name();
    String outputName = config.parameters().get(OUTPUT);
    TensorConfig output;
    if (outputName != null) {
      output = config.output(outputName.trim());
      if (output == null) {
        throw misconfigured(name, "it has no output '" + outputName.trim() + "' (parameter '" + OUTPUT + "')");
      }
    } else if (config.outputs().size() == 1) {
      output = config.outputs().get(0);
    } else {
      throw misconfigured(name, "it has several outputs: name the embedding with parameter '" + OUTPUT + "'");
    }
    long[] dims = output.dims();
    Pooling pooling;
    String declared = config.parameters().get(POOLING);
    if (declared == null) {
      pooling = dims.length == 2 ? Pooling.MEAN : Pooling.NONE;
    } else {
      try {
        pooling = Pooling.valueOf(declared.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw misconfigured(name, "parameter '" + POOLING + "' must be none, mean or cls, got '" + declared + "'");
      }
    }
    int rank = pooling == Pooling.NONE ? 1 : 2;
    if (output.dataType() != DataType.FP32 || dims.length != rank || dims[rank - 1] < 1) {
      throw misconfigured(name, "output '" + output.name() + "' must be FP32 with dims "
          + (rank == 1 ? "[width]" : "[length, width]") + " for pooling " + pooling.name().toLowerCase(Locale.ROOT));
    }
    if (rank == 2 && dims[0] > 0 && dims[0] < text.rowLength()) {
      throw misconfigured(name, "output '" + output.name() + "' has fewer positions than the token inputs");
    }
    return new EmbeddingModel(text, output, pooling, flag(config, NORMALIZE, true), flag(config, MATRYOSHKA, false),
        Math.toIntExact(dims[rank - 1]));
  }

  private static boolean flag(ModelConfig config, String parameter, boolean otherwise) {
    String value = config.parameters().get(parameter);
    if (value == null) {
      return otherwise;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw misconfigured(config.name(), "parameter '" + parameter + "' must be true or false");
    };
  }

  private static InferenceException.InvalidInput misconfigured(String model, String problem) {
    return new InferenceException.InvalidInput("model '" + model + "' cannot embed text: " + problem);
  }

  /**
   * One text's embedding out of its batch's output.
   *
   * @param output the output's elements, row-major, {@code [rows, width]} or {@code [rows, positions, width]}
   * @param positions the output's positions per row (1 for pooling none)
   * @param row the text's row in the output
   * @param tokens how many of the row's positions are the text's tokens (the rest is padding)
   * @param dimensions how many leading dimensions to keep ({@link #width} for all)
   */
  public float[] embedding(FloatBuffer output, int positions, int row, int tokens, int dimensions) {
    float[] vector = new float[dimensions];
    int rowStart = row * positions * width;
    switch (pooling) {
      case NONE, CLS -> output.get(rowStart, vector, 0, dimensions);
      case MEAN -> {
        int counted = Math.max(1, Math.min(tokens, positions));
        for (int p = 0; p < counted; p++) {
          int at = rowStart + p * width;
          for (int d = 0; d < dimensions; d++) {
            vector[d] += output.get(at + d);
          }
        }
        for (int d = 0; d < dimensions; d++) {
          vector[d] /= counted;
        }
      }
    }
    if (normalize || dimensions < width) {
      double sum = 0;
      for (float v : vector) {
        sum += (double) v * v;
      }
      if (sum > 0) {
        float scale = (float) (1 / Math.sqrt(sum));
        for (int d = 0; d < dimensions; d++) {
          vector[d] *= scale;
        }
      }
    }
    return vector;
  }
}
