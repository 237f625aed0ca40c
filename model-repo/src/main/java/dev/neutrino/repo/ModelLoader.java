package dev.neutrino.repo;

import dev.neutrino.batching.DirectScheduler;
import dev.neutrino.batching.DynamicBatcher;
import dev.neutrino.batching.Scheduler;
import dev.neutrino.batching.Ticker;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.DeviceMemory;
import dev.neutrino.runtime.Device;
import dev.neutrino.runtime.GraphCacheResult;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Turns a model folder into loaded versions: reads {@code config.pbtxt} or {@code config.yaml} (or a
 * configuration given with
 * with the load request), picks the versions the version policy serves, loads each version's instances,
 * completes the configuration from the model file, creates its scheduler and warms it up. Blocking;
 * runs on the repository's loader threads (see {@link ModelLifecycle}), never on an event loop; a
 * configuration is checked against the {@link LoadLimits} before anything is created for it. Every
 * path is resolved and required to stay inside the repository root; failure messages name no path.
 */
final class ModelLoader {
  private static final System.Logger LOG = System.getLogger(ModelLoader.class.getName());
  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,17}");
  /** The parameter choosing how CPU instances use the cores: {@value #LAYOUT_FIXED} (default) or {@value #LAYOUT_ADAPTIVE}. */
  static final String INSTANCE_LAYOUT = "instance_layout";
  /** Each instance runs every batch with its share of the cores. */
  static final String LAYOUT_FIXED = "fixed";
  /** Each instance also has a session over all the cores, for the batches it runs alone. */
  static final String LAYOUT_ADAPTIVE = "adaptive";

  private final RepositoryFolder folder;
  private final RepositoryOptions options;
  private final Backend backend;
  private final ResponseCache cache;
  private final Ensembles ensembles;
  private final DeviceMemory deviceMemory;

  /**
   * @param cache the shared response cache, or null when it is off
   * @param ensembles loads the models whose platform is {@code ensemble}
   */
  ModelLoader(RepositoryFolder folder, RepositoryOptions options, Backend backend, ResponseCache cache,
      Ensembles ensembles, DeviceMemory deviceMemory) {
    this.folder = folder;
    this.deviceMemory = deviceMemory;
    this.options = options;
    this.backend = backend;
    this.cache = cache;
    this.ensembles = ensembles;
  }

  /**
   * What to load for one model: its folder, its configuration as written, where that came from (for
   * messages: {@code config.pbtxt}, {@code config.yaml} or {@code configuration} for one given with the
   * load request or none at all), and the versions chosen.
   */
  record Plan(Path modelDir, ModelConfigParser.Raw raw, String source, List<Long> versions) {}

  /** Triton's configuration file, in protobuf's text format. */
  static final String PBTXT = "config.pbtxt";
  /** Neutrino's configuration file: the same fields in YAML. */
  static final String YAML = "config.yaml";

  /** A failure to load, with the version it concerns ("" for the whole model). The message names no path. */
  static final class LoadFailure extends Exception {
    private static final long serialVersionUID = 1L;
    final String version;

    LoadFailure(String version, String message) {
      super(message, null, false, false);
      this.version = version;
    }
  }

  /** The folder of {@code name}, resolved inside its root; a name in two roots fails naming both. */
  Path modelDir(String name) throws LoadFailure {
    String duplicate = folder.duplicate(name);
    if (duplicate != null) {
      throw new LoadFailure("", duplicate);
    }
    return insideRoot(folder.rootOf(name).resolve(name), name);
  }

  /**
   * Reads the configuration and picks the versions to serve. {@code configOverride}, when given,
   * replaces the files: Triton's JSON form, or Neutrino's YAML (of which plain JSON is a part). Otherwise
   * {@code config.pbtxt} or {@code config.yaml} is read; both in one folder is an error.
   */
  Plan plan(String name, String configOverride) throws LoadFailure {
    Path modelDir = modelDir(name);
    ModelConfigParser.Raw raw;
    String source = "configuration";
    try {
      if (configOverride != null) {
        raw = parseOverride(configOverride);
      } else {
        boolean pbtxt = Files.exists(modelDir.resolve(PBTXT));
        boolean yaml = Files.exists(modelDir.resolve(YAML));
        if (pbtxt && yaml) {
          throw new LoadFailure("", "both config.pbtxt and config.yaml are present; keep one of them");
        }
        if (pbtxt || yaml) {
          source = pbtxt ? PBTXT : YAML;
          String text = Files.readString(insideRoot(modelDir.resolve(source), name), StandardCharsets.UTF_8);
          raw = pbtxt ? TritonConfigFormat.parseText(text) : ModelConfigParser.parse(text);
        } else {
          raw = ModelConfigParser.Raw.EMPTY;
        }
      }
      LoadBounds.check(raw, options.limits());
    } catch (IOException e) {
      throw new LoadFailure("", "cannot read " + source);
    } catch (IllegalArgumentException e) {
      throw new LoadFailure("", source + ": " + e.getMessage());
    }
    List<Long> onDisk = new ArrayList<>();
    try (Stream<Path> children = Files.list(modelDir)) {
      children.filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(v -> VERSION.matcher(v).matches())
          .forEach(v -> onDisk.add(Long.parseLong(v)));
    } catch (IOException e) {
      throw new LoadFailure("", "cannot list the model's folder");
    }
    List<Long> chosen;
    try {
      chosen = ModelConfigParser.versionPolicy(raw.versionPolicy()).select(onDisk);
    } catch (IllegalArgumentException e) {
      throw new LoadFailure("", source + ": " + e.getMessage());
    }
    if (chosen.isEmpty()) {
      throw new LoadFailure("", onDisk.isEmpty() ? "no version folder (1, 2, ...) found"
          : "the version policy selects none of the versions present " + onDisk);
    }
    return new Plan(modelDir, raw, source, chosen);
  }

  /**
   * A configuration given with a load request. JSON is read as Triton's JSON form first (the form
   * Triton's repository API takes and {@code /config} answers), so a field Neutrino does not support
   * is refused by name; JSON that is not Triton's form (plain scalars as parameter values, Neutrino's
   * own keys) and YAML are read as {@code config.yaml} is.
   */
  private static ModelConfigParser.Raw parseOverride(String text) {
    if (text.strip().startsWith("{")) {
      dev.neutrino.gateway.grpc.proto.ModelConfig message;
      try {
        message = TritonConfigFormat.readJson(text);
      } catch (IllegalArgumentException notTritons) {
        return ModelConfigParser.parse(text);
      }
      return TritonConfigFormat.toRaw(message);
    }
    return ModelConfigParser.parse(text);
  }

  /**
   * The models the steps of ensemble {@code name} run, as its configuration names them; null when it
   * is not an ensemble or its configuration cannot be read (its load will say why).
   */
  List<String> ensembleSteps(String name) {
    ModelConfigParser.Raw raw;
    try {
      raw = plan(name, null).raw();
    } catch (LoadFailure e) {
      return null;
    }
    if (!Ensembles.isEnsemble(raw)) {
      return null;
    }
    List<String> steps = new ArrayList<>();
    if (raw.ensembleScheduling() != null && raw.ensembleScheduling().step() != null) {
      raw.ensembleScheduling().step().forEach(step -> {
        if (step != null && step.modelName() != null) {
          steps.add(step.modelName());
        }
      });
    }
    return steps;
  }

  /**
   * A loaded version, what it weighs, and what the backend's optimized-graph cache did for each of
   * its instances (empty for an ensemble).
   */
  record Loaded(ModelVersion version, long footprintBytes, List<GraphCacheResult> graphCacheResults) {}

  /** Loads, completes, schedules and warms up one version. */
  Loaded load(String name, long version, Plan plan) throws LoadFailure {
    String versionName = Long.toString(version);
    ModelConfigParser.Raw raw = plan.raw();
    if (Ensembles.isEnsemble(raw)) {
      try {
        return new Loaded(ensembles.load(name, version, raw), 0, List.of());
      } catch (IllegalArgumentException e) {
        throw new LoadFailure(versionName, plan.source() + ": " + e.getMessage());
      }
    }
    if (raw.ensembleScheduling() != null) {
      throw new LoadFailure(versionName, plan.source() + ": ensemble_scheduling needs platform 'ensemble'");
    }
    try {
      IdleUnloader.validate(raw.parameters());
    } catch (IllegalArgumentException e) {
      throw new LoadFailure(versionName, plan.source() + ": " + e.getMessage());
    }
    Backend backend = this.backend.forModel(raw.platform(), raw.backend());
    String fileName = raw.defaultModelFilename() != null ? raw.defaultModelFilename() : backend.defaultModelFileName();
    if (fileName.contains("/") || fileName.contains("\\") || fileName.startsWith(".")) {
      throw new LoadFailure(versionName, "default_model_filename must be a plain file name");
    }
    Path modelFile;
    try {
      modelFile = insideRoot(plan.modelDir().resolve(versionName).resolve(fileName), name);
    } catch (LoadFailure e) {
      throw new LoadFailure(versionName, e.getMessage());
    }
    List<LoadedModel> instances = new ArrayList<>();
    long started = System.nanoTime();
    try {
      int total = raw.instanceGroup() == null ? 1
          : raw.instanceGroup().stream().mapToInt(g -> g.count() == null ? 1 : g.count()).sum();
      // The first instance loads on the CPU to read the model's declaration; the configuration is
      // completed from it, then the remaining instances load where the configuration says.
      int threads = threadsPerInstance(raw.parameters(), Math.max(1, total));
      int wideThreads = wideThreads(raw.parameters());
      LoadedModel first = backend.load(modelFile,
          LoadOptions.cpu(threads).withWideIntraOpThreads(wideThreads).withComputeNice(options.computeNice()));
      instances.add(first);
      ModelConfig config = ModelConfigParser.complete(name, raw, backend.platform(), backend.name(),
          backend.defaultModelFileName(), first.inputs(), first.outputs(), options.completion());
      List<LoadOptions> placements = placements(config);
      if (placements.get(0).device() != Device.CPU) {
        first.close();
        instances.clear();
      }
      boolean onGpu = placements.stream().anyMatch(p -> p.device() != Device.CPU);
      Map<Integer, Long> memoryBefore = onGpu ? deviceMemory.usedBytes() : Map.of();
      loadInstances(backend, modelFile, placements.subList(instances.size(), placements.size()), instances);
      long loaded = System.nanoTime();
      // Measured across this version's GPU loads only; a load running beside it on the same GPU adds to it.
      Set<Integer> gpus = instances.stream().map(i -> DeviceMemory.gpuIndex(i.device())).filter(i -> i >= 0)
          .collect(Collectors.toSet());
      Map<Integer, Long> gpuMemory = onGpu ? DeviceMemory.growth(memoryBefore, deviceMemory.usedBytes(), gpus) : Map.of();
      config = effectiveMaxBatchSize(config, instances);
      List<WarmupSample> warmup = warmupSamples(config);
      LoadBounds.checkWarmup(config, warmup, options.limits());
      warmUp(config, warmup, instances);
      LoadTimes times = new LoadTimes(loaded - started, System.nanoTime() - loaded);
      LOG.log(Level.INFO, "{0} version {1}: {2} instance(s) ({5}) loaded in {3} ms, warmed up in {4} ms",
          name, versionName, instances.size(), times.createNanos() / 1_000_000, times.warmupNanos() / 1_000_000,
          layoutDescription(instances, threads, wideThreads));
      String label = name + "-" + versionName;
      Scheduler scheduler = config.dynamicallyBatched()
          ? DynamicBatcher.create(label, instances, config.maxBatchSize(), config.dynamicBatching(),
              Ticker.system(), options.computeNice())
          : DirectScheduler.create(label, instances, options.schedulerOptions(), Ticker.system(),
              options.computeNice());
      // Weights dominate a model's memory: its files once per session, two for an adaptive instance.
      // (The process's RSS growth during the load was tried and is too noisy: the runtime's first
      // session, arenas and the GC.)
      long sessions = instances.stream().mapToLong(i -> i.hasWideSession() ? 2 : 1).sum();
      long footprint = fileBytes(plan.modelDir().resolve(versionName)) * sessions;
      return new Loaded(new ModelVersion(config, version, instances, scheduler, cache, footprint, gpuMemory, times),
          footprint, instances.stream().map(LoadedModel::graphCacheResult).toList());
    } catch (ModelLoadException e) {
      instances.forEach(LoadedModel::close);
      throw new LoadFailure(versionName, e.getMessage());
    } catch (IllegalArgumentException e) {
      instances.forEach(LoadedModel::close);
      throw new LoadFailure(versionName, plan.source() + ": " + e.getMessage());
    } catch (InferenceException e) {
      instances.forEach(LoadedModel::close);
      throw new LoadFailure(versionName, "warm-up failed: " + e.getMessage());
    }
  }

  /**
   * Loads one instance per placement into {@code instances}, in placement order. Two or more load at
   * once, on threads of their own (one per instance, at most as many as there are cores but at least
   * two): a model's cold start is then about one session's creation, not the sum of all of them. When any load fails,
   * the others are still awaited and every instance loaded here is closed before the first failure is
   * thrown; {@code instances} keeps only what it held before.
   */
  private static void loadInstances(Backend backend, Path modelFile, List<LoadOptions> placements,
      List<LoadedModel> instances) throws ModelLoadException {
    List<Callable<LoadedModel>> loads = new ArrayList<>();
    for (LoadOptions placement : placements) {
      loads.add(() -> backend.load(modelFile, placement));
    }
    if (loads.isEmpty()) {
      return;
    }
    Outcome<LoadedModel> outcome = eachOnItsOwnThread("neutrino-instance-load-", loads);
    Throwable failure = outcome.failure();
    if (failure != null) {
      outcome.results().stream().filter(Objects::nonNull).forEach(LoadedModel::close);
      if (failure instanceof ModelLoadException e) {
        throw e;
      }
      if (failure instanceof RuntimeException e) {
        throw e;
      }
      throw new ModelLoadException("loading an instance failed: " + failure, failure);
    }
    instances.addAll(outcome.results());
  }

  /**
   * {@code config} with the {@code max_batch_size} its instances can run: under
   * {@code engine_oversized_batch: refuse}, no more than the smallest engine profile maximum.
   */
  private static ModelConfig effectiveMaxBatchSize(ModelConfig config, List<LoadedModel> instances) {
    long engineMax = instances.stream().mapToLong(LoadedModel::maxBatchRows).filter(rows -> rows > 0).min().orElse(0);
    int effective = config.oversizedBatch().effectiveMaxBatchSize(config.maxBatchSize(), engineMax);
    return effective == config.maxBatchSize() ? config : config.withMaxBatchSize(effective);
  }

  /**
   * Triton's {@code model_warmup} samples, or by default one zero-filled request per preferred batch
   * size (one row when there is none).
   */
  private static List<WarmupSample> warmupSamples(ModelConfig config) {
    List<WarmupSample> samples = new ArrayList<>(config.warmup());
    if (samples.isEmpty()) {
      List<Integer> sizes = config.dynamicallyBatched() && !config.dynamicBatching().preferredBatchSizes().isEmpty()
          ? config.dynamicBatching().preferredBatchSizes() : List.of(1);
      for (int size : sizes) {
        samples.add(new WarmupSample("default_" + size, size, 1, Map.of()));
      }
    }
    return samples;
  }

  /**
   * Runs the warm-up samples on every instance (and its wide session) before the version takes
   * traffic: each instance runs every sample, in order, {@code count} times. Instances are independent
   * sessions, so two or more warm up at once, each on a thread of its own (as they are created): a
   * model's warm-up then takes about one instance's, not the sum of all of them. Every instance's
   * warm-up is awaited; the first failure is then thrown.
   */
  private static void warmUp(ModelConfig config, List<WarmupSample> samples, List<LoadedModel> instances) {
    Set<String> outputs = new LinkedHashSet<>();
    config.outputs().forEach(o -> outputs.add(o.name()));
    SplittableRandom random = new SplittableRandom(42);
    List<Map<String, Tensor>> sampleInputs = new ArrayList<>();
    for (WarmupSample sample : samples) {
      Map<String, Tensor> inputs = new LinkedHashMap<>();
      for (TensorConfig input : config.inputs()) {
        WarmupSample.Input given = sample.inputs().get(input.name());
        long[] dims = given != null ? given.dims() : input.dims();
        inputs.put(input.name(), syntheticTensor(input.dataType(), config.batched(),
            LoadBounds.warmupRows(config, sample), dims, given != null && given.randomData(),
            random));
      }
      sampleInputs.add(inputs); // shared by the instances: a Tensor hands out read-only views
    }
    List<Callable<Void>> warmUps = new ArrayList<>();
    for (LoadedModel instance : instances) {
      warmUps.add(() -> {
        for (int s = 0; s < samples.size(); s++) {
          for (int i = 0; i < samples.get(s).count(); i++) {
            instance.run(sampleInputs.get(s), outputs);
            if (instance.hasWideSession()) {
              instance.runWide(sampleInputs.get(s), outputs);
            }
          }
        }
        return null;
      });
    }
    Throwable failure = eachOnItsOwnThread("neutrino-instance-warmup-", warmUps).failure();
    if (failure instanceof RuntimeException e) {
      throw e;
    }
    if (failure != null) {
      throw new InferenceException.BackendFailure("warming up an instance failed: " + failure, failure);
    }
  }

  /** What {@link #eachOnItsOwnThread} gives back: the tasks' results in order (null where one failed), and the first failure. */
  private record Outcome<T>(List<T> results, Throwable failure) {}

  /**
   * Runs {@code tasks} at once, one thread each (at most as many as there are cores, but at least two),
   * or on the caller's thread when there is only one, and waits for all of them, even when interrupted
   * (the native work they do cannot be abandoned; the interrupt is kept).
   */
  private static <T> Outcome<T> eachOnItsOwnThread(String threadPrefix, List<Callable<T>> tasks) {
    List<T> results = new ArrayList<>();
    if (tasks.size() == 1) {
      try {
        results.add(tasks.get(0).call());
        return new Outcome<>(results, null);
      } catch (Exception e) {
        results.add(null);
        return new Outcome<>(results, e);
      }
    }
    int threads = Math.min(tasks.size(), Math.max(2, Runtime.getRuntime().availableProcessors()));
    AtomicInteger created = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads, task -> {
      Thread thread = new Thread(task, threadPrefix + created.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    Throwable failure = null;
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> task : tasks) {
        futures.add(pool.submit(task));
      }
      boolean interrupted = false;
      for (Future<T> future : futures) {
        while (true) {
          try {
            results.add(future.get());
            break;
          } catch (InterruptedException e) {
            interrupted = true;
          } catch (ExecutionException e) {
            results.add(null);
            failure = failure == null ? e.getCause() : failure;
            break;
          }
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    } finally {
      pool.shutdown();
    }
    return new Outcome<>(results, failure);
  }

  private static Tensor syntheticTensor(DataType type, boolean batched, int rows, long[] dims, boolean randomData,
      SplittableRandom random) {
    long[] shape = new long[dims.length + (batched ? 1 : 0)];
    int offset = 0;
    if (batched) {
      shape[0] = rows;
      offset = 1;
    }
    for (int i = 0; i < dims.length; i++) {
      shape[i + offset] = dims[i] < 0 ? 1 : dims[i];
    }
    long count = dev.neutrino.runtime.Shapes.elementCount(shape);
    if (type == DataType.BYTES) {
      ByteBuffer data = Tensor.allocate(4 * count);
      data.position(data.limit()).flip();
      return Tensor.of(type, shape, data); // every element empty: a zero length each
    }
    ByteBuffer data = Tensor.allocate(count * type.elementSize());
    if (randomData && type != DataType.BOOL) {
      byte[] bytes = new byte[data.capacity()];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) random.nextInt(256);
      }
      if (type == DataType.FP32 || type == DataType.FP64 || type == DataType.FP16 || type == DataType.BF16) {
        // random bit patterns may be NaN; small random values are what a model expects
        data.clear();
        for (long i = 0; i < count; i++) {
          float value = (float) random.nextDouble(-1, 1);
          switch (type) {
            case FP32 -> data.putFloat(value);
            case FP64 -> data.putDouble(value);
            default -> data.putShort((short) 0); // half precision: zeros
          }
        }
      } else {
        data.put(bytes);
      }
      data.flip();
    }
    return Tensor.of(type, shape, data);
  }

  /** How the instances run, for the load's log line. */
  private static String layoutDescription(List<LoadedModel> instances, int threads, int wideThreads) {
    boolean adaptive = instances.stream().anyMatch(LoadedModel::hasWideSession);
    return adaptive
        ? "adaptive: " + threads + " intra-op thread(s) each, " + wideThreads + " for a batch that runs alone"
        : threads + " intra-op thread(s) each";
  }

  /**
   * The threads of each CPU instance's wide session: every core the models may use when
   * {@code parameters.instance_layout} is {@code adaptive}, else none ({@link LoadOptions#wideIntraOpThreads()}).
   */
  private int wideThreads(Map<String, String> parameters) {
    String layout = parameters == null ? null : parameters.get(INSTANCE_LAYOUT);
    if (layout == null || layout.trim().equals(LAYOUT_FIXED)) {
      return LoadOptions.NO_WIDE_SESSION;
    }
    if (layout.trim().equals(LAYOUT_ADAPTIVE)) {
      return options.cpuThreads();
    }
    throw new IllegalArgumentException("parameters." + INSTANCE_LAYOUT + " must be '" + LAYOUT_FIXED + "' or '"
        + LAYOUT_ADAPTIVE + "', got '" + layout + "'");
  }

  private int threadsPerInstance(Map<String, String> parameters, int instanceCount) {
    String configured = parameters == null ? null : parameters.get("intra_op_thread_count");
    if (configured != null) {
      try {
        int threads = Integer.parseInt(configured.trim());
        if (threads >= 1) {
          return threads;
        }
      } catch (NumberFormatException ignored) {
        // reported below
      }
      throw new IllegalArgumentException("parameters.intra_op_thread_count must be a positive integer, got '"
          + configured + "'");
    }
    return Math.max(1, options.cpuThreads() / instanceCount);
  }

  /**
   * Where each instance runs. KIND_GPU places {@code count} instances on each of its {@code gpus}
   * (GPU 0 when none), as Triton does; KIND_AUTO places them on GPU 0. Both ask for ORT's TensorRT
   * provider when the model has the TensorRT accelerator, else CUDA, and fall back to CPU unless
   * strict.
   */
  private List<LoadOptions> placements(ModelConfig config) {
    int threads = threadsPerInstance(config.parameters(), config.instanceCount());
    int wide = wideThreads(config.parameters());
    boolean strict = Boolean.parseBoolean(config.parameters().getOrDefault("strict_device", "false"));
    Device accelerated = config.gpu().tensorrt() ? Device.TENSORRT : Device.CUDA;
    List<LoadOptions> plan = new ArrayList<>();
    for (InstanceGroup group : config.instanceGroups()) {
      for (int i = 0; i < group.instances(); i++) {
        switch (group.kind()) {
          case KIND_CPU -> plan.add(new LoadOptions(Device.CPU, 0, threads, false).withWideIntraOpThreads(wide));
          case KIND_AUTO -> plan.add(new LoadOptions(accelerated, 0, threads, false, config.gpu()));
          case KIND_GPU -> {
            int gpu = group.gpus().isEmpty() ? 0 : group.gpus().get(i / group.count());
            plan.add(new LoadOptions(accelerated, gpu, threads, strict, config.gpu()));
          }
        }
      }
    }
    return plan.stream().map(placement -> placement.withComputeNice(options.computeNice())).toList();
  }

  /** Resolves symlinks and requires the result to stay inside the repository root. */
  Path insideRoot(Path path, String model) throws LoadFailure {
    Path root = folder.rootOf(model);
    Path real;
    try {
      real = path.toRealPath();
    } catch (NoSuchFileException e) {
      Path relative = root.relativize(path.normalize());
      String shown = relative.getNameCount() > 1 ? relative.subpath(1, relative.getNameCount()).toString() : model;
      throw new LoadFailure("", "'" + shown + "' not found");
    } catch (IOException e) {
      throw new LoadFailure("", "cannot read the model's files");
    }
    if (!real.startsWith(root)) {
      throw new LoadFailure("", "a path of model '" + model + "' points outside the repository");
    }
    return real;
  }

  private static long fileBytes(Path dir) {
    try (Stream<Path> files = Files.walk(dir, 2)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    } catch (IOException e) {
      return 0;
    }
  }
}
