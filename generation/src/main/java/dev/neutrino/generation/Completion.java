package dev.neutrino.generation;

/**
 * How a sequence ended.
 *
 * @param reason why it ended
 * @param promptTokens tokens in the prompt
 * @param completionTokens tokens generated
 */
public record Completion(FinishReason reason, int promptTokens, int completionTokens) {}
