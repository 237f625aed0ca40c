package dev.neutrino.repo;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.Shapes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Ensembles in the repository: turns an ensemble's configuration into a {@link ModelVersion} whose
 * scheduler is an {@link EnsembleScheduler}, after checking the steps against the models serving
 * now; and holds what every ensemble shares, the registry its steps lease from and who observes its
 * steps. Loading runs on a loader thread; {@link #observe} may be called from any thread.
 *
 * <p>An ensemble names its step models, so they must be serving when it loads (the repository loads
 * ensembles after the other models); a step model reloaded later is picked up by the next request.
 */
final class Ensembles {
  private final ModelRegistry registry;
  private final ResponseCache cache;
  private volatile StepObserver observer = StepObserver.NONE;

  /** @param cache the shared response cache, or null when it is off */
  Ensembles(ModelRegistry registry, ResponseCache cache) {
    this.registry = registry;
    this.cache = cache;
  }

  /** Whether a configuration as written declares an ensemble. */
  static boolean isEnsemble(ModelConfigParser.Raw raw) {
    return EnsembleConfig.PLATFORM.equals(raw.platform());
  }

  void observe(StepObserver stepObserver) {
    observer = stepObserver == null ? StepObserver.NONE : stepObserver;
  }

  StepObserver observer() {
    return observer;
  }

  /**
   * Loads one version of an ensemble: its configuration, checked against the step models serving now.
   *
   * @throws IllegalArgumentException naming the field at fault
   */
  ModelVersion load(String name, long version, ModelConfigParser.Raw raw) {
    ModelConfig config = config(name, raw);
    EnsembleGraph graph = EnsembleGraph.of(config, step -> stepConfig(name, step));
    EnsembleScheduler scheduler = new EnsembleScheduler(config, graph, registry, this::observer);
    return new ModelVersion(config, version, List.of(), scheduler, cache, 0);
  }

  /** The configuration of a step's model, from the version serving now. */
  private ModelConfig stepConfig(String ensemble, EnsembleConfig.Step step) {
    if (step.modelName().equals(ensemble)) {
      throw new IllegalArgumentException("model_name '" + ensemble + "' is the ensemble itself");
    }
    ModelConfig config;
    try {
      config = registry.find(step.modelName(), step.versionString()).config();
    } catch (InferenceException e) {
      throw new IllegalArgumentException("model_name '" + step.modelName() + "' is not serving: " + e.getMessage());
    }
    if (reaches(config, ensemble, 0)) {
      throw new IllegalArgumentException("model_name '" + step.modelName() + "' runs ensemble '" + ensemble
          + "' in turn (a cycle of ensembles)");
    }
    return config;
  }

  /** Whether {@code config}, an ensemble, runs {@code target} through its steps at any depth. */
  private boolean reaches(ModelConfig config, String target, int depth) {
    if (!config.isEnsemble() || depth > 16) {
      return depth > 16;
    }
    for (EnsembleConfig.Step step : config.ensemble().steps()) {
      if (step.modelName().equals(target)) {
        return true;
      }
      ModelEntry entry = registry.entry(step.modelName());
      if (entry != null && !entry.serving.isEmpty()
          && reaches(entry.serving.lastEntry().getValue().config(), target, depth + 1)) {
        return true;
      }
    }
    return false;
  }

  /**
   * An ensemble's configuration as written, completed: inputs and outputs must be declared in full
   * (an ensemble has no model file to complete them from), and what only a backend's model has
   * ({@code instance_group}, {@code dynamic_batching}, ...) is refused by name.
   *
   * @throws IllegalArgumentException naming the field at fault
   */
  static ModelConfig config(String name, ModelConfigParser.Raw raw) {
    if (raw.name() != null && !raw.name().equals(name)) {
      throw new IllegalArgumentException(
          "config name '" + raw.name() + "' does not match the model's folder '" + name + "'");
    }
    refuse("backend", raw.backend() != null && !raw.backend().isEmpty());
    refuse("instance_group", raw.instanceGroup() != null && !raw.instanceGroup().isEmpty());
    refuse("dynamic_batching", raw.dynamicBatching() != null);
    refuse("model_warmup", raw.modelWarmup() != null && !raw.modelWarmup().isEmpty());
    refuse("default_model_filename", raw.defaultModelFilename() != null);
    refuse("optimization", raw.optimization() != null);
    if (raw.ensembleScheduling() == null || raw.ensembleScheduling().step() == null) {
      throw new IllegalArgumentException("platform 'ensemble' needs ensemble_scheduling with its steps");
    }
    int maxBatchSize = raw.maxBatchSize() == null ? 0 : raw.maxBatchSize();
    List<TensorConfig> inputs = declared("input", raw.input());
    List<TensorConfig> outputs = declared("output", raw.output());
    List<EnsembleConfig.Step> steps = new ArrayList<>();
    List<ModelConfigParser.RawStep> rawSteps = raw.ensembleScheduling().step();
    for (int i = 0; i < rawSteps.size(); i++) {
      ModelConfigParser.RawStep step = rawSteps.get(i);
      String where = "ensemble_scheduling.step[" + i + "]";
      if (step == null || step.modelName() == null) {
        throw new IllegalArgumentException(where + ".model_name is missing");
      }
      try {
        steps.add(new EnsembleConfig.Step(step.modelName(),
            step.modelVersion() == null ? EnsembleConfig.LATEST_VERSION : step.modelVersion(),
            step.inputMap() == null ? Map.of() : step.inputMap(),
            step.outputMap() == null ? Map.of() : step.outputMap()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + "." + e.getMessage());
      }
    }
    return new ModelConfig(name, EnsembleConfig.PLATFORM, "", maxBatchSize, inputs, outputs, List.of(), "",
        raw.parameters() == null ? Map.of() : raw.parameters(), null, ModelConfigParser.versionPolicy(raw.versionPolicy()), List.of(),
        raw.responseCache() != null && Boolean.TRUE.equals(raw.responseCache().enable()),
        new EnsembleConfig(steps));
  }

  private static void refuse(String field, boolean given) {
    if (given) {
      throw new IllegalArgumentException(field + " is not supported for an ensemble (its steps' models have their own)");
    }
  }

  private static List<TensorConfig> declared(String what, List<ModelConfigParser.RawTensor> raw) {
    if (raw == null || raw.isEmpty()) {
      throw new IllegalArgumentException("an ensemble must declare its " + what + " (name, data_type, dims)");
    }
    List<TensorConfig> tensors = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>();
    for (int i = 0; i < raw.size(); i++) {
      ModelConfigParser.RawTensor tensor = raw.get(i);
      String where = what + "[" + i + "]";
      if (tensor.name() == null) {
        throw new IllegalArgumentException(where + ".name is missing");
      }
      where = what + " '" + tensor.name() + "'";
      if (!names.add(tensor.name())) {
        throw new IllegalArgumentException(where + " is declared twice");
      }
      if (tensor.dataType() == null) {
        throw new IllegalArgumentException(where + ": data_type is missing");
      }
      DataType type = DataType.fromName(tensor.dataType());
      if (type == null) {
        throw new IllegalArgumentException(where + ": unknown data_type '" + tensor.dataType() + "'");
      }
      if (tensor.dims() == null) {
        throw new IllegalArgumentException(where + ": dims is missing");
      }
      tensors.add(new TensorConfig(tensor.name(), type, tensor.dims().stream().mapToLong(Long::longValue).toArray()));
    }
    return tensors;
  }

  /**
   * The steps of one ensemble checked and indexed for running: which ensemble tensors each step reads,
   * and which steps read each tensor. Immutable.
   *
   * @param reads for each step, the distinct ensemble tensors it reads
   * @param readers for each ensemble tensor, the steps that read it
   */
  record EnsembleGraph(List<EnsembleConfig.Step> steps, List<Set<String>> reads, Map<String, List<Integer>> readers) {

    /**
     * Checks an ensemble against its step models' configurations: every map names a real input or
     * output, every step input is fed and every tensor has one writer, datatypes and shapes agree,
     * every ensemble output is written and every input read, and the steps form no cycle.
     *
     * @param stepConfig the configuration of a step's model; throws IllegalArgumentException when it
     *     has none
     * @throws IllegalArgumentException naming the field at fault
     */
    static EnsembleGraph of(ModelConfig ensemble, Function<EnsembleConfig.Step, ModelConfig> stepConfig) {
      List<EnsembleConfig.Step> steps = ensemble.ensemble().steps();
      boolean batched = ensemble.batched();
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (TensorConfig input : ensemble.inputs()) {
        tensors.put(input.name(), new Tensor(input.dataType(), input.fullShape(batched), -1,
            "ensemble input '" + input.name() + "'"));
      }
      List<ModelConfig> configs = new ArrayList<>();
      for (int i = 0; i < steps.size(); i++) {
        EnsembleConfig.Step step = steps.get(i);
        String where = "ensemble_scheduling.step[" + i + "]";
        ModelConfig config;
        try {
          config = stepConfig.apply(step);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + "." + e.getMessage());
        }
        configs.add(config);
        if (batched && (!config.batched() || config.maxBatchSize() < ensemble.maxBatchSize())) {
          throw new IllegalArgumentException(where + ": model '" + step.modelName() + "' has max_batch_size "
              + config.maxBatchSize() + ", less than the ensemble's " + ensemble.maxBatchSize());
        }
        for (Map.Entry<String, String> mapped : step.outputMap().entrySet()) {
          TensorConfig output = config.output(mapped.getKey());
          if (output == null) {
            throw new IllegalArgumentException(where + ".output_map: model '" + step.modelName()
                + "' has no output '" + mapped.getKey() + "' (it has " + names(config.outputs()) + ")");
          }
          Tensor already = tensors.get(mapped.getValue());
          if (already != null) {
            throw new IllegalArgumentException(where + ".output_map: tensor '" + mapped.getValue()
                + "' is already written by " + already.origin());
          }
          tensors.put(mapped.getValue(), new Tensor(output.dataType(), output.fullShape(config.batched()), i,
              "step[" + i + "] output '" + mapped.getKey() + "'"));
        }
      }
      List<Set<String>> reads = new ArrayList<>();
      Map<String, List<Integer>> readers = new HashMap<>();
      for (int i = 0; i < steps.size(); i++) {
        EnsembleConfig.Step step = steps.get(i);
        ModelConfig config = configs.get(i);
        String where = "ensemble_scheduling.step[" + i + "].input_map";
        for (TensorConfig input : config.inputs()) {
          if (!step.inputMap().containsKey(input.name())) {
            throw new IllegalArgumentException(where + ": input '" + input.name() + "' of model '"
                + step.modelName() + "' is not mapped");
          }
        }
        Set<String> read = new LinkedHashSet<>();
        for (Map.Entry<String, String> mapped : step.inputMap().entrySet()) {
          TensorConfig input = config.input(mapped.getKey());
          if (input == null) {
            throw new IllegalArgumentException(where + ": model '" + step.modelName() + "' has no input '"
                + mapped.getKey() + "' (it has " + names(config.inputs()) + ")");
          }
          Tensor source = tensors.get(mapped.getValue());
          if (source == null) {
            throw new IllegalArgumentException(where + ": tensor '" + mapped.getValue()
                + "' is neither an ensemble input nor written by any step");
          }
          agree(where + ": tensor '" + mapped.getValue() + "' (" + source.origin() + ")", source,
              "input '" + mapped.getKey() + "' of model '" + step.modelName() + "'",
              input.dataType(), input.fullShape(config.batched()));
          if (read.add(mapped.getValue())) {
            readers.computeIfAbsent(mapped.getValue(), t -> new ArrayList<>()).add(i);
          }
        }
        reads.add(read);
      }
      for (TensorConfig output : ensemble.outputs()) {
        Tensor source = tensors.get(output.name());
        if (source == null || source.step() < 0) {
          throw new IllegalArgumentException("output '" + output.name()
              + "' is written by no step (ensemble_scheduling.step[*].output_map)");
        }
        agree("output '" + output.name() + "' (" + source.origin() + ")", source, "the ensemble's declaration",
            output.dataType(), output.fullShape(batched));
      }
      for (TensorConfig input : ensemble.inputs()) {
        if (!readers.containsKey(input.name())) {
          throw new IllegalArgumentException("input '" + input.name() + "' is read by no step "
              + "(ensemble_scheduling.step[*].input_map)");
        }
      }
      requireAcyclic(ensemble, steps, reads, readers);
      Map<String, List<Integer>> readersCopy = new HashMap<>();
      readers.forEach((tensor, list) -> readersCopy.put(tensor, List.copyOf(list)));
      return new EnsembleGraph(List.copyOf(steps), reads.stream().map(Set::copyOf).toList(), Map.copyOf(readersCopy));
    }

    /** A tensor of the ensemble: its datatype and full shape, and who writes it (step -1: the request). */
    private record Tensor(DataType dataType, long[] shape, int step, String origin) {}

    private static void agree(String what, Tensor source, String target, DataType type, long[] shape) {
      if (source.dataType() != type || !compatible(source.shape(), shape)) {
        throw new IllegalArgumentException(what + " is " + source.dataType() + " " + Shapes.toString(source.shape())
            + " but " + target + " is " + type + " " + Shapes.toString(shape));
      }
    }

    private static boolean compatible(long[] a, long[] b) {
      if (a.length != b.length) {
        return false;
      }
      for (int i = 0; i < a.length; i++) {
        if (a[i] != -1 && b[i] != -1 && a[i] != b[i]) {
          return false;
        }
      }
      return true;
    }

    /** Runs the graph on paper from the ensemble's inputs: a step never reached waits on a cycle. */
    private static void requireAcyclic(ModelConfig ensemble, List<EnsembleConfig.Step> steps, List<Set<String>> reads,
        Map<String, List<Integer>> readers) {
      int[] waiting = new int[steps.size()];
      for (int i = 0; i < steps.size(); i++) {
        waiting[i] = reads.get(i).size();
      }
      List<String> available = new ArrayList<>();
      ensemble.inputs().forEach(input -> available.add(input.name()));
      boolean[] ran = new boolean[steps.size()];
      int at = 0;
      while (at < available.size()) {
        for (int reader : readers.getOrDefault(available.get(at++), List.of())) {
          if (--waiting[reader] == 0) {
            ran[reader] = true;
            available.addAll(steps.get(reader).outputMap().values());
          }
        }
      }
      List<Integer> stuck = new ArrayList<>();
      for (int i = 0; i < steps.size(); i++) {
        if (!ran[i]) {
          stuck.add(i);
        }
      }
      if (!stuck.isEmpty()) {
        throw new IllegalArgumentException("ensemble_scheduling: steps " + stuck
            + " wait on each other's outputs (a cycle)");
      }
    }

    private static String names(List<TensorConfig> tensors) {
      List<String> names = new ArrayList<>();
      tensors.forEach(t -> names.add(t.name()));
      return String.join(", ", names);
    }
  }
}
