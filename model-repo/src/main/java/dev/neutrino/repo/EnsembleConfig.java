package dev.neutrino.repo;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Triton's {@code ensemble_scheduling}: the steps of an ensemble model ({@code platform: ensemble}),
 * each a model run on tensors of the ensemble. A step runs as soon as every tensor it reads exists,
 * so the steps form a graph, not a sequence; their order here only numbers them in messages.
 * Immutable; what the steps' models declare is checked when the ensemble loads.
 *
 * @param steps at least one
 */
public record EnsembleConfig(List<Step> steps) {
  /** Triton's platform string of an ensemble. */
  public static final String PLATFORM = "ensemble";
  /** {@code model_version} meaning the newest ready version of the step's model. */
  public static final long LATEST_VERSION = -1;

  public EnsembleConfig {
    steps = List.copyOf(steps);
    if (steps.isEmpty()) {
      throw new IllegalArgumentException("ensemble_scheduling.step must list at least one step");
    }
  }

  /**
   * One step.
   *
   * @param modelName the model it runs
   * @param modelVersion the version, or {@link #LATEST_VERSION}
   * @param inputMap the step model's input name to the ensemble tensor it reads
   * @param outputMap the step model's output name to the ensemble tensor it writes; outputs left
   *     out are not computed
   */
  public record Step(String modelName, long modelVersion, Map<String, String> inputMap, Map<String, String> outputMap) {
    public Step {
      Objects.requireNonNull(modelName, "model_name");
      inputMap = Collections.unmodifiableMap(new LinkedHashMap<>(inputMap));
      outputMap = Collections.unmodifiableMap(new LinkedHashMap<>(outputMap));
      if (modelName.isEmpty()) {
        throw new IllegalArgumentException("model_name must not be empty");
      }
      if (modelVersion < LATEST_VERSION || modelVersion == 0) {
        throw new IllegalArgumentException("model_version must be -1 (latest) or a version number, got "
            + modelVersion);
      }
      if (inputMap.isEmpty()) {
        throw new IllegalArgumentException("input_map must map at least one input");
      }
      if (outputMap.isEmpty()) {
        throw new IllegalArgumentException("output_map must map at least one output");
      }
    }

    /** The version as the repository names it: empty for the newest. */
    public String versionString() {
      return modelVersion == LATEST_VERSION ? "" : Long.toString(modelVersion);
    }
  }
}
