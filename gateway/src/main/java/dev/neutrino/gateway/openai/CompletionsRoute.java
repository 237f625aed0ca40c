package dev.neutrino.gateway.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.neutrino.gateway.generate.ChatTemplate;
import dev.neutrino.gateway.generate.GenerationCall;
import dev.neutrino.gateway.generate.GenerationModels;
import dev.neutrino.gateway.generate.SamplingJson;
import dev.neutrino.gateway.generate.ServerSentEvents;
import dev.neutrino.generation.Completion;
import dev.neutrino.generation.FinishReason;
import dev.neutrino.generation.GenerationRequest;
import dev.neutrino.generation.SamplingParams;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.runtime.InferenceException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * OpenAI's {@code POST /v1/completions} and {@code POST /v1/chat/completions}: a prompt (or a chat,
 * through the model's chat template) in, generated text out, as one JSON object or, with {@code
 * "stream": true}, as server-sent events ending with {@code data: [DONE]}. One choice per request
 * ({@code n} must be 1). Sampling fields as OpenAI names them: {@code max_tokens} (completions default
 * to {@value SamplingParams#DEFAULT_MAX_TOKENS}, chats to the rest of the context up to {@value
 * #CHAT_DEFAULT_MAX_TOKENS}), {@code temperature}, {@code top_p}, {@code seed}, {@code stop}.
 */
final class CompletionsRoute {
  /** Tokens a chat completion generates at most when the request does not say. */
  static final int CHAT_DEFAULT_MAX_TOKENS = 512;

  private final Vertx vertx;
  private final ModelRepository repository;
  private final GenerationModels models;

  CompletionsRoute(Vertx vertx, ModelRepository repository, GenerationModels models) {
    this.vertx = vertx;
    this.repository = repository;
    this.models = models;
  }

  /** Answers one request; {@code chat} for {@code /v1/chat/completions}. On the event loop. */
  void handle(OpenAiExchange x, boolean chat) {
    x.readBody(body -> {
      ObjectNode request;
      String model;
      boolean stream;
      List<ChatTemplate.Message> messages = chat ? new ArrayList<>() : null;
      String prompt = null;
      try {
        request = OpenAiJson.object(body);
        JsonNode modelNode = request.get("model");
        if (modelNode == null || !modelNode.isTextual()) {
          throw new InferenceException.InvalidInput("model must be a string");
        }
        model = modelNode.textValue();
        JsonNode streamNode = request.get("stream");
        if (streamNode != null && !streamNode.isNull() && !streamNode.isBoolean()) {
          throw new InferenceException.InvalidInput("stream must be a boolean");
        }
        stream = streamNode != null && streamNode.booleanValue();
        JsonNode n = request.get("n");
        if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.intValue() == 1)) {
          throw new InferenceException.InvalidInput("n must be 1: one choice per request");
        }
        if (chat) {
          readMessages(request.get("messages"), messages);
        } else {
          prompt = readPrompt(request.get("prompt"));
        }
        SamplingJson.read(request, 1); // types and ranges checked before the model is looked up
      } catch (InferenceException e) {
        x.fail(e);
        return;
      }
      if (!x.admitModel(model)) {
        return;
      }
      x.handOver();
      String text = prompt;
      Output output = new Output(x, model, chat, stream);
      GenerationCall.start(vertx, repository, models, x.request().response(), model, null, served -> {
        String full = chat ? served.settings().chat().render(messages) : text;
        int[] tokens = served.tokenizer().encode(full);
        int room = served.settings().options().maxSequenceTokens() - tokens.length;
        int fallback = chat ? Math.max(1, Math.min(CHAT_DEFAULT_MAX_TOKENS, room))
            : SamplingParams.DEFAULT_MAX_TOKENS;
        return new GenerationRequest(tokens, SamplingJson.read(request, fallback));
      }, output);
    });
  }

  private static String readPrompt(JsonNode node) {
    if (node != null && node.isTextual()) {
      return node.textValue();
    }
    if (node != null && node.isArray() && node.size() == 1 && node.get(0).isTextual()) {
      return node.get(0).textValue();
    }
    throw new InferenceException.InvalidInput("prompt must be a string (or a list of one string)");
  }

  private static void readMessages(JsonNode node, List<ChatTemplate.Message> messages) {
    if (node == null || !node.isArray() || node.isEmpty()) {
      throw new InferenceException.InvalidInput("messages must be a non-empty list");
    }
    for (int i = 0; i < node.size(); i++) {
      JsonNode message = node.get(i);
      JsonNode role = message.get("role");
      if (role == null || !role.isTextual()) {
        throw new InferenceException.InvalidInput("messages[" + i + "].role must be a string");
      }
      JsonNode content = message.get("content");
      String text;
      if (content != null && content.isTextual()) {
        text = content.textValue();
      } else if (content != null && content.isArray()) {
        StringBuilder parts = new StringBuilder();
        for (JsonNode part : content) {
          JsonNode type = part.get("type");
          if (type == null || !"text".equals(type.textValue()) || !part.path("text").isTextual()) {
            throw new InferenceException.InvalidInput("messages[" + i + "].content may only hold text parts");
          }
          parts.append(part.get("text").textValue());
        }
        text = parts.toString();
      } else if (content == null || content.isNull()) {
        text = "";
      } else {
        throw new InferenceException.InvalidInput("messages[" + i + "].content must be a string or a list of text parts");
      }
      messages.add(new ChatTemplate.Message(role.textValue(), text));
    }
  }

  /** Writes the answer in OpenAI's shapes, whole or as chunks. */
  private static final class Output implements GenerationCall.Output {
    private final OpenAiExchange x;
    private final String model;
    private final boolean chat;
    private final boolean stream;
    private final ServerSentEvents events;
    private final StringBuilder text = new StringBuilder();
    private final String id;
    private final long created = System.currentTimeMillis() / 1000;

    Output(OpenAiExchange x, String model, boolean chat, boolean stream) {
      this.x = x;
      this.model = model;
      this.chat = chat;
      this.stream = stream;
      this.events = new ServerSentEvents(x.request().response());
      this.id = (chat ? "chatcmpl-" : "cmpl-") + Long.toHexString(ThreadLocalRandom.current().nextLong());
    }

    @Override
    public void started(String version, GenerationRequest request) {
      if (stream && chat) {
        events.send(chunk(g -> {
          g.writeObjectFieldStart("delta");
          g.writeStringField("role", "assistant");
          g.writeStringField("content", "");
          g.writeEndObject();
        }, null));
      }
    }

    @Override
    public void text(String piece) {
      if (!stream) {
        text.append(piece);
      } else if (chat) {
        events.send(chunk(g -> {
          g.writeObjectFieldStart("delta");
          g.writeStringField("content", piece);
          g.writeEndObject();
        }, null));
      } else {
        events.send(chunk(g -> g.writeStringField("text", piece), null));
      }
    }

    @Override
    public void finish(Completion completion) {
      if (completion.reason() == FinishReason.CANCELLED) {
        return; // the client went away
      }
      String reason = completion.reason().wireName();
      if (stream) {
        events.send(chunk(g -> {
          if (chat) {
            g.writeObjectFieldStart("delta");
            g.writeEndObject();
          } else {
            g.writeStringField("text", "");
          }
        }, reason));
        events.sendDone();
        events.end();
        return;
      }
      x.sendJson(200, OpenAiJson.write(g -> {
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("object", chat ? "chat.completion" : "text_completion");
        g.writeNumberField("created", created);
        g.writeStringField("model", model);
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", 0);
        if (chat) {
          g.writeObjectFieldStart("message");
          g.writeStringField("role", "assistant");
          g.writeStringField("content", text.toString());
          g.writeEndObject();
        } else {
          g.writeStringField("text", text.toString());
        }
        g.writeNullField("logprobs");
        g.writeStringField("finish_reason", reason);
        g.writeEndObject();
        g.writeEndArray();
        g.writeObjectFieldStart("usage");
        g.writeNumberField("prompt_tokens", completion.promptTokens());
        g.writeNumberField("completion_tokens", completion.completionTokens());
        g.writeNumberField("total_tokens", completion.promptTokens() + completion.completionTokens());
        g.writeEndObject();
        g.writeEndObject();
      }));
    }

    @Override
    public void fail(Throwable failure) {
      if (!events.begun()) {
        x.fail(failure);
        return;
      }
      Throwable cause = InferenceException.unwrap(failure);
      OpenAiError error = cause instanceof InferenceException e
          ? OpenAiError.of(switch (e.kind()) {
            case INVALID_INPUT -> 400;
            case OVERLOADED -> 429;
            case NOT_READY -> 503;
            default -> 500;
          }, e)
          : OpenAiError.of(500, "internal error");
      events.send(error.body());
      events.end();
    }

    private interface Fields {
      void write(JsonGenerator g) throws IOException;
    }

    private Buffer chunk(Fields choice, String finishReason) {
      return OpenAiJson.write(g -> {
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("object", chat ? "chat.completion.chunk" : "text_completion");
        g.writeNumberField("created", created);
        g.writeStringField("model", model);
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", 0);
        choice.write(g);
        g.writeNullField("logprobs");
        if (finishReason == null) {
          g.writeNullField("finish_reason");
        } else {
          g.writeStringField("finish_reason", finishReason);
        }
        g.writeEndObject();
        g.writeEndArray();
        g.writeEndObject();
      });
    }
  }
}
