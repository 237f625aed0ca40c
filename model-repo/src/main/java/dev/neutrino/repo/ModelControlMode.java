package dev.neutrino.repo;

/** Triton's {@code --model-control-mode}: who decides which models are loaded. */
public enum ModelControlMode {
  /** Every model is loaded at start and never changes; the repository API refuses load and unload. */
  NONE,
  /** The repository is rescanned periodically; settled changes are loaded, removed models unloaded. */
  POLL,
  /** Only the repository API (and {@code --load-model} at start) loads and unloads. */
  EXPLICIT
}
