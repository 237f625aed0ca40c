package dev.neutrino.gateway.openai;

import dev.neutrino.gateway.call.InferenceCalls;
import dev.neutrino.gateway.generate.GenerationModels;
import dev.neutrino.gateway.metrics.GatewayMetrics;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.runtime.InferenceException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.TreeMap;

/**
 * OpenAI's API under {@code /v1}, for clients that send text rather than tensors (the official
 * OpenAI clients, LangChain4j, Spring AI): {@code GET /v1/models} and {@code /v1/models/{id}}, and
 * each task's endpoints. The HTTP front end routes every {@code /v1} request here once its access
 * ({@link dev.neutrino.gateway.security.ApiGroup#INFERENCE}) is checked; this class picks the
 * endpoint, and the endpoint decodes, runs its model through the same
 * {@link dev.neutrino.gateway.call.InferenceCall} as the tensor API, and encodes.
 *
 * <p>Every answer that is not a success is OpenAI's error shape ({@link OpenAiError}). Runs on the
 * request's event loop only; holds nothing mutable.
 */
public final class OpenAiFrontEnd {
  private final Vertx vertx;
  private final ModelRepository repository;
  private final InferenceCalls calls;
  private final GatewayMetrics metrics;
  private final long createdSeconds;
  private final GenerationModels generation;
  private final CompletionsRoute completions;
  private final ModelTokenizers tokenizers;
  private final EmbeddingsRoute embeddings;

  private OpenAiFrontEnd(Vertx vertx, ModelRepository repository, InferenceCalls calls, GatewayMetrics metrics,
      long createdSeconds) {
    this.vertx = vertx;
    this.repository = repository;
    this.calls = calls;
    this.metrics = metrics;
    this.createdSeconds = createdSeconds;
    this.generation = new GenerationModels(vertx, repository, metrics);
    this.completions = new CompletionsRoute(vertx, repository, generation);
    this.tokenizers = new ModelTokenizers(vertx, repository);
    this.embeddings = new EmbeddingsRoute(vertx, repository, calls, metrics, tokenizers);
  }

  /** The generation engines behind {@code /v1/completions}, shared with Triton's generate extension. */
  public GenerationModels generation() {
    return generation;
  }

  /** Closes the generation engines. */
  public void close() {
    generation.close();
  }

  /**
   * @param calls how inference is run and observed, shared with the tensor API
   * @param metrics where the API's own counters go
   * @param createdSeconds what {@code /v1/models} reports as every model's {@code created} (Unix
   *     seconds): the time the gateway started
   */
  public static OpenAiFrontEnd create(Vertx vertx, ModelRepository repository, InferenceCalls calls,
      GatewayMetrics metrics, long createdSeconds) {
    return new OpenAiFrontEnd(vertx, repository, calls, metrics, createdSeconds);
  }

  /** Whether {@code path} is under {@code /v1}, which this front end answers. */
  public static boolean isOpenAiPath(String path) {
    return path.equals("/v1") || path.startsWith("/v1/");
  }

  /**
   * Answers one request.
   *
   * @param parts the path's segments, percent-decoded; the first is {@code v1}
   */
  public void handle(OpenAiExchange x, List<String> parts) {
    int n = parts.size();
    String endpoint = n >= 2 ? parts.get(1) : "";
    switch (endpoint) {
      case "models" -> {
        if (n == 2) {
          get(x, () -> listModels(x));
        } else if (n == 3) {
          get(x, () -> retrieveModel(x, parts.get(2)));
        } else {
          notFound(x);
        }
      }
      case "completions" -> {
        if (n == 2) {
          post(x, () -> completions.handle(x, false));
        } else {
          notFound(x);
        }
      }
      case "chat" -> {
        if (n == 3 && parts.get(2).equals("completions")) {
          post(x, () -> completions.handle(x, true));
        } else {
          notFound(x);
        }
      }
      case "embeddings" -> {
        if (n == 2) {
          embeddings.handle(x);
        } else {
          notFound(x);
        }
      }
      default -> notFound(x);
    }
  }

  private static void post(OpenAiExchange x, Runnable action) {
    if (x.request().method() != HttpMethod.POST) {
      methodNotAllowed(x);
    } else {
      action.run();
    }
  }

  /** {@code GET /v1/models}: every model serving a task, in OpenAI's list shape. */
  private void listModels(OpenAiExchange x) {
    TreeMap<String, OpenAiTask> models = new TreeMap<>();
    for (ModelVersion version : repository.servingVersions()) {
      OpenAiTask task = OpenAiTask.of(version.config());
      if (task != null) {
        models.putIfAbsent(version.name(), task);
      }
    }
    x.sendJson(200, OpenAiJson.write(g -> {
      g.writeStartObject();
      g.writeStringField("object", "list");
      g.writeArrayFieldStart("data");
      for (String name : models.keySet()) {
        writeModel(g, name);
      }
      g.writeEndArray();
      g.writeEndObject();
    }));
  }

  /** {@code GET /v1/models/{id}}: one model serving a task. */
  private void retrieveModel(OpenAiExchange x, String name) {
    x.model(name);
    try {
      find(repository, name, null);
    } catch (InferenceException e) {
      x.fail(e);
      return;
    }
    x.sendJson(200, OpenAiJson.write(g -> writeModel(g, name)));
  }

  private void writeModel(com.fasterxml.jackson.core.JsonGenerator g, String name) throws java.io.IOException {
    g.writeStartObject();
    g.writeStringField("id", name);
    g.writeStringField("object", "model");
    g.writeNumberField("created", createdSeconds);
    g.writeStringField("owned_by", "neutrino");
    g.writeEndObject();
  }

  /**
   * The newest ready version of {@code name}, which must serve {@code task} through this API.
   *
   * @param task the task the endpoint serves, or null for any
   * @throws InferenceException.NotFound when there is no such model, or it serves no task here
   * @throws InferenceException.NotReady when it is not ready
   * @throws InferenceException.InvalidInput when it serves another task
   */
  public static ModelVersion find(ModelRepository repository, String name, OpenAiTask task) {
    ModelVersion version = repository.find(name, null);
    OpenAiTask served = OpenAiTask.of(version.config());
    if (served == null) {
      throw new InferenceException.NotFound("The model '" + name + "' does not exist");
    }
    if (task != null && served != task) {
      throw new InferenceException.InvalidInput("The model '" + name + "' serves " + served.label()
          + ", not " + task.label());
    }
    return version;
  }

  private static void get(OpenAiExchange x, Runnable action) {
    HttpMethod method = x.request().method();
    if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
      methodNotAllowed(x);
    } else {
      action.run();
    }
  }

  /** Answers 405 for a method the endpoint does not take. */
  static void methodNotAllowed(OpenAiExchange x) {
    x.sendError(OpenAiError.of(405, "method " + x.request().method() + " is not allowed here"));
  }

  private static void notFound(OpenAiExchange x) {
    x.sendError(OpenAiError.of(404, "no such endpoint"));
  }
}
