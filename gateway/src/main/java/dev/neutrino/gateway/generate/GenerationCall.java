package dev.neutrino.gateway.generate;

import dev.neutrino.gateway.openai.OpenAiTask;
import dev.neutrino.generation.Completion;
import dev.neutrino.generation.GenerationHandle;
import dev.neutrino.generation.GenerationListener;
import dev.neutrino.generation.GenerationRequest;
import dev.neutrino.repo.Lease;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.runtime.InferenceException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;

/**
 * One generation request over HTTP, whatever its wire format: lease the model's version, get its
 * engine, submit the sequence, and bring every piece of text back to the request's event loop. A
 * client that goes away cancels its sequence, which then takes part in no further model step. The
 * lease is held until the sequence ends, so the version (and its engine) outlives it.
 */
public final class GenerationCall {
  private GenerationCall() {}

  /** Builds the engine's request once the model's settings are known. */
  @FunctionalInterface
  public interface Prepare {
    /** @throws InferenceException.InvalidInput when the request does not fit the model */
    GenerationRequest prepare(GenerationModels.Served served);
  }

  /** Where the sequence goes, on the request's event loop, in order. */
  public interface Output {
    /** The engine took the sequence, for version {@code version} of the model. */
    default void started(String version, GenerationRequest request) {}

    void text(String piece);

    void finish(Completion completion);

    /** The request failed, before or after it started. */
    void fail(Throwable failure);
  }

  /** Starts generating for {@code model} ({@code version} null for the newest). Call on the event loop. */
  public static void start(Vertx vertx, ModelRepository repository, GenerationModels models,
      HttpServerResponse response, String model, String version, Prepare prepare, Output output) {
    start(vertx, repository, models, new Client() {
      @Override
      public boolean gone() {
        return response.closed();
      }

      @Override
      public void whenGone(Runnable cancel) {
        response.closeHandler(v -> cancel.run());
      }
    }, model, version, prepare, output);
  }

  /** Whoever asked for the sequence, as far as its lifetime goes. */
  public interface Client {
    /** Whether the client has gone away already. */
    boolean gone();

    /** Runs {@code cancel} (on the request's event loop) once the client goes away. */
    void whenGone(Runnable cancel);
  }

  /** As above, for a client of any protocol. */
  public static void start(Vertx vertx, ModelRepository repository, GenerationModels models,
      Client client, String model, String version, Prepare prepare, Output output) {
    Context context = vertx.getOrCreateContext();
    Lease lease;
    try {
      lease = repository.acquire(model, version);
    } catch (InferenceException e) {
      output.fail(e);
      return;
    }
    if (OpenAiTask.of(lease.version().config()) != OpenAiTask.GENERATION) {
      lease.close();
      output.fail(new InferenceException.InvalidInput("the model '" + model + "' does not generate text"));
      return;
    }
    Future.fromCompletionStage(models.served(lease.version()), context).onComplete(ready -> {
      if (ready.failed()) {
        lease.close();
        output.fail(ready.cause());
        return;
      }
      if (client.gone()) {
        lease.close();
        return;
      }
      GenerationHandle handle;
      GenerationRequest request;
      try {
        request = prepare.prepare(ready.result());
        handle = ready.result().engine().submit(request, new OnContext(context, lease, output));
      } catch (InferenceException | IllegalArgumentException e) {
        lease.close();
        output.fail(e instanceof IllegalArgumentException ? new InferenceException.InvalidInput(e.getMessage()) : e);
        return;
      }
      output.started(lease.version().versionString(), request);
      client.whenGone(handle::cancel);
    });
  }

  /** Hands the engine's calls to the request's event loop; releases the lease when the sequence ends. */
  private record OnContext(Context context, Lease lease, Output output) implements GenerationListener {
    @Override
    public void onText(String text, int completionTokens) {
      context.runOnContext(v -> output.text(text));
    }

    @Override
    public void onFinish(Completion completion) {
      context.runOnContext(v -> {
        lease.close();
        output.finish(completion);
      });
    }

    @Override
    public void onFailure(InferenceException failure) {
      context.runOnContext(v -> {
        lease.close();
        output.fail(failure);
      });
    }
  }
}
