package dev.neutrino.gateway.openai;

import dev.neutrino.repo.ModelConfig;
import java.util.Locale;

/**
 * What a model answers through the OpenAI API, from its configuration's {@code parameters}:
 * {@code task: embeddings} ({@code /v1/embeddings}) or {@code task: generation}
 * ({@code /v1/completions}, {@code /v1/chat/completions}). A model without the parameter is served
 * through the tensor API only, and {@code /v1/models} does not list it.
 */
public enum OpenAiTask {
  EMBEDDINGS("embeddings"),
  GENERATION("generation");

  /** The {@code parameters} key naming a model's task. */
  public static final String PARAMETER = "task";

  private final String label;

  OpenAiTask(String label) {
    this.label = label;
  }

  /** The parameter's value for this task. */
  public String label() {
    return label;
  }

  /** The task {@code config} names, or null when it names none or one that is not a task. */
  public static OpenAiTask of(ModelConfig config) {
    String value = config.parameters().get(PARAMETER);
    if (value == null) {
      return null;
    }
    String wanted = value.trim().toLowerCase(Locale.ROOT);
    for (OpenAiTask task : values()) {
      if (task.label.equals(wanted)) {
        return task;
      }
    }
    return null;
  }
}
