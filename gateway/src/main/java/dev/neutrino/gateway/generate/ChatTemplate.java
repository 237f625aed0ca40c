package dev.neutrino.gateway.generate;

import java.util.List;
import java.util.Objects;

/**
 * How a chat becomes a prompt, from the model's configuration: each message through {@code
 * messageTemplate}, whose {@code {role}} and {@code {content}} are replaced by the message's, then
 * {@code assistantPrefix}, after which the model writes the answer. Immutable.
 *
 * @param messageTemplate for example {@code "<|{role}|>\n{content}\n"}
 * @param assistantPrefix for example {@code "<|assistant|>\n"}
 */
public record ChatTemplate(String messageTemplate, String assistantPrefix) {
  public static final String DEFAULT_MESSAGE_TEMPLATE = "{role}: {content}\n";
  public static final String DEFAULT_ASSISTANT_PREFIX = "assistant: ";

  public static final ChatTemplate DEFAULT = new ChatTemplate(DEFAULT_MESSAGE_TEMPLATE, DEFAULT_ASSISTANT_PREFIX);

  /** One message of a chat. */
  public record Message(String role, String content) {
    public Message {
      Objects.requireNonNull(role, "role");
      Objects.requireNonNull(content, "content");
    }
  }

  public ChatTemplate {
    Objects.requireNonNull(messageTemplate, "messageTemplate");
    Objects.requireNonNull(assistantPrefix, "assistantPrefix");
    if (!messageTemplate.contains("{content}")) {
      throw new IllegalArgumentException("the chat message template must contain {content}, got '"
          + messageTemplate + "'");
    }
  }

  /** The prompt for {@code messages}; a role or content that holds a placeholder is not expanded again. */
  public String render(List<Message> messages) {
    StringBuilder prompt = new StringBuilder();
    for (Message message : messages) {
      int at = 0;
      while (at < messageTemplate.length()) {
        if (messageTemplate.startsWith("{role}", at)) {
          prompt.append(message.role());
          at += "{role}".length();
        } else if (messageTemplate.startsWith("{content}", at)) {
          prompt.append(message.content());
          at += "{content}".length();
        } else {
          prompt.append(messageTemplate.charAt(at++));
        }
      }
    }
    return prompt.append(assistantPrefix).toString();
  }
}
