package dev.neutrino.gateway.generate;

import dev.neutrino.batching.Ticker;
import dev.neutrino.gateway.metrics.GatewayMetrics;
import dev.neutrino.gateway.metrics.GenerationMetrics;
import dev.neutrino.generation.ByteTokenizer;
import dev.neutrino.generation.GenerationEngine;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import io.vertx.core.Vertx;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The generation engines of one gateway, one per loaded version of a generative model, started the
 * first time the version is asked to generate: its own instance of the model (beside the instances
 * that serve the tensor API) is loaded on a worker thread and handed to a {@link GenerationEngine}.
 * An engine whose version has been closed (unloaded or replaced, every request on it finished) is
 * closed at the next lookup; {@link #close()} closes them all. Thread-safe.
 */
public final class GenerationModels implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(GenerationModels.class.getName());

  /** A version's engine with what requests need beside it. */
  public record Served(GenerationEngine engine, ByteTokenizer tokenizer, GenerationSettings settings) {}

  private final Vertx vertx;
  private final ModelRepository repository;
  private final GenerationMetrics metrics;
  private final Map<ModelVersion, CompletableFuture<Served>> engines = new ConcurrentHashMap<>();
  private volatile boolean closed;

  public GenerationModels(Vertx vertx, ModelRepository repository, GatewayMetrics metrics) {
    this.vertx = vertx;
    this.repository = repository;
    this.metrics = GenerationMetrics.create(metrics, this::running);
  }

  /**
   * The engine of {@code version}, starting it if this is the first request. Completes on a worker
   * thread or at once; the caller brings the result back to its event loop.
   *
   * @return fails as {@link InferenceException.BackendFailure} when the model cannot be run for
   *     generation (its inputs or its parameters are not what generation needs), naming why
   */
  public CompletionStage<Served> served(ModelVersion version) {
    closeRetired();
    if (closed) {
      return CompletableFuture.failedFuture(new InferenceException.NotReady("the gateway is stopping"));
    }
    CompletableFuture<Served> served = engines.computeIfAbsent(version, v -> {
      CompletableFuture<Served> started = new CompletableFuture<>();
      vertx.executeBlocking(() -> start(v), false).onComplete(result -> {
        if (result.succeeded()) {
          started.complete(result.result());
        } else {
          started.completeExceptionally(result.cause());
        }
      });
      return started;
    });
    served.whenComplete((ok, failure) -> {
      if (failure != null) {
        engines.remove(version, served); // a later request tries again
      } else if (closed && engines.remove(version, served)) {
        closeOnWorker(ok);
      }
    });
    return served;
  }

  /** Closes every engine; requests still generating fail as not ready. */
  @Override
  public void close() {
    closed = true;
    for (CompletableFuture<Served> served : engines.values()) {
      served.thenAccept(s -> s.engine().close());
    }
    engines.clear();
  }

  private Served start(ModelVersion version) {
    GenerationSettings settings;
    try {
      settings = GenerationSettings.of(version.config().parameters());
    } catch (IllegalArgumentException e) {
      throw new InferenceException.BackendFailure("model '" + version.name() + "': " + e.getMessage(), null);
    }
    LoadedModel instance;
    try {
      instance = repository.openInstance(version);
    } catch (ModelLoadException e) {
      throw new InferenceException.BackendFailure(
          "model '" + version.name() + "' could not be loaded for generation", e);
    }
    try {
      if (!GenerationEngine.takesCache(instance.inputs())) {
        throw new IllegalArgumentException("it takes no key/value cache (past_key_values.0.key)");
      }
      int vocabulary = instance.outputs().stream().filter(o -> o.name().equals("logits"))
          .mapToInt(o -> (int) o.dim(o.rank() - 1)).findFirst().orElse(-1);
      ByteTokenizer tokenizer = new ByteTokenizer(settings.endOfSequence(), vocabulary);
      GenerationEngine engine = GenerationEngine.start(instance, tokenizer, settings.options(), Ticker.system(),
          metrics.observer(version.name()), version.name(), repository.computeNice());
      LOG.log(System.Logger.Level.INFO, "generation engine started for " + version.name() + " version "
          + version.versionString() + ": " + settings.options());
      return new Served(engine, tokenizer, settings);
    } catch (IllegalArgumentException e) {
      instance.close();
      throw new InferenceException.BackendFailure(
          "model '" + version.name() + "' cannot generate: " + e.getMessage(), null);
    }
  }

  private void closeRetired() {
    for (Iterator<Map.Entry<ModelVersion, CompletableFuture<Served>>> it = engines.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<ModelVersion, CompletableFuture<Served>> entry = it.next();
      if (entry.getKey().isClosed()) {
        it.remove();
        entry.getValue().thenAccept(this::closeOnWorker);
      }
    }
  }

  /** Closing joins the engine's thread and frees native memory: never on an event loop. */
  private void closeOnWorker(Served served) {
    vertx.executeBlocking(() -> {
      served.engine().close();
      return null;
    }, false);
  }

  private Map<String, GenerationEngine> running() {
    Map<String, GenerationEngine> byModel = new LinkedHashMap<>();
    for (Map.Entry<ModelVersion, CompletableFuture<Served>> entry : engines.entrySet()) {
      Served served = entry.getValue().getNow(null);
      if (served != null) {
        byModel.putIfAbsent(entry.getKey().name(), served.engine());
      }
    }
    return byModel;
  }
}
