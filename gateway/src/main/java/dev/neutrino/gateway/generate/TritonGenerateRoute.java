package dev.neutrino.gateway.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.neutrino.gateway.openai.OpenAiExchange;
import dev.neutrino.gateway.openai.OpenAiJson;
import dev.neutrino.generation.Completion;
import dev.neutrino.generation.FinishReason;
import dev.neutrino.generation.GenerationRequest;
import dev.neutrino.generation.SamplingParams;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.runtime.InferenceException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

/**
 * Triton's generate extension: {@code POST /v2/models/{m}[/versions/{v}]/generate} answers one JSON
 * object, {@code .../generate_stream} server-sent events, one per piece of text. The request is a
 * JSON object with {@code text_input} and the sampling fields ({@code max_tokens}, {@code
 * temperature}, {@code top_p}, {@code seed}, {@code stop}), at its top level or inside {@code
 * parameters}; the answer {@code {"model_name", "model_version", "text_output"}} (the last event of a
 * stream also carries {@code finish_reason}). Errors are the tensor API's {@code {"error": "..."}},
 * as an event once a stream has begun.
 */
public final class TritonGenerateRoute {
  private final Vertx vertx;
  private final ModelRepository repository;
  private final GenerationModels models;

  public TritonGenerateRoute(Vertx vertx, ModelRepository repository, GenerationModels models) {
    this.vertx = vertx;
    this.repository = repository;
    this.models = models;
  }

  /** Answers one request, whose body has not been read; on its event loop. */
  public void handle(OpenAiExchange x, String model, String version, boolean stream) {
    x.readBody(body -> {
      ObjectNode request;
      String prompt;
      SamplingParams sampling;
      try {
        request = OpenAiJson.object(body);
        JsonNode text = request.get("text_input");
        if (text == null || !text.isTextual()) {
          throw new InferenceException.InvalidInput("text_input must be a string");
        }
        prompt = text.textValue();
        ObjectNode fields = request.deepCopy();
        JsonNode parameters = request.get("parameters");
        if (parameters != null && !parameters.isNull()) {
          if (!parameters.isObject()) {
            throw new InferenceException.InvalidInput("parameters must be an object");
          }
          fields.setAll((ObjectNode) parameters);
        }
        if (fields.has("stop_words") && !fields.has("stop")) {
          fields.set("stop", fields.get("stop_words"));
        }
        sampling = SamplingJson.read(fields, SamplingParams.DEFAULT_MAX_TOKENS);
      } catch (InferenceException e) {
        x.fail(e);
        return;
      }
      x.handOver();
      Output output = new Output(x, model, version, stream);
      GenerationCall.start(vertx, repository, models, x.request().response(), model, version,
          served -> new GenerationRequest(served.tokenizer().encode(prompt), sampling), output);
    });
  }

  private static final class Output implements GenerationCall.Output {
    private final OpenAiExchange x;
    private final String model;
    private final String version;
    private final boolean stream;
    private final ServerSentEvents events;
    private final StringBuilder text = new StringBuilder();
    private String servedVersion;

    Output(OpenAiExchange x, String model, String version, boolean stream) {
      this.x = x;
      this.model = model;
      this.version = version;
      this.stream = stream;
      this.events = new ServerSentEvents(x.request().response());
    }

    @Override
    public void started(String served, GenerationRequest request) {
      servedVersion = served;
    }

    @Override
    public void text(String piece) {
      if (stream) {
        events.send(answer(piece, null));
      } else {
        text.append(piece);
      }
    }

    @Override
    public void finish(Completion completion) {
      if (completion.reason() == FinishReason.CANCELLED) {
        return; // the client went away
      }
      if (stream) {
        events.send(answer("", completion.reason().wireName()));
        events.end();
      } else {
        x.sendJson(200, answer(text.toString(), null));
      }
    }

    @Override
    public void fail(Throwable failure) {
      if (!events.begun()) {
        x.fail(failure);
        return;
      }
      Throwable cause = InferenceException.unwrap(failure);
      String message = cause instanceof InferenceException e ? e.getMessage() : "internal error";
      events.send(OpenAiJson.write(g -> {
        g.writeStartObject();
        g.writeStringField("error", message);
        g.writeEndObject();
      }));
      events.end();
    }

    private Buffer answer(String piece, String finishReason) {
      return OpenAiJson.write(g -> {
        g.writeStartObject();
        g.writeStringField("model_name", model);
        g.writeStringField("model_version", servedVersion != null ? servedVersion : version != null ? version : "");
        g.writeStringField("text_output", piece);
        if (finishReason != null) {
          g.writeStringField("finish_reason", finishReason);
        }
        g.writeEndObject();
      });
    }
  }
}
