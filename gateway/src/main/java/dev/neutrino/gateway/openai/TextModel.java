package dev.neutrino.gateway.openai;

import dev.neutrino.repo.ModelConfig;
import dev.neutrino.repo.TensorConfig;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.text.TokenRows;
import dev.neutrino.text.Tokens;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a model reads text, from its configuration's {@code parameters}: which tokenizer, and which
 * inputs take the token ids, the attention mask and the token type ids, every row padded to one
 * length so that requests of any texts batch together.
 *
 * <table>
 *   <caption>parameters</caption>
 *   <tr><td>{@value #TOKENIZER}</td><td>the tokenizer's file in the model's folder (Hugging Face's
 *       {@code tokenizer.json}); required</td></tr>
 *   <tr><td>{@value #INPUT_IDS}</td><td>the input taking the ids; default {@code input_ids}</td></tr>
 *   <tr><td>{@value #ATTENTION_MASK}</td><td>the input taking the mask (1 per token, 0 per pad); default
 *       {@code attention_mask} when the model has that input, else none</td></tr>
 *   <tr><td>{@value #TOKEN_TYPE_IDS}</td><td>likewise for the token type ids
 *       ({@code token_type_ids})</td></tr>
 *   <tr><td>{@value #MAX_LENGTH}</td><td>tokens kept per text, special tokens included; longer texts
 *       are truncated. Default and most: the ids input's length when it is fixed; required when it is
 *       variable</td></tr>
 *   <tr><td>{@value #PAD_ID}</td><td>the id padding fills rows with; default 0</td></tr>
 * </table>
 *
 * @param tokenizer the tokenizer's file name in the model's folder
 * @param inputIds the ids input
 * @param attentionMask the mask input, or null
 * @param tokenTypeIds the token type ids input, or null
 * @param maxLength tokens kept per text
 * @param rowLength tokens per row of the inputs, padding included: the inputs' fixed length, else
 *     {@code maxLength}
 */
public record TextModel(String tokenizer, TensorConfig inputIds, TensorConfig attentionMask,
    TensorConfig tokenTypeIds, int maxLength, int rowLength, long padId) {
  public static final String TOKENIZER = "tokenizer";
  public static final String INPUT_IDS = "tokenizer_input_ids";
  public static final String ATTENTION_MASK = "tokenizer_attention_mask";
  public static final String TOKEN_TYPE_IDS = "tokenizer_token_type_ids";
  public static final String MAX_LENGTH = "tokenizer_max_length";
  public static final String PAD_ID = "tokenizer_pad_id";

  /**
   * Reads a model's text configuration.
   *
   * @throws InferenceException.InvalidInput naming the parameter or input at fault
   */
  public static TextModel of(ModelConfig config) {
    String name = config.name();
    Map<String, String> parameters = config.parameters();
    String tokenizer = parameters.get(TOKENIZER);
    if (tokenizer == null || tokenizer.isBlank()) {
      throw misconfigured(name, "it names no tokenizer (parameter '" + TOKENIZER + "')");
    }
    if (tokenizer.contains("/") || tokenizer.contains("\\") || tokenizer.startsWith(".")) {
      throw misconfigured(name, "parameter '" + TOKENIZER + "' must name a file in the model's folder");
    }
    if (!config.batched()) {
      throw misconfigured(name, "it does not batch (max_batch_size 0)");
    }
    TensorConfig ids = tokenInput(config, parameters.getOrDefault(INPUT_IDS, "input_ids"), INPUT_IDS, true);
    TensorConfig mask = tokenInput(config, parameters.getOrDefault(ATTENTION_MASK, "attention_mask"),
        ATTENTION_MASK, parameters.containsKey(ATTENTION_MASK));
    TensorConfig types = tokenInput(config, parameters.getOrDefault(TOKEN_TYPE_IDS, "token_type_ids"),
        TOKEN_TYPE_IDS, parameters.containsKey(TOKEN_TYPE_IDS));
    long fixed = ids.dims()[0];
    for (TensorConfig other : new TensorConfig[] {mask, types}) {
      if (other != null && other.dims()[0] != fixed) {
        throw misconfigured(name, "input '" + other.name() + "' is not as long as '" + ids.name() + "'");
      }
    }
    int maxLength;
    String declared = parameters.get(MAX_LENGTH);
    if (declared != null) {
      try {
        maxLength = Integer.parseInt(declared.trim());
      } catch (NumberFormatException e) {
        throw misconfigured(name, "parameter '" + MAX_LENGTH + "' must be an integer, got '" + declared + "'");
      }
      if (maxLength < 1 || (fixed > 0 && maxLength > fixed)) {
        throw misconfigured(name, "parameter '" + MAX_LENGTH + "' must be 1 to " + (fixed > 0 ? fixed : "any")
            + ", got " + maxLength);
      }
    } else if (fixed > 0) {
      maxLength = Math.toIntExact(fixed);
    } else {
      throw misconfigured(name, "input '" + ids.name() + "' has a variable length: set parameter '"
          + MAX_LENGTH + "'");
    }
    long padId;
    try {
      padId = Long.parseLong(parameters.getOrDefault(PAD_ID, "0").trim());
    } catch (NumberFormatException e) {
      throw misconfigured(name, "parameter '" + PAD_ID + "' must be an integer");
    }
    int rowLength = fixed > 0 ? Math.toIntExact(fixed) : maxLength;
    return new TextModel(tokenizer.trim(), ids, mask, types, maxLength, rowLength, padId);
  }

  /** The input named {@code input}: null when it is absent and optional. */
  private static TensorConfig tokenInput(ModelConfig config, String input, String parameter, boolean required) {
    if (input.isEmpty() && !parameter.equals(INPUT_IDS)) {
      return null; // named as "": the model has no such input
    }
    TensorConfig found = config.input(input);
    if (found == null) {
      if (required) {
        throw misconfigured(config.name(), "it has no input '" + input + "' (parameter '" + parameter + "')");
      }
      return null;
    }
    if (found.dims().length != 1 || (found.dataType() != DataType.INT64 && found.dataType() != DataType.INT32)) {
      throw misconfigured(config.name(), "input '" + input + "' must be INT64 or INT32 with dims [length]");
    }
    return found;
  }

  private static InferenceException.InvalidInput misconfigured(String model, String problem) {
    return new InferenceException.InvalidInput("model '" + model + "' cannot take text: it " + problem);
  }

  /** The model's inputs for {@code rows} (each no longer than {@link #maxLength}). */
  public Map<String, Tensor> inputs(List<Tokens> rows) {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    inputs.put(inputIds.name(), TokenRows.ids(rows, rowLength, padId, inputIds.dataType()));
    if (attentionMask != null) {
      inputs.put(attentionMask.name(), TokenRows.attentionMask(rows, rowLength, attentionMask.dataType()));
    }
    if (tokenTypeIds != null) {
      inputs.put(tokenTypeIds.name(), TokenRows.typeIds(rows, rowLength, tokenTypeIds.dataType()));
    }
    return inputs;
  }
}
