package dev.neutrino.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.neutrino.runtime.InferenceException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A decoded {@code POST /v1/embeddings} body, in OpenAI's shape: {@code model}, {@code input} (a
 * string, a list of strings, a list of token ids, or a list of such lists), {@code encoding_format}
 * ({@code float} or {@code base64}), {@code dimensions}; {@code user} and fields this server does not
 * know are ignored, as OpenAI's API does.
 *
 * @param texts the texts to embed, or null when the input is token ids
 * @param tokenIds the token id lists to embed, or null when the input is text
 * @param dimensions the width asked for, or 0 for the model's own
 */
record EmbeddingsRequest(String model, List<String> texts, List<long[]> tokenIds, boolean base64, int dimensions) {
  /** The most inputs one request may carry (OpenAI's limit). */
  static final int MAX_INPUTS = 2048;

  int size() {
    return texts != null ? texts.size() : tokenIds.size();
  }

  /**
   * Decodes a body.
   *
   * @throws InferenceException.InvalidInput naming the field at fault
   */
  static EmbeddingsRequest decode(ObjectNode body) {
    JsonNode model = body.get("model");
    if (model == null || !model.isTextual() || model.asText().isEmpty()) {
      throw new InferenceException.InvalidInput("'model' must be the name of a model");
    }
    boolean base64 = false;
    JsonNode format = body.get("encoding_format");
    if (format != null && !format.isNull()) {
      String value = format.isTextual() ? format.asText().toLowerCase(Locale.ROOT) : "";
      if (!value.equals("float") && !value.equals("base64")) {
        throw new InferenceException.InvalidInput("'encoding_format' must be 'float' or 'base64'");
      }
      base64 = value.equals("base64");
    }
    int dimensions = 0;
    JsonNode width = body.get("dimensions");
    if (width != null && !width.isNull()) {
      if (!width.canConvertToInt() || !width.isIntegralNumber() || width.asInt() < 1) {
        throw new InferenceException.InvalidInput("'dimensions' must be a positive integer");
      }
      dimensions = width.asInt();
    }
    JsonNode input = body.get("input");
    if (input == null || input.isNull()) {
      throw new InferenceException.InvalidInput("'input' is required: a string, a list of strings or a list of token lists");
    }
    if (input.isTextual()) {
      return new EmbeddingsRequest(model.asText(), List.of(text(input, "input")), null, base64, dimensions);
    }
    if (!input.isArray() || input.isEmpty()) {
      throw new InferenceException.InvalidInput("'input' must be a non-empty string or a non-empty list");
    }
    if (input.size() > MAX_INPUTS) {
      throw new InferenceException.InvalidInput("'input' has " + input.size() + " entries; the most is " + MAX_INPUTS);
    }
    JsonNode first = input.get(0);
    if (first.isTextual()) {
      List<String> texts = new ArrayList<>(input.size());
      for (int i = 0; i < input.size(); i++) {
        texts.add(text(input.get(i), "input[" + i + "]"));
      }
      return new EmbeddingsRequest(model.asText(), texts, null, base64, dimensions);
    }
    if (first.isIntegralNumber()) {
      return new EmbeddingsRequest(model.asText(), null, List.of(ids(input, "input")), base64, dimensions);
    }
    if (first.isArray()) {
      List<long[]> lists = new ArrayList<>(input.size());
      for (int i = 0; i < input.size(); i++) {
        JsonNode entry = input.get(i);
        if (!entry.isArray() || entry.isEmpty()) {
          throw new InferenceException.InvalidInput("'input[" + i + "]' must be a non-empty list of token ids");
        }
        lists.add(ids(entry, "input[" + i + "]"));
      }
      return new EmbeddingsRequest(model.asText(), null, lists, base64, dimensions);
    }
    throw new InferenceException.InvalidInput("'input' must hold strings, token ids or lists of token ids");
  }

  private static String text(JsonNode node, String where) {
    if (!node.isTextual()) {
      throw new InferenceException.InvalidInput("'" + where + "' must be a string, as the first entry is");
    }
    if (node.asText().isEmpty()) {
      throw new InferenceException.InvalidInput("'" + where + "' is empty");
    }
    return node.asText();
  }

  private static long[] ids(JsonNode list, String where) {
    long[] ids = new long[list.size()];
    for (int i = 0; i < ids.length; i++) {
      JsonNode id = list.get(i);
      if (!id.isIntegralNumber() || !id.canConvertToLong() || id.asLong() < 0) {
        throw new InferenceException.InvalidInput("'" + where + "[" + i + "]' must be a token id (an integer, 0 or more)");
      }
      ids[i] = id.asLong();
    }
    return ids;
  }
}
