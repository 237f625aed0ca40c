package dev.neutrino.repo;

import java.util.List;
import java.util.Objects;

/**
 * Triton's {@code instance_group}: how many copies of the model to run, and where.
 *
 * @param count instances (per GPU for {@link Kind#KIND_GPU}); each owns a session and a thread
 * @param kind where they run
 * @param gpus which GPUs, for {@link Kind#KIND_GPU}; empty means GPU 0
 */
public record InstanceGroup(int count, Kind kind, List<Integer> gpus) {
  public static final InstanceGroup DEFAULT = new InstanceGroup(1, Kind.KIND_CPU, List.of());

  /** Triton's instance kinds. */
  public enum Kind {
    KIND_AUTO,
    KIND_CPU,
    KIND_GPU
  }

  /** How many instances the group runs: {@code count} on each of its GPUs for KIND_GPU, as in Triton. */
  public int instances() {
    return kind == Kind.KIND_GPU && !gpus.isEmpty() ? count * gpus.size() : count;
  }

  public InstanceGroup {
    Objects.requireNonNull(kind, "kind");
    gpus = List.copyOf(gpus);
    if (count < 1) {
      throw new IllegalArgumentException("instance_group count must be at least 1, got " + count);
    }
    for (int gpu : gpus) {
      if (gpu < 0) {
        throw new IllegalArgumentException("instance_group gpus must be >= 0, got " + gpu);
      }
    }
  }
}
