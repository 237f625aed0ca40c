package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.repo.examples.ExampleModels;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model scaled to zero in poll mode stays unloaded until a request asks for it. */
class IdleUnloadRepositoryTest {
  private static final String MODEL = "identity_fp32";

  @TempDir Path dir;

  @Test
  void pollingDoesNotReloadAModelScaledToZero() throws IOException, InterruptedException {
    ExampleModels.writeRepository(dir);
    try (Stream<Path> models = Files.list(dir)) {
      for (Path model : models.filter(m -> !m.getFileName().toString().equals(MODEL)).toList()) {
        try (Stream<Path> files = Files.walk(model)) {
          for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(file);
          }
        }
      }
    }
    AtomicLong clock = new AtomicLong();
    RepositoryOptions options = new RepositoryOptions(1, SchedulerOptions.DEFAULT)
        .withControlMode(ModelControlMode.POLL, Duration.ofHours(1), Set.of());
    try (ModelRepository repository = ModelRepository.open(dir, options, OnnxRuntimeBackend.create(),
        new IdleUnload(Duration.ofSeconds(30), Duration.ofMillis(10), clock::get))) {
      repository.loadAll();
      repository.acquire(MODEL, "").close();
      clock.addAndGet(Duration.ofSeconds(30).toNanos());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!repository.isScaledToZero(MODEL) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(repository.isScaledToZero(MODEL));
      assertTrue(repository.allReady(), "a model scaled to zero does not make the repository unready");

      repository.pollNow();
      repository.pollNow(); // the second sees the files settled, as a change to load would be
      assertTrue(repository.isScaledToZero(MODEL), "the poll left it unloaded");
      assertEquals(java.util.List.of(), repository.readyVersions(MODEL));

      repository.acquireAsync(MODEL, "", System.nanoTime() + TimeUnit.SECONDS.toNanos(60))
          .toCompletableFuture().join().close();
      assertFalse(repository.isScaledToZero(MODEL));
      assertEquals(java.util.List.of("1"), repository.readyVersions(MODEL));
    }
  }
}
