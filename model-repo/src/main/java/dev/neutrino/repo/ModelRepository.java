package dev.neutrino.repo;

import dev.neutrino.batching.DirectScheduler;
import dev.neutrino.batching.DynamicBatcher;
import dev.neutrino.batching.Scheduler;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.Device;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The models on disk, in Triton's layout ({@code <root>/<model>/<version>/model.onnx}, with an
 * optional {@code <root>/<model>/config.yaml}), and the versions of them that are loaded.
 *
 * <p>Lookups ({@link #acquire}, {@link #find}, {@link #index}) never block and may run on an event
 * loop. Loading blocks and must run on a worker thread. A model that fails to load is recorded as
 * UNAVAILABLE with its reason and does not stop the others.
 */
public final class ModelRepository implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ModelRepository.class.getName());

  /** Names a model may have: they become folder names, so nothing that can climb out of the root. */
  private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,17}");

  private final Path root;
  private final RepositoryOptions options;
  private final Backend backend;
  private final Map<String, ModelEntry> models = new ConcurrentHashMap<>();

  private ModelRepository(Path root, RepositoryOptions options, Backend backend) {
    this.root = root;
    this.options = options;
    this.backend = backend;
  }

  /**
   * Opens the repository at {@code root}; loads nothing yet.
   *
   * @throws IOException when the root is not a readable directory
   */
  public static ModelRepository open(Path root, RepositoryOptions options, Backend backend) throws IOException {
    Path real = root.toRealPath();
    if (!Files.isDirectory(real)) {
      throw new IOException("model repository " + root + " is not a directory");
    }
    return new ModelRepository(real, options, backend);
  }

  /** Whether {@code name} is acceptable as a model name. */
  public static boolean isValidModelName(String name) {
    return name != null && MODEL_NAME.matcher(name).matches() && !name.contains("..");
  }

  /** Loads the newest version of every model in the repository. Blocks; call from a worker thread. */
  public void loadAll() {
    List<String> names = new ArrayList<>();
    try (Stream<Path> children = Files.list(root)) {
      children.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().forEach(names::add);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.ERROR, "cannot list the model repository: " + e.getMessage());
      return;
    }
    for (String name : names) {
      if (!isValidModelName(name)) {
        LOG.log(System.Logger.Level.WARNING, "skipping folder with an invalid model name: " + name);
        continue;
      }
      load(name);
    }
  }

  /**
   * Loads the newest version of one model, replacing the version that served before only once the
   * new one is ready. Blocks.
   *
   * @return the model's status afterwards
   */
  public ModelStatus load(String name) {
    ModelEntry entry = models.computeIfAbsent(name, ModelEntry::new);
    synchronized (entry) {
      entry.loading = true;
      try {
        ModelVersion loaded = loadNewest(name);
        ModelVersion previous = entry.current;
        entry.current = loaded;
        entry.failure = null;
        if (previous != null) {
          previous.retire();
        }
        LOG.log(System.Logger.Level.INFO, "loaded model " + name + " version " + loaded.version()
            + " on " + loaded.device());
      } catch (ModelLoadFailure e) {
        entry.failure = new ModelStatus(name, e.version, ModelState.UNAVAILABLE, e.getMessage());
        LOG.log(System.Logger.Level.WARNING, "model " + name + " failed to load: " + e.getMessage());
      } finally {
        entry.loading = false;
      }
      return entry.status();
    }
  }

  /**
   * Leases the named version (or the newest ready one when {@code version} is null or empty).
   *
   * @throws InferenceException.NotFound when the model or version does not exist
   * @throws InferenceException.NotReady when it exists but cannot serve now
   */
  public Lease acquire(String name, String version) {
    for (int attempt = 0; attempt < 3; attempt++) {
      Lease lease = find(name, version).tryLease();
      if (lease != null) {
        return lease;
      }
      // The version was retired between lookup and lease: a newer one has replaced it; look again.
    }
    throw new InferenceException.NotReady("model '" + name + "' is being reloaded; retry");
  }

  /**
   * Finds the named version without leasing it, for metadata and configuration answers.
   *
   * @throws InferenceException.NotFound when the model or version does not exist
   * @throws InferenceException.NotReady when it exists but cannot serve now
   */
  public ModelVersion find(String name, String version) {
    ModelEntry entry = name == null ? null : models.get(name);
    if (entry == null) {
      throw new InferenceException.NotFound("unknown model '" + name + "'");
    }
    ModelVersion current = entry.current;
    if (version != null && !version.isEmpty()) {
      if (!VERSION.matcher(version).matches()) {
        throw new InferenceException.NotFound("model '" + name + "' has no version '" + version + "'");
      }
      if (current == null || current.version() != Long.parseLong(version)) {
        ModelStatus failure = entry.failure;
        if (failure != null && failure.version().equals(version)) {
          throw new InferenceException.NotReady(
              "model '" + name + "' version " + version + " is UNAVAILABLE: " + failure.reason());
        }
        throw new InferenceException.NotFound("model '" + name + "' has no version '" + version + "'");
      }
    }
    if (current == null) {
      ModelStatus status = entry.status();
      throw new InferenceException.NotReady("model '" + name + "' is " + status.state()
          + (status.reason().isEmpty() ? "" : ": " + status.reason()));
    }
    return current;
  }

  /** The versions ready to serve for {@code name}, newest first; empty when the model is unknown. */
  public List<String> readyVersions(String name) {
    ModelEntry entry = name == null ? null : models.get(name);
    ModelVersion current = entry == null ? null : entry.current;
    return current == null ? List.of() : List.of(current.versionString());
  }

  /** Every model the repository knows, with the state of its version. */
  public List<ModelStatus> index() {
    List<ModelStatus> rows = new ArrayList<>();
    models.values().stream().sorted(Comparator.comparing(e -> e.name)).forEach(e -> rows.add(e.status()));
    return rows;
  }

  /** Whether every model the repository knows is ready. */
  public boolean allReady() {
    return models.values().stream().allMatch(e -> e.status().state() == ModelState.READY);
  }

  /** Fails queued requests and releases every model's native resources. */
  @Override
  public void close() {
    for (ModelEntry entry : models.values()) {
      ModelVersion current = entry.current;
      entry.current = null;
      if (current != null) {
        current.closeNow();
      }
    }
  }

  private ModelVersion loadNewest(String name) throws ModelLoadFailure {
    Path modelDir = insideRoot(root.resolve(name), name);
    Optional<Long> newest;
    try (Stream<Path> children = Files.list(modelDir)) {
      newest = children
          .filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(v -> VERSION.matcher(v).matches())
          .map(Long::parseLong)
          .max(Long::compare);
    } catch (IOException e) {
      throw new ModelLoadFailure("", "cannot list the model's folder");
    }
    if (newest.isEmpty()) {
      throw new ModelLoadFailure("", "no version folder (1, 2, ...) found");
    }
    long version = newest.get();
    String versionName = Long.toString(version);
    ModelConfigParser.Raw raw;
    try {
      Path configFile = modelDir.resolve("config.yaml");
      raw = Files.exists(configFile)
          ? ModelConfigParser.parse(Files.readString(insideRoot(configFile, name), StandardCharsets.UTF_8))
          : ModelConfigParser.Raw.EMPTY;
    } catch (IOException e) {
      throw new ModelLoadFailure(versionName, "cannot read config.yaml");
    } catch (IllegalArgumentException e) {
      throw new ModelLoadFailure(versionName, "config.yaml: " + e.getMessage());
    }
    String fileName = raw.defaultModelFilename() != null ? raw.defaultModelFilename() : backend.defaultModelFileName();
    if (fileName.contains("/") || fileName.contains("\\") || fileName.equals("..")) {
      throw new ModelLoadFailure(versionName, "default_model_filename must be a plain file name");
    }
    Path modelFile;
    try {
      modelFile = insideRoot(modelDir.resolve(versionName).resolve(fileName), name);
    } catch (ModelLoadFailure e) {
      throw new ModelLoadFailure(versionName, e.getMessage());
    }
    List<LoadedModel> instances = new ArrayList<>();
    try {
      // Read the model's own declaration from a first instance, then complete the configuration.
      ModelConfig probeConfig = null;
      int total = raw.instanceGroup() == null ? 1
          : raw.instanceGroup().stream().mapToInt(g -> g.count() == null ? 1 : g.count()).sum();
      List<LoadOptions> plan = null;
      while (plan == null || instances.size() < plan.size()) {
        if (plan == null) {
          LoadedModel first = backend.load(modelFile, LoadOptions.cpu(threadsPerInstance(raw, Math.max(1, total))));
          instances.add(first);
          probeConfig = ModelConfigParser.complete(name, raw, backend.platform(), backend.name(),
              backend.defaultModelFileName(), first.inputs(), first.outputs());
          plan = loadPlan(probeConfig);
          if (plan.get(0).device() != Device.CPU) {
            // The first instance was only a probe: load it again on its configured device.
            first.close();
            instances.clear();
          }
        } else {
          instances.add(backend.load(modelFile, plan.get(instances.size())));
        }
      }
      String label = name + "-" + versionName;
      Scheduler scheduler = probeConfig.dynamicallyBatched()
          ? DynamicBatcher.create(label, instances, probeConfig.maxBatchSize(), probeConfig.dynamicBatching())
          : DirectScheduler.create(label, instances, options.schedulerOptions());
      return new ModelVersion(probeConfig, version, instances, scheduler);
    } catch (ModelLoadException e) {
      instances.forEach(LoadedModel::close);
      throw new ModelLoadFailure(versionName, e.getMessage());
    } catch (IllegalArgumentException e) {
      instances.forEach(LoadedModel::close);
      throw new ModelLoadFailure(versionName, "config.yaml: " + e.getMessage());
    }
  }

  private int threadsPerInstance(ModelConfigParser.Raw raw, int instanceCount) {
    String configured = raw.parameters() == null ? null : raw.parameters().get("intra_op_thread_count");
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

  private List<LoadOptions> loadPlan(ModelConfig config) {
    int threads = threadsPerInstance(
        new ModelConfigParser.Raw(null, null, null, null, null, null, null, null, config.parameters()),
        config.instanceCount());
    boolean strict = Boolean.parseBoolean(config.parameters().getOrDefault("strict_device", "false"));
    List<LoadOptions> plan = new ArrayList<>();
    for (InstanceGroup group : config.instanceGroups()) {
      for (int i = 0; i < group.count(); i++) {
        switch (group.kind()) {
          case KIND_CPU -> plan.add(new LoadOptions(Device.CPU, 0, threads, false));
          case KIND_AUTO -> plan.add(new LoadOptions(Device.CUDA, 0, threads, false));
          case KIND_GPU -> {
            int gpu = group.gpus().isEmpty() ? 0 : group.gpus().get(i % group.gpus().size());
            plan.add(new LoadOptions(Device.CUDA, gpu, threads, strict));
          }
        }
      }
    }
    return plan;
  }

  /** Resolves symlinks and requires the result to stay inside the repository root. */
  private Path insideRoot(Path path, String model) throws ModelLoadFailure {
    Path real;
    try {
      real = path.toRealPath();
    } catch (NoSuchFileException e) {
      throw new ModelLoadFailure("", "file '" + root.relativize(path.normalize()).toString().replace(model + "/", "")
          + "' not found");
    } catch (IOException e) {
      throw new ModelLoadFailure("", "cannot read the model's files");
    }
    if (!real.startsWith(root)) {
      throw new ModelLoadFailure("", "a path of model '" + model + "' points outside the repository");
    }
    return real;
  }

  /** What the repository knows of one model name. Guarded by its own monitor for loads. */
  private static final class ModelEntry {
    final String name;
    volatile ModelVersion current;
    volatile ModelStatus failure;
    volatile boolean loading;

    ModelEntry(String name) {
      this.name = name;
    }

    ModelStatus status() {
      ModelVersion version = current;
      if (version != null) {
        return new ModelStatus(name, version.versionString(), version.state(), "");
      }
      if (loading) {
        return new ModelStatus(name, "", ModelState.LOADING, "");
      }
      ModelStatus failed = failure;
      return failed != null ? failed : new ModelStatus(name, "", ModelState.UNAVAILABLE, "not loaded");
    }
  }

  private static final class ModelLoadFailure extends Exception {
    private static final long serialVersionUID = 1L;
    final String version;

    ModelLoadFailure(String version, String message) {
      super(message, null, false, false);
      this.version = version;
    }
  }
}
