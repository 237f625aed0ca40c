package dev.neutrino.gateway.security;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The API groups access is controlled by, with Triton's names ({@code --http-restricted-api} and
 * {@code --grpc-restricted-protocol} take them), plus {@link #METRICS} for the metrics port, which
 * only {@code --metrics-restricted-api} restricts.
 */
public enum ApiGroup {
  /** {@code /v2/health/*}, {@code /v2/models/{m}/ready}; ServerLive, ServerReady, ModelReady. */
  HEALTH("health"),
  /** {@code GET /v2}, model metadata; ServerMetadata, ModelMetadata. */
  METADATA("metadata"),
  /** {@code POST /v2/models/{m}/infer}, OpenAI's API under {@code /v1}; ModelInfer, ModelStreamInfer. */
  INFERENCE("inference"),
  /** Triton's shared-memory extension (not offered: its RPCs answer UNIMPLEMENTED). */
  SHARED_MEMORY("shared-memory"),
  /** {@code /v2/models/{m}/config}; ModelConfig. */
  MODEL_CONFIG("model-config"),
  /** {@code /v2/repository/*}; RepositoryIndex, RepositoryModelLoad, RepositoryModelUnload. */
  MODEL_REPOSITORY("model-repository"),
  /** {@code /v2/models[/{m}]/stats}; ModelStatistics. */
  STATISTICS("statistics"),
  /** Triton's trace extension (not offered). */
  TRACE("trace"),
  /** Triton's logging extension (not offered). */
  LOGGING("logging"),
  /** The metrics port's {@code /metrics}: not one of Triton's groups. */
  METRICS("metrics");

  private static final String TRITON_NAMES = Arrays.stream(values()).filter(g -> g != METRICS)
      .map(ApiGroup::label).collect(Collectors.joining(", "));

  private final String label;

  ApiGroup(String label) {
    this.label = label;
  }

  /** The group's name in flags and in the {@code group} metric label, for example {@code model-repository}. */
  public String label() {
    return label;
  }

  /**
   * One of Triton's group names, as {@code --http-restricted-api} and {@code --grpc-restricted-protocol}
   * take them.
   *
   * @throws IllegalArgumentException naming the accepted names
   */
  public static ApiGroup parse(String name) {
    String wanted = name.trim().toLowerCase(Locale.ROOT);
    for (ApiGroup group : values()) {
      if (group != METRICS && group.label.equals(wanted)) {
        return group;
      }
    }
    throw new IllegalArgumentException("unknown API group '" + name.trim() + "'; the groups are " + TRITON_NAMES
        + (wanted.equals(METRICS.label) ? " (the metrics port is restricted with --metrics-restricted-api)" : ""));
  }
}
