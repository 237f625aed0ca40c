package dev.neutrino.repo;

/** The lifecycle states of a model version, with Triton's names. */
public enum ModelState {
  /** Not loaded, or failed to load (the reason says which). */
  UNAVAILABLE,
  LOADING,
  READY,
  UNLOADING
}
