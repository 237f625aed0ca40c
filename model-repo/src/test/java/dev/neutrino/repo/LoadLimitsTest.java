package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Configurations over the {@link LoadLimits}, given with a load request or on disk: refused with a
 * message naming the field, the value and the limit, before any instance is created or any warm-up
 * tensor allocated; the version that served before keeps serving.
 */
class LoadLimitsTest {
  /** Two cores: at most 8 instances per model, 2 threads per instance; warm-up requests of 4 KiB. */
  private static final LoadLimits LIMITS = new LoadLimits(8, 2, 1024, 100, 4096);

  @TempDir Path root;
  private final GatedBackend backend = new GatedBackend();
  private ModelRepository repository;

  @BeforeEach
  void open() throws IOException {
    AddOneModel.writeTo(root.resolve("m/1/model.onnx"));
    repository = ModelRepository.open(root, new RepositoryOptions(2, SchedulerOptions.DEFAULT)
        .withControlMode(ModelControlMode.EXPLICIT, RepositoryOptions.DEFAULT_POLL_INTERVAL, Set.of("m"))
        .withLimits(LIMITS), backend);
    repository.loadAll();
  }

  @AfterEach
  void close() {
    repository.close();
  }

  private InferenceException.InvalidInput refusedLoad(String override) {
    ExecutionException failed = assertThrows(ExecutionException.class,
        () -> repository.requestLoad("m", override).toCompletableFuture().get(60, TimeUnit.SECONDS));
    return assertInstanceOf(InferenceException.InvalidInput.class, failed.getCause());
  }

  private float infer(float value) {
    try (Lease lease = repository.acquire("m", null)) {
      InferenceRequest request = InferenceRequest.of("r",
          Map.of("INPUT0", Tensor.ofFloats(new long[] {1, 4}, value, value, value, value)));
      return lease.version().infer(request).result().toCompletableFuture().join().outputs().get("OUTPUT0").toFloatArray()[0];
    }
  }

  /** Each override with the start of the message that refuses it. */
  static Stream<Arguments> overridesOverALimit() {
    return Stream.of(
        Arguments.of("{\"instance_group\": [{\"count\": 64}], \"parameters\": {\"intra_op_thread_count\": \"16\"}}",
            "instance_group count 64 is over the limit of 8 instances per model"),
        Arguments.of("{\"instance_group\": [{\"count\": 5}, {\"count\": 4}]}",
            "instance_group count 9 is over the limit of 8"),
        Arguments.of("{\"parameters\": {\"intra_op_thread_count\": \"16\"}}",
            "parameters.intra_op_thread_count 16 is over the limit of 2 threads per instance"),
        Arguments.of("{\"parameters\": {\"inter_op_thread_count\": {\"string_value\": \"3\"}}}",
            "parameters.inter_op_thread_count 3 is over the limit of 2 threads per instance"),
        Arguments.of("{\"parameters\": {\"inter_op_thread_count\": \"many\"}}",
            "parameters.inter_op_thread_count must be a positive integer, got 'many'"),
        Arguments.of("{\"max_batch_size\": 100000}", "max_batch_size 100000 is over the limit of 1024"),
        Arguments.of("{\"model_warmup\": [{\"name\": \"huge\", \"inputs\": {\"INPUT0\": "
                + "{\"data_type\": \"TYPE_FP32\", \"dims\": [200000000]}}}]}",
            "model_warmup 'huge': inputs of 800000000 bytes are over the limit of 4096 bytes per warm-up request"),
        Arguments.of("{\"model_warmup\": [{\"name\": \"overflow\", \"inputs\": {\"INPUT0\": "
                + "{\"dims\": [4611686018427387904, 4]}}}]}",
            "model_warmup 'overflow': inputs of more than " + Long.MAX_VALUE + " bytes are over the limit"),
        Arguments.of("{\"model_warmup\": [{\"name\": \"often\", \"count\": 200000}]}",
            "model_warmup 'often': count 200000 is over the limit of 100"),
        Arguments.of("{\"model_warmup\": [{\"count\": 60}, {\"count\": 60}]}",
            "model_warmup: counts adding up to 120 are over the limit of 100"),
        Arguments.of("{\"model_warmup\": [{\"name\": \"wide\", \"batch_size\": 5000}]}",
            "model_warmup 'wide': batch_size 5000 is over the limit of 1024"));
  }

  @ParameterizedTest
  @MethodSource("overridesOverALimit")
  void overrideOverALimitIsRefusedBeforeAnyInstanceLoads(String override, String message) {
    int loadsBefore = backend.loads();
    InferenceException.InvalidInput refused = refusedLoad(override);
    assertTrue(refused.getMessage().contains("configuration: " + message), refused.getMessage());
    assertEquals(loadsBefore, backend.loads(), "no instance was created for a configuration over a limit");
    assertEquals(11f, infer(10f), "the version that served before still serves");
    assertEquals(1, repository.find("m", null).config().instanceCount());
  }

  @Test
  void warmupOverTheByteLimitWithTheModelsOwnDimsIsRefusedBeforeItRuns() {
    // 200 rows of the model's 4 FP32 values: 3,200 bytes within 4 KiB; 300 rows: 4,800 bytes, over it.
    String within = "{\"max_batch_size\": 1000, \"model_warmup\": [{\"name\": \"rows\", \"batch_size\": 200}]}";
    repository.requestLoad("m", within).toCompletableFuture().join();
    String over = "{\"max_batch_size\": 1000, \"model_warmup\": [{\"name\": \"rows\", \"batch_size\": 300}]}";
    InferenceException.InvalidInput refused = refusedLoad(over);
    assertTrue(refused.getMessage().contains(
        "model_warmup 'rows': inputs of 4800 bytes are over the limit of 4096 bytes per warm-up request"),
        refused.getMessage());
    assertEquals(11f, infer(10f));
    assertEquals(1000, repository.find("m", null).config().maxBatchSize(), "the earlier load still serves");
  }

  @Test
  void configurationOnDiskOverALimitFailsItsLoadWithTheSameMessage() throws IOException {
    Files.writeString(root.resolve("m/config.yaml"), "instance_group:\n  - count: 64\n");
    CompletionException failed = assertThrows(CompletionException.class,
        () -> repository.requestLoad("m", null).toCompletableFuture().join());
    assertTrue(failed.getCause().getMessage().contains(
        "config.yaml: instance_group count 64 is over the limit of 8 instances per model"),
        failed.getCause().getMessage());
    ModelStatus row = repository.index(false).stream().filter(s -> s.name().equals("m")).findFirst().orElseThrow();
    assertEquals(ModelState.READY, row.state(), "the old version keeps serving");
    assertEquals(1, repository.loadCounts().get("m").failed());
  }

  @Test
  void defaultLimitsFollowTheCores() {
    LoadLimits limits = LoadLimits.forCores(2, 1 << 20);
    assertEquals(8, limits.maxInstancesPerModel());
    assertEquals(2, limits.maxThreadsPerInstance());
    assertEquals(LoadLimits.DEFAULT_MAX_WARMUP_COUNT, limits.maxWarmupCount());
    assertEquals(1 << 20, limits.maxWarmupBytes());
    assertEquals(LoadLimits.forCores(3), new RepositoryOptions(3, SchedulerOptions.DEFAULT).limits());
    assertThrows(IllegalArgumentException.class, () -> new LoadLimits(0, 1, 1, 1, 1));
  }
}
