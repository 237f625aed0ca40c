package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.batching.Submission;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Ensembles in a real repository of ONNX models: steps run as their inputs arrive, through their
 * models' own schedulers; failures name the step; cancellation withdraws queued steps; loads check
 * the graph.
 *
 * <p>The ensemble {@code diamond} lists its steps out of order: {@code Y = sum2(plus1(X), times3(X))},
 * that is {@code 4X + 1}.
 */
class EnsembleTest {
  private static final String BATCHING = "max_batch_size: 8\ndynamic_batching:\n  max_queue_delay_microseconds: 0\n";
  private static final String DIAMOND = """
      platform: ensemble
      max_batch_size: 8
      input:
        - {name: X, data_type: TYPE_FP32, dims: [4]}
      output:
        - {name: Y, data_type: TYPE_FP32, dims: [4]}
        - {name: a, data_type: TYPE_FP32, dims: [4]}
      ensemble_scheduling:
        step:
          - model_name: sum2
            input_map: {INPUT0: a, INPUT1: b}
            output_map: {OUTPUT0: Y}
          - model_name: plus1
            model_version: -1
            input_map: {INPUT0: X}
            output_map: {OUTPUT0: a}
          - model_name: times3
            model_version: 1
            input_map: {INPUT0: X}
            output_map: {OUTPUT0: b}
      """;

  @TempDir Path root;
  private final RunGateBackend backend = new RunGateBackend();
  private final List<RunGateBackend.Gate> gates = new ArrayList<>();
  private ModelRepository repository;

  @BeforeEach
  void writeModels() throws IOException {
    unary("plus1", "Add", 1f);
    unary("times3", "Mul", 3f);
    new OnnxModelBuilder("sum2")
        .input("INPUT0", DataType.FP32, -1, 4)
        .input("INPUT1", DataType.FP32, -1, 4)
        .output("OUTPUT0", DataType.FP32, -1, 4)
        .node("Add", List.of("INPUT0", "INPUT1"), List.of("OUTPUT0"))
        .writeTo(root.resolve("sum2/1/model.onnx"));
    Files.writeString(root.resolve("sum2/config.yaml"), BATCHING);
    Files.createDirectories(root.resolve("diamond/1"));
    Files.writeString(root.resolve("diamond/config.yaml"), DIAMOND);
  }

  @AfterEach
  void close() {
    gates.forEach(RunGateBackend.Gate::open);
    if (repository != null) {
      repository.close();
    }
  }

  private void unary(String name, String op, float constant) throws IOException {
    new OnnxModelBuilder(name)
        .input("INPUT0", DataType.FP32, -1, 4)
        .output("OUTPUT0", DataType.FP32, -1, 4)
        .initializer("c", new long[] {1}, new float[] {constant})
        .node(op, List.of("INPUT0", "c"), List.of("OUTPUT0"))
        .writeTo(root.resolve(name).resolve("1").resolve("model.onnx"));
    Files.writeString(root.resolve(name).resolve("config.yaml"), BATCHING);
  }

  /** Everything loaded at start, as {@code --model-control-mode none}: the ensemble sorts before its steps. */
  private ModelRepository openAll() throws IOException {
    repository = ModelRepository.open(root, new RepositoryOptions(1, SchedulerOptions.DEFAULT), backend);
    repository.loadAll();
    return repository;
  }

  private ModelRepository openExplicit(String... startup) throws IOException {
    repository = ModelRepository.open(root, new RepositoryOptions(1, SchedulerOptions.DEFAULT)
        .withControlMode(ModelControlMode.EXPLICIT, RepositoryOptions.DEFAULT_POLL_INTERVAL, Set.of(startup)), backend);
    repository.loadAll();
    return repository;
  }

  private static InferenceRequest request(float... x) {
    return InferenceRequest.of("r", Map.of("X", Tensor.ofFloats(new long[] {x.length / 4, 4}, x)));
  }

  /** Submits under a lease released when the result completes, as the front ends do. */
  private Submission submit(String model, InferenceRequest request) {
    Lease lease = repository.acquire(model, null);
    Submission submission = lease.version().infer(request);
    submission.result().whenComplete((r, e) -> lease.close());
    return submission;
  }

  private static InferenceRequest single(String input, float... values) {
    return InferenceRequest.of("r", Map.of(input, Tensor.ofFloats(new long[] {values.length / 4, 4}, values)));
  }

  private static Throwable failure(Submission submission) {
    CompletionException thrown = assertThrows(CompletionException.class,
        () -> submission.result().toCompletableFuture().join());
    return InferenceException.unwrap(thrown);
  }

  @Test
  void answersWhatItsStepsAnswerOneByOne() throws Exception {
    openAll();
    List<String> observed = Collections.synchronizedList(new ArrayList<>());
    repository.observeSteps(new StepObserver() {
      @Override
      public void succeeded(ModelVersion step, long durationNanos, InferenceResult result) {
        observed.add(step.name());
      }

      @Override
      public void failed(ModelVersion step, long durationNanos, Throwable failure) {
        observed.add(step.name() + " failed");
      }
    });
    float[] x = {0, 1, 2, 3, -1, -2, 0.5f, 10};
    InferenceResult result = submit("diamond", request(x)).result().toCompletableFuture().get(60, TimeUnit.SECONDS);

    float[] a = submit("plus1", single("INPUT0", x)).result().toCompletableFuture().join().outputs().get("OUTPUT0")
        .toFloatArray();
    float[] b = submit("times3", single("INPUT0", x)).result().toCompletableFuture().join().outputs().get("OUTPUT0")
        .toFloatArray();
    float[] y = submit("sum2", InferenceRequest.of("r", Map.of(
        "INPUT0", Tensor.ofFloats(new long[] {2, 4}, a), "INPUT1", Tensor.ofFloats(new long[] {2, 4}, b))))
        .result().toCompletableFuture().join().outputs().get("OUTPUT0").toFloatArray();
    assertEquals(List.of("Y", "a"), List.copyOf(result.outputs().keySet()));
    assertArrayEquals(y, result.outputs().get("Y").toFloatArray());
    assertArrayEquals(a, result.outputs().get("a").toFloatArray());
    assertArrayEquals(new long[] {2, 4}, result.outputs().get("Y").shape());
    assertEquals(4 * 10 + 1, result.outputs().get("Y").toFloatArray()[7]);
    assertEquals(2, result.batchSize());
    assertEquals(List.of("plus1", "sum2", "times3"), observed.stream().sorted().toList());
    assertEquals(1, repository.find("diamond", null).schedulerStats().succeeded());
  }

  @Test
  void answersOnlyTheOutputsAsked() throws Exception {
    openAll();
    InferenceRequest request = new InferenceRequest("r", request(1, 2, 3, 4).inputs(), List.of("a"), 0, 0,
        InferenceRequest.NO_DEADLINE, Map.of());
    InferenceResult result = submit("diamond", request).result().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(Set.of("a"), result.outputs().keySet());
    assertArrayEquals(new float[] {2, 3, 4, 5}, result.outputs().get("a").toFloatArray());
  }

  @Test
  void failingStepFailsTheRequestNamingTheStep() throws Exception {
    openAll();
    backend.fail("times3");
    Throwable cause = failure(submit("diamond", request(1, 2, 3, 4)));
    assertInstanceOf(InferenceException.BackendFailure.class, cause);
    assertTrue(cause.getMessage().startsWith("ensemble 'diamond' step 2 (model 'times3'): "), cause.getMessage());
    assertEquals(1, repository.find("diamond", null).schedulerStats().failed());
  }

  @Test
  void badInputIsRefusedBeforeAnyStepRuns() throws Exception {
    openAll();
    int before = backend.runs("plus1") + backend.runs("times3");
    Throwable cause = failure(submit("diamond", InferenceRequest.of("r", Map.of("X", Tensor.ofFloats(new long[] {1, 3},
        1, 2, 3)))));
    assertInstanceOf(InferenceException.InvalidInput.class, cause);
    assertTrue(cause.getMessage().contains("input 'X'"), cause.getMessage());
    assertEquals(before, backend.runs("plus1") + backend.runs("times3"));
  }

  @Test
  void cancelledRequestWithdrawsItsQueuedSteps() throws Exception {
    openAll();
    ModelVersion plus1 = repository.find("plus1", null);
    RunGateBackend.Gate gate = held("plus1");
    Submission blocker = submit("plus1", single("INPUT0", 1, 1, 1, 1));
    assertTrue(gate.awaitEntered());
    int plus1Runs = backend.runs("plus1");
    int sum2Runs = backend.runs("sum2");

    Submission ensemble = submit("diamond", request(1, 2, 3, 4));
    await(() -> plus1.schedulerStats().queueDepth() == 1, "the ensemble's plus1 step waits behind the held run");
    assertTrue(ensemble.cancel());
    assertInstanceOf(InferenceException.Cancelled.class, failure(ensemble));
    await(() -> plus1.schedulerStats().queueDepth() == 0, "the step is withdrawn from plus1's queue");
    assertEquals(1, plus1.schedulerStats().cancelled());

    gate.open();
    blocker.result().toCompletableFuture().get(60, TimeUnit.SECONDS);
    await(() -> plus1.inFlight() == 0, "plus1 is idle");
    assertEquals(plus1Runs, backend.runs("plus1"), "the withdrawn step never ran");
    assertEquals(sum2Runs, backend.runs("sum2"), "the step after it never ran");
    assertEquals(1, repository.find("diamond", null).schedulerStats().cancelled());
    assertEquals(0, repository.find("diamond", null).inFlight());
  }

  @Test
  void stepsBatchWithTheirModelsOtherTraffic() throws Exception {
    openAll();
    ModelVersion plus1 = repository.find("plus1", null);
    RunGateBackend.Gate gate = held("plus1");
    Submission blocker = submit("plus1", single("INPUT0", 1, 1, 1, 1));
    assertTrue(gate.awaitEntered());
    int runs = backend.runs("plus1");

    Submission ensemble = submit("diamond", request(1, 2, 3, 4));
    Submission direct = submit("plus1", single("INPUT0", 5, 5, 5, 5));
    await(() -> plus1.schedulerStats().queueDepth() == 2, "both wait behind the held run");
    gate.open();

    InferenceResult result = ensemble.result().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertArrayEquals(new float[] {5, 9, 13, 17}, result.outputs().get("Y").toFloatArray());
    assertArrayEquals(new float[] {6, 6, 6, 6},
        direct.result().toCompletableFuture().get(60, TimeUnit.SECONDS).outputs().get("OUTPUT0").toFloatArray());
    blocker.result().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(runs + 1, backend.runs("plus1"), "the step and the direct request ran as one batch");
    assertEquals(1L, plus1.schedulerStats().batchSizes().get(2));
  }

  @Test
  void isReadyOnlyWhileItsStepsAre() throws Exception {
    openExplicit("plus1", "times3", "sum2", "diamond");
    assertEquals("1", repository.find("diamond", null).versionString());
    repository.requestUnload("sum2").toCompletableFuture().get(60, TimeUnit.SECONDS);
    InferenceException.NotReady notReady = assertThrows(InferenceException.NotReady.class,
        () -> repository.find("diamond", null));
    assertTrue(notReady.getMessage().contains("step model 'sum2'"), notReady.getMessage());
    assertInstanceOf(InferenceException.NotReady.class,
        assertThrows(InferenceException.class, () -> repository.acquire("diamond", null)));
    repository.requestLoad("sum2", null).toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertArrayEquals(new float[] {5, 9, 13, 17}, submit("diamond", request(1, 2, 3, 4)).result()
        .toCompletableFuture().get(60, TimeUnit.SECONDS).outputs().get("Y").toFloatArray());
  }

  static Stream<Arguments> invalidEnsembles() {
    return Stream.of(
        Arguments.of(DIAMOND.replace("model_name: sum2", "model_name: nope"),
            "ensemble_scheduling.step[0].model_name 'nope' is not serving"),
        Arguments.of(DIAMOND.replace("model_name: sum2", "model_name: diamond"),
            "ensemble_scheduling.step[0].model_name 'diamond' is the ensemble itself"),
        Arguments.of(DIAMOND.replace("model_version: 1", "model_version: 7"),
            "ensemble_scheduling.step[2].model_name 'times3' is not serving"),
        Arguments.of(DIAMOND.replace("{INPUT0: a, INPUT1: b}", "{INPUT0: a, INPUT1: b, INPUT2: b}"),
            "ensemble_scheduling.step[0].input_map: model 'sum2' has no input 'INPUT2' (it has INPUT0, INPUT1)"),
        Arguments.of(DIAMOND.replace("{INPUT0: a, INPUT1: b}", "{INPUT0: a}"),
            "ensemble_scheduling.step[0].input_map: input 'INPUT1' of model 'sum2' is not mapped"),
        Arguments.of(DIAMOND.replace("{OUTPUT0: Y}", "{OUT: Y}"),
            "ensemble_scheduling.step[0].output_map: model 'sum2' has no output 'OUT' (it has OUTPUT0)"),
        Arguments.of(DIAMOND.replace("{INPUT0: a, INPUT1: b}", "{INPUT0: a, INPUT1: q}"),
            "ensemble_scheduling.step[0].input_map: tensor 'q' is neither an ensemble input nor written by any step"),
        Arguments.of(DIAMOND.replace("{OUTPUT0: b}", "{OUTPUT0: a}"),
            "ensemble_scheduling.step[2].output_map: tensor 'a' is already written by step[1] output 'OUTPUT0'"),
        Arguments.of(DIAMOND.replace("{name: X, data_type: TYPE_FP32", "{name: X, data_type: TYPE_INT32"),
            "ensemble_scheduling.step[1].input_map: tensor 'X' (ensemble input 'X') is INT32 [-1,4] but input "
                + "'INPUT0' of model 'plus1' is FP32 [-1,4]"),
        Arguments.of(DIAMOND.replace("{name: X, data_type: TYPE_FP32, dims: [4]}",
                "{name: X, data_type: TYPE_FP32, dims: [5]}"),
            "tensor 'X' (ensemble input 'X') is FP32 [-1,5] but input 'INPUT0' of model 'plus1' is FP32 [-1,4]"),
        Arguments.of(DIAMOND.replace("{name: a, data_type: TYPE_FP32, dims: [4]}",
                "{name: Z, data_type: TYPE_FP32, dims: [4]}"),
            "output 'Z' is written by no step"),
        Arguments.of(DIAMOND.replace("{name: a, data_type: TYPE_FP32, dims: [4]}",
                "{name: a, data_type: TYPE_FP32, dims: [2, 2]}"),
            "output 'a' (step[1] output 'OUTPUT0') is FP32 [-1,4] but the ensemble's declaration is FP32 [-1,2,2]"),
        Arguments.of(DIAMOND.replace("{INPUT0: X}\n      output_map: {OUTPUT0: a}",
                "{INPUT0: b}\n      output_map: {OUTPUT0: a}")
                .replace("{INPUT0: X}\n      output_map: {OUTPUT0: b}", "{INPUT0: a}\n      output_map: {OUTPUT0: b}")
                .replace("{INPUT0: a, INPUT1: b}", "{INPUT0: X, INPUT1: b}"),
            "ensemble_scheduling: steps [0, 1, 2] wait on each other's outputs (a cycle)"),
        Arguments.of(DIAMOND.replace("max_batch_size: 8", "max_batch_size: 16"),
            "ensemble_scheduling.step[0]: model 'sum2' has max_batch_size 8, less than the ensemble's 16"),
        Arguments.of(DIAMOND + "instance_group: [{count: 1}]\n", "instance_group is not supported for an ensemble"),
        Arguments.of(DIAMOND.replace("platform: ensemble\n", ""), "ensemble_scheduling needs platform 'ensemble'"),
        Arguments.of(DIAMOND.replace("  - {name: X, data_type: TYPE_FP32, dims: [4]}",
                "  - {name: X, data_type: TYPE_FP32, dims: [4]}\n  - {name: W, data_type: TYPE_FP32, dims: [4]}"),
            "input 'W' is read by no step"),
        Arguments.of(DIAMOND.replace("model_name: plus1", "model_name: plus1\n      bogus: 1"), "unknown key 'bogus'"));
  }

  @ParameterizedTest
  @MethodSource("invalidEnsembles")
  void refusesAnInvalidEnsembleNamingTheField(String config, String expected) throws Exception {
    openExplicit("plus1", "times3", "sum2");
    CompletionException thrown = assertThrows(CompletionException.class,
        () -> repository.requestLoad("diamond", config).toCompletableFuture().join());
    Throwable cause = InferenceException.unwrap(thrown);
    assertInstanceOf(InferenceException.InvalidInput.class, cause);
    assertTrue(cause.getMessage().contains(expected), cause.getMessage());
    assertThrows(InferenceException.class, () -> repository.find("diamond", null));
  }

  @Test
  void refusesTheLoadOfAnEnsembleWhoseStepsAreNotLoaded() throws Exception {
    openExplicit("plus1", "times3");
    CompletionException thrown = assertThrows(CompletionException.class,
        () -> repository.requestLoad("diamond", null).toCompletableFuture().join());
    assertTrue(InferenceException.unwrap(thrown).getMessage()
        .contains("ensemble_scheduling.step[0].model_name 'sum2' is not serving"), thrown.getMessage());
  }

  private RunGateBackend.Gate held(String model) {
    RunGateBackend.Gate gate = backend.hold(model);
    gates.add(gate);
    return gate;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(10);
    }
  }
}
