package dev.neutrino.gateway.openai;

import dev.neutrino.repo.ModelRepository;
import dev.neutrino.repo.ModelVersion;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.text.HuggingFaceTokenizers;
import dev.neutrino.text.Tokenizer;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tokenizers of the model versions serving text, each read once, on a Vert.x worker, the first
 * time its version is asked for: a version swapped in by a reload (its tokenizer file changed, say)
 * reads its own.
 *
 * <p>A closed version's tokenizer is dropped from the table, not closed: a request that looked it up
 * before the swap may still be encoding with it, so its native memory is left to DJL's cleanup once
 * nothing refers to it. Thread-safe.
 */
public final class ModelTokenizers {
  private static final System.Logger LOG = System.getLogger(ModelTokenizers.class.getName());

  private final Vertx vertx;
  private final ModelRepository repository;
  private final ConcurrentHashMap<ModelVersion, CompletableFuture<Tokenizer>> loaded = new ConcurrentHashMap<>();

  public ModelTokenizers(Vertx vertx, ModelRepository repository) {
    this.vertx = vertx;
    this.repository = repository;
  }

  /**
   * The tokenizer of {@code version}, read as {@code text} says. Completes at once once read; fails
   * with {@link InferenceException.BackendFailure} when the file cannot be read (logged with the
   * reason; the message names only the file).
   */
  public CompletionStage<Tokenizer> of(ModelVersion version, TextModel text) {
    CompletableFuture<Tokenizer> found = loaded.get(version);
    if (found != null) {
      return found;
    }
    loaded.keySet().removeIf(ModelVersion::isClosed);
    return loaded.computeIfAbsent(version, v -> read(v, text));
  }

  private CompletableFuture<Tokenizer> read(ModelVersion version, TextModel text) {
    Path folder = repository.modelFolder(version.name());
    return vertx.executeBlocking(() -> {
      try {
        Path file = folder.resolve(text.tokenizer());
        if (!file.toRealPath().startsWith(folder.toRealPath())) {
          throw new IOException("the tokenizer file leads out of the model's folder");
        }
        return HuggingFaceTokenizers.open(file, text.maxLength());
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "cannot read the tokenizer of model " + version.name() + " version "
            + version.versionString() + ": " + e.getMessage());
        throw new InferenceException.BackendFailure("model '" + version.name() + "' cannot take text: its tokenizer '"
            + text.tokenizer() + "' cannot be read", null);
      }
    }, false).toCompletionStage().toCompletableFuture();
  }
}
