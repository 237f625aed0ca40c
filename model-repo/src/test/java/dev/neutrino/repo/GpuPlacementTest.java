package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.SchedulerOptions;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.Backends;
import dev.neutrino.runtime.Device;
import dev.neutrino.runtime.DeviceMemory;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Triton's GPU configuration through the repository: placements, accelerator options, refusals. */
class GpuPlacementTest {
  @TempDir Path root;
  private final List<ModelRepository> opened = new ArrayList<>();
  private final OnnxRuntimeBackend ort = OnnxRuntimeBackend.create();

  /** ONNX Runtime, recording where each instance was asked to load (a backend standing in for a platform). */
  private static final class Recording implements Backend {
    final ConcurrentLinkedQueue<LoadOptions> loads = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Path> files = new ConcurrentLinkedQueue<>();
    private final Backend ort;
    private final String platform;
    private final String file;

    Recording(Backend ort, String platform, String file) {
      this.ort = ort;
      this.platform = platform;
      this.file = file;
    }

    @Override
    public String name() {
      return platform.equals(OnnxRuntimeBackend.PLATFORM) ? OnnxRuntimeBackend.NAME : "engines";
    }

    @Override
    public String platform() {
      return platform;
    }

    @Override
    public String defaultModelFileName() {
      return file;
    }

    @Override
    public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
      loads.add(options);
      files.add(modelFile.getFileName());
      return ort.load(modelFile.resolveSibling("model.onnx"), options);
    }
  }

  /**
   * ONNX Runtime on the CPU, each instance saying it runs on the GPU it was placed on, as a GPU build's
   * instance does: what the device memory measurement keys on.
   */
  private static final class SaysGpu implements Backend {
    private final Backend ort;

    SaysGpu(Backend ort) {
      this.ort = ort;
    }

    @Override
    public String name() {
      return OnnxRuntimeBackend.NAME;
    }

    @Override
    public String platform() {
      return OnnxRuntimeBackend.PLATFORM;
    }

    @Override
    public String defaultModelFileName() {
      return "model.onnx";
    }

    @Override
    public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
      LoadedModel model = ort.load(modelFile, LoadOptions.cpu(1));
      String device = options.device() == Device.CPU ? "cpu" : "cuda:" + options.deviceId();
      return new LoadedModel() {
        @Override
        public List<dev.neutrino.runtime.TensorSpec> inputs() {
          return model.inputs();
        }

        @Override
        public List<dev.neutrino.runtime.TensorSpec> outputs() {
          return model.outputs();
        }

        @Override
        public String device() {
          return device;
        }

        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) {
          return model.run(inputs, outputs);
        }

        @Override
        public void close() {
          model.close();
        }
      };
    }
  }

  /** Device memory readings that grow by {@code step} bytes on GPU 1 (and not on GPU 0) at each read. */
  private static DeviceMemory growingOnGpu1(long step, AtomicInteger reads) {
    return () -> {
      int n = reads.getAndIncrement();
      return Map.of(0, 1_000L, 1, 5_000L + n * step);
    };
  }

  private ModelRepository open(Backend backend, DeviceMemory memory) throws IOException {
    ModelRepository repository = ModelRepository.open(root, new RepositoryOptions(4, SchedulerOptions.DEFAULT)
        .withControlMode(ModelControlMode.EXPLICIT, RepositoryOptions.DEFAULT_POLL_INTERVAL, Set.of("m")), backend,
        memory);
    opened.add(repository);
    return repository;
  }

  @Test
  void aGpuVersionRecordsTheDeviceMemoryItsLoadTookOnItsGpu() throws Exception {
    config("""
        instance_group:
          - kind: KIND_GPU
            count: 2
            gpus: [1]
        """);
    AtomicInteger reads = new AtomicInteger();
    ModelRepository repository = open(new SaysGpu(ort), growingOnGpu1(300, reads));
    repository.loadAll();
    try (Lease lease = repository.acquire("m", null)) {
      assertEquals(Map.of(1, 300L), lease.version().gpuMemoryBytes());
    }
    assertEquals(2, reads.get(), "one reading before the GPU instances load, one after");
  }

  @Test
  void aCpuVersionRecordsNoDeviceMemoryAndReadsNone() throws Exception {
    config("""
        instance_group:
          - kind: KIND_CPU
        """);
    AtomicInteger reads = new AtomicInteger();
    ModelRepository repository = open(new SaysGpu(ort), growingOnGpu1(300, reads));
    repository.loadAll();
    try (Lease lease = repository.acquire("m", null)) {
      assertEquals(Map.of(), lease.version().gpuMemoryBytes());
    }
    assertEquals(0, reads.get());
  }

  @Test
  void aGpuPlacementThatFellBackToTheCpuRecordsNoDeviceMemory() throws Exception {
    config("""
        instance_group:
          - kind: KIND_GPU
            gpus: [1]
        """);
    ModelRepository repository = open(ort, growingOnGpu1(300, new AtomicInteger()));
    repository.loadAll();
    try (Lease lease = repository.acquire("m", null)) {
      assertEquals("cpu", lease.version().device());
      assertEquals(Map.of(), lease.version().gpuMemoryBytes());
    }
  }

  @BeforeEach
  void model() throws IOException {
    AddOneModel.writeTo(root.resolve("m/1/model.onnx"));
  }

  @AfterEach
  void close() {
    opened.forEach(ModelRepository::close);
  }

  private ModelRepository open(Backend backend) throws IOException {
    ModelRepository repository = ModelRepository.open(root, new RepositoryOptions(4, SchedulerOptions.DEFAULT)
        .withControlMode(ModelControlMode.EXPLICIT, RepositoryOptions.DEFAULT_POLL_INTERVAL, Set.of("m")), backend);
    opened.add(repository);
    return repository;
  }

  private void config(String yaml) throws IOException {
    Files.writeString(root.resolve("m/config.yaml"), yaml);
  }

  private static float infer(ModelRepository repository) {
    try (Lease lease = repository.acquire("m", null)) {
      return lease.version().infer(InferenceRequest.of("r", Map.of("INPUT0",
          Tensor.ofFloats(new long[] {1, 4}, 1, 2, 3, 4)))).result().toCompletableFuture().join()
          .outputs().get("OUTPUT0").toFloatArray()[0];
    }
  }

  private static String loadFailure(ModelRepository repository) {
    CompletionException e = assertThrows(CompletionException.class,
        () -> repository.requestLoad("m", null).toCompletableFuture().join());
    assertInstanceOf(InferenceException.InvalidInput.class, e.getCause());
    return e.getCause().getMessage();
  }

  @Test
  void gpuGroupPlacesCountInstancesOnEachGpuWithTheTensorRtAcceleratorsOptions() throws Exception {
    config("""
        instance_group:
          - kind: KIND_GPU
            count: 2
            gpus: [0, 1]
        optimization:
          execution_accelerators:
            gpu_execution_accelerator:
              - name: tensorrt
                parameters:
                  precision_mode: FP16
                  max_workspace_size_bytes: "1073741824"
                  trt_engine_cache_enable: "true"
                  trt_engine_cache_path: /tmp/neutrino-trt-cache
        parameters:
          cudnn_conv_algo_search: "1"
        """);
    Recording backend = new Recording(ort, OnnxRuntimeBackend.PLATFORM, "model.onnx");
    ModelRepository repository = open(backend);
    repository.loadAll();
    List<LoadOptions> loads = new ArrayList<>(backend.loads);
    // the first load reads the model's declaration on the CPU; then one load per instance
    assertEquals(Device.CPU, loads.get(0).device());
    List<LoadOptions> instances = loads.subList(1, loads.size());
    // Instances load in parallel, so their order is not the placement's: count them by GPU.
    assertEquals(List.of(0, 0, 1, 1), instances.stream().map(LoadOptions::deviceId).sorted().toList());
    for (LoadOptions options : instances) {
      assertEquals(Device.TENSORRT, options.device());
      assertEquals(Map.of("trt_fp16_enable", "1", "trt_max_workspace_size", "1073741824",
          "trt_engine_cache_enable", "1", "trt_engine_cache_path", "/tmp/neutrino-trt-cache"),
          options.gpu().tensorrtOptions());
      assertEquals(Map.of("cudnn_conv_algo_search", "HEURISTIC"), options.gpu().cudaOptions());
    }
    assertEquals(4, repository.find("m", null).config().instanceCount());
    assertEquals(2f, infer(repository), "instances that fell back to the CPU still serve");
  }

  @Test
  void strictGpuPlacementFailsTheLoadWhenCudaCannotStart() throws Exception {
    config("instance_group:\n  - kind: KIND_GPU\nparameters:\n  strict_device: \"true\"\n");
    try (LoadedModel probe = ort.load(root.resolve("m/1/model.onnx"), new LoadOptions(Device.CUDA, 0, 1, false))) {
      assumeTrue(probe.device().equals("cpu"), "CUDA is usable here");
    }
    ModelRepository repository = open(ort);
    String message = loadFailure(repository);
    assertTrue(message.contains("CUDA execution provider is not available on GPU 0"), message);
  }

  @Test
  void unknownAcceleratorParameterFailsTheLoadNamingIt() throws Exception {
    config("""
        optimization:
          execution_accelerators:
            gpu_execution_accelerator:
              - name: tensorrt
                parameters: {trt_made_up: "1"}
        """);
    String message = loadFailure(open(ort));
    assertTrue(message.contains("tensorrt accelerator parameter 'trt_made_up' is not supported"), message);
  }

  @Test
  void optimizationFieldsNotSupportedAreRefusedByName() throws Exception {
    config("optimization:\n  input_pinned_memory: {enable: true}\n");
    String message = loadFailure(open(ort));
    assertTrue(message.contains("input_pinned_memory"), message);
  }

  @Test
  void cudaGraphsAreRefusedSayingWhy() throws Exception {
    config("optimization:\n  cuda: {graphs: true}\n");
    String message = loadFailure(open(ort));
    assertTrue(message.contains("optimization.cuda.graphs is not supported"), message);
  }

  @Test
  void aModelNamingAnotherPlatformGoesToItsBackendAndFile() throws Exception {
    Files.write(root.resolve("m/1/model.plan"), new byte[] {0});
    config("platform: tensorrt_plan\nmax_batch_size: 4\n");
    Recording engines = new Recording(ort, "tensorrt_plan", "model.plan");
    Recording onnx = new Recording(ort, OnnxRuntimeBackend.PLATFORM, "model.onnx");
    ModelRepository repository = open(Backends.of(onnx, engines));
    repository.loadAll();
    assertEquals(Set.of(Path.of("model.plan")), Set.copyOf(engines.files));
    assertTrue(onnx.loads.isEmpty());
    assertEquals("tensorrt_plan", repository.find("m", null).config().platform());
    assertEquals(2f, infer(repository));
  }
}
