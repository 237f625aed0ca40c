package dev.neutrino.gateway.openai;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.gateway.call.InferenceCall;
import dev.neutrino.gateway.call.InferenceCalls;
import dev.neutrino.gateway.metrics.GatewayMetrics;
import dev.neutrino.gateway.metrics.Protocol;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.text.Tokenizer;
import dev.neutrino.text.Tokens;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/embeddings}: texts (or token ids) in, one vector per input out, in OpenAI's
 * request and response shapes.
 *
 * <h2>Design note</h2>
 *
 * <p><b>Steps.</b> The body is decoded and the model resolved on the event loop; its tokenizer is
 * read once per version ({@link ModelTokenizers}). Texts are tokenized on the event loop when they
 * are short (the usual call: a query, a few passages), on a Vert.x worker when they are not. The
 * rows, padded to the model's length, are cut into requests of at most {@code max_batch_size} rows,
 * and each runs through an {@link InferenceCall}, exactly as a tensor request would: leased,
 * submitted to the model's dynamic batcher (where rows of many clients' requests batch together),
 * observed once. The last call to complete writes the answer.
 *
 * <p><b>Failure and cancellation.</b> The first call to fail answers the request (in OpenAI's
 * shape) and withdraws the others; a client that goes away withdraws them all.
 *
 * <p><b>Threads.</b> Everything after decoding happens on the request's event loop: a worker's
 * tokenization comes back to it, and every {@link InferenceCall} completes on it, so the state of
 * one request ({@link Answer}) needs no lock.
 */
final class EmbeddingsRoute {
  /** Texts of at most this many characters in all are tokenized on the event loop, longer ones on a worker. */
  static final int INLINE_CHARS = 8 * 1024;

  private final Vertx vertx;
  private final ModelRepository repository;
  private final InferenceCalls calls;
  private final GatewayMetrics metrics;
  private final ModelTokenizers tokenizers;

  EmbeddingsRoute(Vertx vertx, ModelRepository repository, InferenceCalls calls, GatewayMetrics metrics,
      ModelTokenizers tokenizers) {
    this.vertx = vertx;
    this.repository = repository;
    this.calls = calls;
    this.metrics = metrics;
    this.tokenizers = tokenizers;
  }

  void handle(OpenAiExchange x) {
    if (x.request().method() != HttpMethod.POST) {
      OpenAiFrontEnd.methodNotAllowed(x);
      return;
    }
    x.readBody(body -> embed(x, body));
  }

  private void embed(OpenAiExchange x, Buffer body) {
    Context context = vertx.getOrCreateContext();
    EmbeddingsRequest request;
    ModelVersion version;
    EmbeddingModel model;
    try {
      request = EmbeddingsRequest.decode(OpenAiJson.object(body));
      if (!x.admitModel(request.model())) {
        return;
      }
      version = OpenAiFrontEnd.find(repository, request.model(), OpenAiTask.EMBEDDINGS);
      model = EmbeddingModel.of(version.config());
      checkDimensions(request, model);
    } catch (InferenceException e) {
      x.fail(e);
      return;
    }
    Future.fromCompletionStage(tokenizers.of(version, model.text()), context).onComplete(loaded -> {
      if (loaded.failed()) {
        x.fail(loaded.cause());
        return;
      }
      Tokenizer tokenizer = loaded.result();
      if (characters(request) <= INLINE_CHARS) {
        tokenized(x, request, version, model, context, () -> tokenize(request, tokenizer, model.text().maxLength()));
      } else {
        vertx.executeBlocking(() -> tokenize(request, tokenizer, model.text().maxLength()), false)
            .onComplete(rows -> {
              if (rows.succeeded()) {
                tokenized(x, request, version, model, context, rows::result);
              } else {
                x.fail(rows.cause());
              }
            });
      }
    });
  }

  private static void checkDimensions(EmbeddingsRequest request, EmbeddingModel model) {
    int dimensions = request.dimensions();
    if (dimensions == 0 || dimensions == model.width()) {
      return;
    }
    if (!model.matryoshka()) {
      throw new InferenceException.InvalidInput("model '" + request.model() + "' does not support 'dimensions' "
          + "other than its width, " + model.width());
    }
    if (dimensions > model.width()) {
      throw new InferenceException.InvalidInput("'dimensions' must be 1 to " + model.width() + " for model '"
          + request.model() + "', got " + dimensions);
    }
  }

  private static long characters(EmbeddingsRequest request) {
    if (request.texts() == null) {
      return 0;
    }
    long total = 0;
    for (String text : request.texts()) {
      total += text.length();
    }
    return total;
  }

  /**
   * The request's rows: texts tokenized (truncated to {@code maxLength}), or token ids checked against
   * the vocabulary and truncated likewise.
   */
  static List<Tokens> tokenize(EmbeddingsRequest request, Tokenizer tokenizer, int maxLength) {
    List<Tokens> rows = new ArrayList<>(request.size());
    if (request.texts() != null) {
      for (String text : request.texts()) {
        rows.add(tokenizer.encode(text));
      }
      return rows;
    }
    int vocabulary = tokenizer.vocabularySize();
    for (int i = 0; i < request.tokenIds().size(); i++) {
      long[] ids = request.tokenIds().get(i);
      for (long id : ids) {
        if (id >= vocabulary) {
          throw new InferenceException.InvalidInput("token id " + id + " in 'input' is outside the model's "
              + "vocabulary of " + vocabulary);
        }
      }
      rows.add(Tokens.of(ids.length > maxLength ? Arrays.copyOf(ids, maxLength) : ids));
    }
    return rows;
  }

  private interface RowsSupplier {
    List<Tokens> get();
  }

  /** Runs the rows, on the request's event loop. */
  private void tokenized(OpenAiExchange x, EmbeddingsRequest request, ModelVersion version, EmbeddingModel model,
      Context context, RowsSupplier tokenize) {
    List<Tokens> rows;
    try {
      rows = tokenize.get();
    } catch (InferenceException e) {
      x.fail(e);
      return;
    } catch (RuntimeException e) {
      x.fail(new InferenceException.InvalidInput("'input' cannot be tokenized"));
      return;
    }
    Answer answer = new Answer(x, request, model, rows);
    x.handOver();
    int perCall = version.config().maxBatchSize();
    for (int start = 0; start < rows.size() && !answer.done; start += perCall) {
      int end = Math.min(rows.size(), start + perCall);
      answer.calls.add(calls.start(Protocol.HTTP, new Part(answer, version, start, end),
          InferenceRequest.NO_DEADLINE, context));
    }
    if (!answer.done) {
      // The client went away (connection closed, stream reset): withdraw what has not run.
      x.request().response().closeHandler(v -> answer.cancelAll());
    }
  }

  /** One request's progress: its vectors as its parts complete, and whether it has been answered. */
  private final class Answer {
    final OpenAiExchange x;
    final EmbeddingsRequest request;
    final EmbeddingModel model;
    final List<Tokens> rows;
    final float[][] vectors;
    final List<InferenceCall> calls = new ArrayList<>();
    int remaining;
    boolean done;
    /** The status answered, as the remaining parts report it. */
    String code;

    Answer(OpenAiExchange x, EmbeddingsRequest request, EmbeddingModel model, List<Tokens> rows) {
      this.x = x;
      this.request = request;
      this.model = model;
      this.rows = rows;
      this.vectors = new float[rows.size()][];
      this.remaining = rows.size();
    }

    void cancelAll() {
      for (InferenceCall call : calls) {
        call.cancel();
      }
    }

    /** A part's rows are embedded; the last part writes the answer. */
    String completed(ModelVersion version, int start, int end, InferenceResult result) {
      if (done) {
        return code;
      }
      Tensor output = result.outputs().get(model.output().name());
      if (output == null) {
        throw new InferenceException.BackendFailure("model '" + version.name() + "' returned no '"
            + model.output().name() + "'", null);
      }
      FloatBuffer values = output.data().asFloatBuffer();
      int positions = model.pooling() == EmbeddingModel.Pooling.NONE ? 1 : Math.toIntExact(output.dim(1));
      int dimensions = request.dimensions() == 0 ? model.width() : request.dimensions();
      for (int row = start; row < end; row++) {
        vectors[row] = model.embedding(values, positions, row - start, rows.get(row).length(), dimensions);
      }
      remaining -= end - start;
      if (remaining > 0) {
        return "200";
      }
      done = true;
      if (x.request().response().closed()) {
        code = "499";
        return code;
      }
      long tokens = 0;
      for (Tokens row : rows) {
        tokens += row.length();
      }
      metrics.inputTokens(version, tokens);
      x.sendJson(200, body(version.name(), tokens));
      code = "200";
      return code;
    }

    String failed(Throwable failure) {
      if (done) {
        return code;
      }
      done = true;
      code = Integer.toString(x.fail(failure));
      cancelAll();
      return code;
    }

    private Buffer body(String modelName, long tokens) {
      return OpenAiJson.write(g -> {
        g.writeStartObject();
        g.writeStringField("object", "list");
        g.writeArrayFieldStart("data");
        for (int i = 0; i < vectors.length; i++) {
          g.writeStartObject();
          g.writeStringField("object", "embedding");
          g.writeNumberField("index", i);
          if (request.base64()) {
            g.writeStringField("embedding", base64(vectors[i]));
          } else {
            g.writeArrayFieldStart("embedding");
            for (float v : vectors[i]) {
              g.writeNumber(v);
            }
            g.writeEndArray();
          }
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeStringField("model", modelName);
        g.writeObjectFieldStart("usage");
        g.writeNumberField("prompt_tokens", tokens);
        g.writeNumberField("total_tokens", tokens);
        g.writeEndObject();
        g.writeEndObject();
      });
    }
  }

  /** A vector as OpenAI's base64 encoding has it: its float32 values, little-endian. */
  static String base64(float[] vector) {
    ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(vector);
    return Base64.getEncoder().encodeToString(bytes.array());
  }

  /** Rows {@code start} to {@code end} of one request, as one inference call. */
  private final class Part implements InferenceCall.Front {
    private final Answer answer;
    private final ModelVersion version;
    private final int start;
    private final int end;

    Part(Answer answer, ModelVersion version, int start, int end) {
      this.answer = answer;
      this.version = version;
      this.start = start;
      this.end = end;
    }

    @Override
    public String model() {
      return version.name();
    }

    @Override
    public String version() {
      return version.versionString();
    }

    @Override
    public String method() {
      return answer.x.request().method().name();
    }

    @Override
    public String path() {
      return answer.x.request().path();
    }

    @Override
    public InferenceRequest decode() {
      return new InferenceRequest("", answer.model.text().inputs(answer.rows.subList(start, end)),
          List.of(answer.model.output().name()), 0, 0, InferenceRequest.NO_DEADLINE, Map.of());
    }

    @Override
    public String answer(ModelVersion ran, InferenceResult result) {
      return answer.completed(ran, start, end, result);
    }

    @Override
    public String fail(Throwable failure) {
      return answer.failed(failure);
    }
  }
}
