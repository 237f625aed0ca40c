package dev.neutrino.gateway.generate;

import dev.neutrino.generation.GenerationOptions;
import java.util.Locale;
import java.util.Map;

/**
 * A generative model's settings, read from its configuration's {@code parameters} (Triton's
 * string-valued map): the tokenizer, the engine's scheduling and cache, and the chat template.
 * Immutable; {@link #of} refuses a bad value naming the parameter.
 *
 * <table>
 *   <caption>parameters</caption>
 *   <tr><td>{@code tokenizer}</td><td>{@code bytes} (byte-level: each UTF-8 byte a token), the one
 *       kind supported</td></tr>
 *   <tr><td>{@code end_of_sequence_token}</td><td>its id, 256 or above</td></tr>
 *   <tr><td>{@code max_sequence_tokens}</td><td>prompt and answer together (the context); 1024</td></tr>
 *   <tr><td>{@code max_running_sequences}</td><td>the running batch; 32</td></tr>
 *   <tr><td>{@code step_token_budget}</td><td>tokens per model step; 256</td></tr>
 *   <tr><td>{@code prefill_chunk_tokens}</td><td>prompt tokens one sequence feeds per step; 128</td></tr>
 *   <tr><td>{@code kv_cache_blocks}, {@code kv_block_tokens}</td><td>the cache; 2048 of 16</td></tr>
 *   <tr><td>{@code max_waiting_sequences}</td><td>beyond this, 429; 1024</td></tr>
 *   <tr><td>{@code batching}</td><td>{@code continuous} (default) or {@code static}</td></tr>
 *   <tr><td>{@code chat_message_template}, {@code chat_assistant_prefix}</td><td>see {@link ChatTemplate}</td></tr>
 * </table>
 *
 * @param endOfSequence the end-of-sequence token
 */
public record GenerationSettings(int endOfSequence, GenerationOptions options, ChatTemplate chat) {
  public static final String BYTE_TOKENIZER = "bytes";

  /**
   * Reads the settings from a model's parameters.
   *
   * @throws IllegalArgumentException naming the parameter whose value is missing or wrong
   */
  public static GenerationSettings of(Map<String, String> parameters) {
    String tokenizer = parameters.getOrDefault("tokenizer", "");
    if (!tokenizer.equals(BYTE_TOKENIZER)) {
      throw new IllegalArgumentException("parameters.tokenizer must be '" + BYTE_TOKENIZER
          + "' for a generative model, got '" + tokenizer + "'");
    }
    if (!parameters.containsKey("end_of_sequence_token")) {
      throw new IllegalArgumentException("parameters.end_of_sequence_token must name the end-of-sequence token");
    }
    int eos = integer(parameters, "end_of_sequence_token", 0);
    GenerationOptions.Admission admission;
    String batching = parameters.getOrDefault("batching", "continuous").trim().toLowerCase(Locale.ROOT);
    switch (batching) {
      case "continuous" -> admission = GenerationOptions.Admission.CONTINUOUS;
      case "static" -> admission = GenerationOptions.Admission.STATIC;
      default -> throw new IllegalArgumentException(
          "parameters.batching must be 'continuous' or 'static', got '" + batching + "'");
    }
    GenerationOptions options;
    try {
      options = new GenerationOptions(
          integer(parameters, "max_running_sequences", GenerationOptions.DEFAULT_MAX_RUNNING),
          integer(parameters, "step_token_budget", GenerationOptions.DEFAULT_STEP_TOKEN_BUDGET),
          integer(parameters, "prefill_chunk_tokens", GenerationOptions.DEFAULT_PREFILL_CHUNK),
          integer(parameters, "kv_cache_blocks", GenerationOptions.DEFAULT_KV_BLOCKS),
          integer(parameters, "kv_block_tokens", GenerationOptions.DEFAULT_BLOCK_TOKENS),
          integer(parameters, "max_waiting_sequences", GenerationOptions.DEFAULT_MAX_WAITING),
          admission,
          integer(parameters, "max_sequence_tokens", GenerationOptions.DEFAULT_MAX_SEQUENCE_TOKENS));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("generation parameters: " + e.getMessage());
    }
    ChatTemplate chat = new ChatTemplate(
        parameters.getOrDefault("chat_message_template", ChatTemplate.DEFAULT_MESSAGE_TEMPLATE),
        parameters.getOrDefault("chat_assistant_prefix", ChatTemplate.DEFAULT_ASSISTANT_PREFIX));
    return new GenerationSettings(eos, options, chat);
  }

  private static int integer(Map<String, String> parameters, String name, int fallback) {
    String value = parameters.get(name);
    if (value == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("parameters." + name + " must be an integer, got '" + value + "'");
    }
  }
}
