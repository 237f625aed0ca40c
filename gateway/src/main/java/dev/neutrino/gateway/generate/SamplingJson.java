package dev.neutrino.gateway.generate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.neutrino.generation.SamplingParams;
import dev.neutrino.runtime.InferenceException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads sampling parameters from a request's JSON with OpenAI's names ({@code max_tokens} or {@code
 * max_completion_tokens}, {@code temperature}, {@code top_p}, {@code seed}, {@code stop}), refusing a
 * value of the wrong type or range with a message that names the field.
 */
public final class SamplingJson {
  private SamplingJson() {}

  /**
   * @param defaultMaxTokens what {@code max_tokens} is when the request leaves it out
   * @throws InferenceException.InvalidInput naming the field at fault
   */
  public static SamplingParams read(JsonNode request, int defaultMaxTokens) {
    int maxTokens = defaultMaxTokens;
    for (String name : new String[] {"max_tokens", "max_completion_tokens"}) {
      JsonNode node = request.get(name);
      if (node != null && !node.isNull()) {
        if (!node.canConvertToInt() || !node.isIntegralNumber()) {
          throw new InferenceException.InvalidInput(name + " must be an integer");
        }
        maxTokens = node.intValue();
      }
    }
    double temperature = number(request, "temperature", SamplingParams.DEFAULT_TEMPERATURE);
    double topP = number(request, "top_p", SamplingParams.DEFAULT_TOP_P);
    Long seed = null;
    JsonNode seedNode = request.get("seed");
    if (seedNode != null && !seedNode.isNull()) {
      if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong()) {
        throw new InferenceException.InvalidInput("seed must be an integer");
      }
      seed = seedNode.longValue();
    }
    List<String> stop = new ArrayList<>();
    JsonNode stopNode = request.get("stop");
    if (stopNode != null && !stopNode.isNull()) {
      if (stopNode.isTextual()) {
        stop.add(stopNode.textValue());
      } else if (stopNode.isArray()) {
        for (JsonNode s : stopNode) {
          if (!s.isTextual()) {
            throw new InferenceException.InvalidInput("stop must be a string or a list of strings");
          }
          stop.add(s.textValue());
        }
      } else {
        throw new InferenceException.InvalidInput("stop must be a string or a list of strings");
      }
    }
    try {
      return new SamplingParams(maxTokens, temperature, topP, seed, stop);
    } catch (IllegalArgumentException e) {
      throw new InferenceException.InvalidInput(e.getMessage());
    }
  }

  private static double number(JsonNode request, String name, double fallback) {
    JsonNode node = request.get(name);
    if (node == null || node.isNull()) {
      return fallback;
    }
    if (!node.isNumber()) {
      throw new InferenceException.InvalidInput(name + " must be a number");
    }
    return node.doubleValue();
  }
}
