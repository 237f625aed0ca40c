package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.repo.examples.ExampleModels;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example models in the adaptive instance layout, loaded by the repository on ONNX Runtime: what
 * each instance is asked for, which session runs a lone request, and that its outputs are ORT's own,
 * bit for bit.
 */
class AdaptiveInstanceLayoutTest {
  private static final int CORES = 2;

  @TempDir Path root;
  private final Recording backend = new Recording();
  private ModelRepository repository;

  /** ONNX Runtime, recording the options of every load and which session every run used. */
  private static final class Recording extends OrtTestBackend {
    final ConcurrentLinkedQueue<LoadOptions> loads = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> runs = new ConcurrentLinkedQueue<>();

    @Override
    public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
      loads.add(options);
      LoadedModel model = ort.load(modelFile, options);
      return new ForwardingModel(model) {
        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
          runs.add("narrow");
          return model.run(inputs, outputs);
        }

        @Override
        public Map<String, Tensor> runWide(Map<String, Tensor> inputs, Set<String> outputs) {
          runs.add("wide");
          return model.runWide(inputs, outputs);
        }
      };
    }
  }

  @BeforeEach
  void open() throws Exception {
    ExampleModels.writeRepository(root);
    repository = ModelRepository.open(root, new RepositoryOptions(CORES, SchedulerOptions.DEFAULT)
        .withControlMode(ModelControlMode.EXPLICIT, RepositoryOptions.DEFAULT_POLL_INTERVAL, Set.of()), backend);
  }

  @AfterEach
  void close() {
    repository.close();
  }

  private Tensor inferAlone(String model, String input, Tensor tensor, String output) {
    repository.requestLoad(model, null).toCompletableFuture().join();
    backend.runs.clear();
    try (Lease lease = repository.acquire(model, null)) {
      return lease.version().infer(InferenceRequest.of("r", Map.of(input, tensor))).result().toCompletableFuture()
          .join().outputs().get(output);
    }
  }

  /** The same input through a plain ORT session with its defaults and one thread, as ORT computes it. */
  private byte[] ort(String model, String input, OnnxTensorFactory tensor, String output) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(root.resolve(model + "/1/model.onnx").toString(), options);
          OnnxTensor in = tensor.create(env);
          OrtSession.Result result = session.run(Map.of(input, in))) {
        ByteBuffer bytes = ((OnnxTensor) result.get(output).orElseThrow()).getByteBuffer();
        byte[] out = new byte[bytes.remaining()];
        bytes.get(out);
        return out;
      }
    }
  }

  @FunctionalInterface
  private interface OnnxTensorFactory {
    OnnxTensor create(OrtEnvironment env) throws Exception;
  }

  private static byte[] bytes(Tensor tensor) {
    ByteBuffer data = tensor.data();
    byte[] out = new byte[data.remaining()];
    data.get(out);
    return out;
  }

  @Test
  void recommenderInstancesTakeTheirShareAndALoneRequestRunsWideWithOrtsOwnOutputs() throws Exception {
    float[] features = new float[256];
    Random random = new Random(3);
    for (int i = 0; i < features.length; i++) {
      features[i] = (float) random.nextGaussian();
    }
    Tensor scores = inferAlone("recommender_mlp", "features", Tensor.ofFloats(new long[] {1, 256}, features), "score");

    assertEquals(List.of("wide"), List.copyOf(backend.runs), "nothing else ran: all the cores to this request");
    assertTrue(backend.loads.stream().allMatch(o -> o.intraOpThreads() == 1 && o.wideIntraOpThreads() == CORES),
        backend.loads.toString());
    assertEquals(2, backend.loads.size(), "the example's two instances");
    assertArrayEquals(ort("recommender_mlp", "features",
        env -> OnnxTensor.createTensor(env, java.nio.FloatBuffer.wrap(features), new long[] {1, 256}), "score"),
        bytes(scores));
  }

  @Test
  void textEncoderLoneRequestRunsWideWithOrtsOwnOutputs() throws Exception {
    long[] ids = new long[128];
    Random random = new Random(5);
    for (int i = 0; i < ids.length; i++) {
      ids[i] = random.nextInt(8192);
    }
    ByteBuffer data = Tensor.allocate(8L * ids.length);
    for (long id : ids) {
      data.putLong(id);
    }
    Tensor tensor = Tensor.of(DataType.INT64, new long[] {1, 128}, data.flip());
    Tensor embedding = inferAlone("text_encoder", "input_ids", tensor, "embedding");

    assertEquals(List.of("wide"), List.copyOf(backend.runs));
    assertArrayEquals(ort("text_encoder", "input_ids",
        env -> OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(ids), new long[] {1, 128}), "embedding"),
        bytes(embedding));
  }

  @Test
  void anAdaptiveInstanceCountsTwoSessionsOfWeightsAgainstTheMemoryBudget() throws Exception {
    repository.close();
    repository = ModelRepository.open(root, new RepositoryOptions(CORES, SchedulerOptions.DEFAULT)
        .withControlMode(ModelControlMode.EXPLICIT, RepositoryOptions.DEFAULT_POLL_INTERVAL, Set.of())
        .withMemoryBudget(1L << 40), backend);
    repository.requestLoad("recommender_mlp", null).toCompletableFuture().join();

    assertEquals(2 * 2 * Files.size(root.resolve("recommender_mlp/1/model.onnx")),
        repository.residentFootprints().get("recommender_mlp"), "two instances, each with two sessions' weights");
  }

  @Test
  void theFixedLayoutHasNoWideSession() throws Exception {
    Path config = root.resolve("recommender_mlp/config.yaml");
    Files.writeString(config, Files.readString(config).replace("instance_layout: adaptive", "instance_layout: fixed"));
    Tensor features = Tensor.ofFloats(new long[] {1, 256}, new float[256]);

    inferAlone("recommender_mlp", "features", features, "score");

    assertEquals(List.of("narrow"), List.copyOf(backend.runs));
    assertTrue(backend.loads.stream().allMatch(o -> o.wideIntraOpThreads() == LoadOptions.NO_WIDE_SESSION));
  }

  @Test
  void anUnknownLayoutFailsTheLoadNamingTheParameter() throws Exception {
    Path config = root.resolve("recommender_mlp/config.yaml");
    Files.writeString(config, Files.readString(config).replace("instance_layout: adaptive", "instance_layout: wide"));

    CompletionException e = assertThrows(CompletionException.class,
        () -> repository.requestLoad("recommender_mlp", null).toCompletableFuture().join());

    assertTrue(e.getCause().getMessage().contains("parameters.instance_layout must be 'fixed' or 'adaptive', got 'wide'"),
        e.getCause().getMessage());
    assertTrue(backend.loads.isEmpty(), "refused before any instance was created");
  }
}
